#include "section.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mandos::keygen {
namespace {

using ::testing::HasSubstr;

// Shaped like gpg 2.2's `--armor --comment ...` output for a short message.
constexpr std::string_view kArmored =
    "-----BEGIN PGP MESSAGE-----\n"
    "Comment: Encrypted password for a Mandos client\n"
    "\n"
    "hQEMA+QxP0/WRgDcAQf+JFduBGC+ze4/zeveFNQG0Rk8NlGffX6BCU85Cevw67qM\n"
    "zq07IyURGSVeZXG1+UYoxGb6v+63XAJ+dgPF9U+ZOBAuqlgz+zVZB5sZWEzGJ6dv\n"
    "gFoFmZ06PpJb4QgQciFUVCLvPECEwqnb5SThixP6t11ph/EDgbujABw=\n"
    "=kN3q\n"
    "-----END PGP MESSAGE-----\n";

TEST(ArmoredMessageBody, KeepsOnlyTheBase64LinesWithoutHeadersOrChecksum) {
  auto lines = armored_message_body(kArmored);
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_THAT(*lines, ::testing::ElementsAre(
                          "hQEMA+QxP0/WRgDcAQf+JFduBGC+ze4/zeveFNQG0Rk8NlGffX6BCU85Cevw67qM",
                          "zq07IyURGSVeZXG1+UYoxGb6v+63XAJ+dgPF9U+ZOBAuqlgz+zVZB5sZWEzGJ6dv",
                          "gFoFmZ06PpJb4QgQciFUVCLvPECEwqnb5SThixP6t11ph/EDgbujABw="));
}

TEST(ArmoredMessageBody, AcceptsAMessageWithoutHeadersAndWithCrLfLineEnds) {
  auto lines = armored_message_body(
      "-----BEGIN PGP MESSAGE-----\r\n\r\nAAAA\r\nBBBB\r\n=abcd\r\n-----END PGP MESSAGE-----\r\n");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_THAT(*lines, ::testing::ElementsAre("AAAA", "BBBB"));
}

TEST(ArmoredMessageBody, IgnoresTextAroundTheArmor) {
  auto lines = armored_message_body(
      "noise\n-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\ntrailer\n");
  ASSERT_TRUE(lines.ok());
  EXPECT_THAT(*lines, ::testing::ElementsAre("AAAA"));
}

TEST(ArmoredMessageBody, RejectsTextWithoutABeginLine) {
  auto lines = armored_message_body("AAAA\n");
  ASSERT_FALSE(lines.ok());
  EXPECT_THAT(lines.error().message, HasSubstr("-----BEGIN PGP MESSAGE-----"));
}

TEST(ArmoredMessageBody, RejectsAnotherKindOfArmorBlock) {
  auto lines = armored_message_body(
      "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n");
  ASSERT_FALSE(lines.ok());
  EXPECT_THAT(lines.error().message, HasSubstr("BEGIN PGP MESSAGE"));
}

TEST(ArmoredMessageBody, RejectsATruncatedMessage) {
  auto lines = armored_message_body("-----BEGIN PGP MESSAGE-----\n\nAAAA\n");
  ASSERT_FALSE(lines.ok());
  EXPECT_THAT(lines.error().message, HasSubstr("-----END PGP MESSAGE-----"));
}

TEST(ArmoredMessageBody, RejectsHeadersThatNeverEnd) {
  auto lines = armored_message_body(
      "-----BEGIN PGP MESSAGE-----\nComment: x\n-----END PGP MESSAGE-----\n");
  ASSERT_FALSE(lines.ok());
  EXPECT_THAT(lines.error().message, HasSubstr("no blank line"));
}

TEST(ArmoredMessageBody, RejectsAMessageWithNoData) {
  auto lines =
      armored_message_body("-----BEGIN PGP MESSAGE-----\n\n=abcd\n-----END PGP MESSAGE-----\n");
  ASSERT_FALSE(lines.ok());
  EXPECT_THAT(lines.error().message, HasSubstr("no data lines"));
}

TEST(ClientSectionFormat, PrintsTheReferenceLayoutWithKeyIdAndWithoutSsh) {
  ClientSection section;
  section.name = "client.example";
  section.key_id = "776b4311ab312b97cdbad9fd3e707753cd594c604c61fe213567150d0f430869";
  section.fingerprint = "81BD7E86E3C10D0A2630BF26875CB130B06FAA6F";
  section.secret_lines = *armored_message_body(kArmored);
  EXPECT_EQ(format_client_section(section),
            "[client.example]\n"
            "host = client.example\n"
            "key_id = 776b4311ab312b97cdbad9fd3e707753cd594c604c61fe213567150d0f430869\n"
            "fingerprint = 81BD7E86E3C10D0A2630BF26875CB130B06FAA6F\n"
            "secret =\n"
            "    hQEMA+QxP0/WRgDcAQf+JFduBGC+ze4/zeveFNQG0Rk8NlGffX6BCU85Cevw67qM\n"
            "    zq07IyURGSVeZXG1+UYoxGb6v+63XAJ+dgPF9U+ZOBAuqlgz+zVZB5sZWEzGJ6dv\n"
            "    gFoFmZ06PpJb4QgQciFUVCLvPECEwqnb5SThixP6t11ph/EDgbujABw=\n");
}

TEST(ClientSectionFormat, LeavesOutKeyIdWhenThereIsNoTlsKey) {
  ClientSection section;
  section.name = "old";
  section.fingerprint = "0123456789ABCDEF0123456789ABCDEF01234567";
  section.secret_lines = {"AAAA"};
  EXPECT_EQ(format_client_section(section),
            "[old]\nhost = old\nfingerprint = 0123456789ABCDEF0123456789ABCDEF01234567\n"
            "secret =\n    AAAA\n");
}

TEST(ClientSectionFormat, AddsTheSshCheckerWithDoubledPercentsForTheServer) {
  ClientSection section;
  section.name = "c";
  section.fingerprint = "F";
  section.secret_lines = {"AAAA"};
  section.ssh = SshHostKey{"ed25519", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake"};
  EXPECT_EQ(format_client_section(section),
            "[c]\nhost = c\nfingerprint = F\nsecret =\n    AAAA\n"
            "checker = ssh-keyscan -t ed25519 %%(host)s 2>/dev/null | grep --fixed-strings"
            " --line-regexp --quiet --regexp=%%(host)s\" %(ssh_fingerprint)s\"\n"
            "ssh_fingerprint = ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake\n");
}

}  // namespace
}  // namespace mandos::keygen
