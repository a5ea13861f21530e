// scripts/init-premount/mandos sourced as a function library (with
// MANDOS_PREMOUNT_NO_MAIN=1): kernel command line parsing, and its edits of
// plugin-runner.conf and of an old-style (cryptsetup < 2) cryptroot file,
// on temporary files. Needs neither root nor the initrd fixture.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "initramfs_test_util.hpp"
#include "mandos/test/support.hpp"

namespace mandos::initramfs_test {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string premount_script() {
  return test::source_path("initramfs-tools/scripts/init-premount/mandos");
}

// Sources the premount script (functions only), parses CMDLINE and prints
// the variables it set, one NAME=value per line.
ShellResult parse(const std::string &cmdline) {
  return shell(
      ". \"$SCRIPT\"\n"
      "mandos_parse_cmdline \"$CMDLINE\"\n"
      "printf "
      "'off=%s\\nnetwork=%s\\nip_given=%s\\nip_device=%s\\nconnect=%s\\n' "
      "\"$MANDOS_OFF\" \"$MANDOS_NETWORK\" \"$MANDOS_IP_GIVEN\" "
      "\"$MANDOS_IP_DEVICE\" "
      "\"$MANDOS_CONNECT\"\n",
      {"MANDOS_PREMOUNT_NO_MAIN=1", "SCRIPT=" + premount_script(),
       "CMDLINE=" + cmdline});
}

TEST(PremountCmdline, WithoutMandosParameterUsesMandosWithZeroconf) {
  const auto result = parse("root=/dev/mapper/root ro quiet");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "off=no\nnetwork=no\nip_given=no\nip_device=\nconnect=\n");
  EXPECT_THAT(result.err, IsEmpty());
}

TEST(PremountCmdline, MandosOffTurnsMandosOff) {
  EXPECT_THAT(parse("ro mandos=off").out, HasSubstr("off=yes\n"));
}

TEST(PremountCmdline, OffAmongOtherWordsStillTurnsMandosOff) {
  EXPECT_THAT(parse("mandos=connect:127.0.0.1:4711,off").out,
              HasSubstr("off=yes\n"));
}

TEST(PremountCmdline, PlainConnectConfiguresNetworkingWithoutAServerAddress) {
  const auto result = parse("mandos=connect");
  EXPECT_EQ(result.out,
            "off=no\nnetwork=yes\nip_given=no\nip_device=\nconnect=\n");
}

TEST(PremountCmdline,
     ConnectWithAddressAndPortKeepsEverythingAfterTheFirstColon) {
  EXPECT_EQ(
      parse("mandos=connect:127.0.0.1:4711").out,
      "off=no\nnetwork=yes\nip_given=no\nip_device=\nconnect=127.0.0.1:4711\n");
  EXPECT_THAT(parse("mandos=connect:::1:4711").out,
              HasSubstr("connect=::1:4711\n"));
}

TEST(PremountCmdline, UnknownWordIsReportedAndIgnored) {
  const auto result = parse("mandos=bogus,connect");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("network=yes\n"));
  EXPECT_THAT(result.err, HasSubstr("unknown word \"bogus\" in mandos="));
}

TEST(PremountCmdline, ConnectWithEmptyAddressIsReportedAndIgnored) {
  const auto result = parse("mandos=connect:");
  EXPECT_THAT(result.out, HasSubstr("network=no\n"));
  EXPECT_THAT(result.err, HasSubstr("no address in mandos=connect:"));
}

TEST(PremountCmdline, IpParameterGivesTheDeviceFromItsSixthField) {
  EXPECT_THAT(parse("ip=127.0.0.2::127.0.0.1:255.0.0.0:host:eth3:off").out,
              HasSubstr("ip_given=yes\nip_device=eth3\n"));
}

TEST(PremountCmdline, IpParameterWithoutDeviceFieldGivesAnEmptyDevice) {
  EXPECT_THAT(parse("ip=dhcp").out, HasSubstr("ip_given=yes\nip_device=\n"));
}

TEST(PremountCmdline, WildcardsOnTheCommandLineAreNotExpanded) {
  EXPECT_THAT(parse("mandos=* /*").err, HasSubstr("unknown word \"*\""));
}

// mandos_configure_runner on a copy of a plugin-runner.conf.
ShellResult configure(const std::string &setup, const std::string &cmdline,
                      const std::string &conf_path) {
  return shell(". \"$SCRIPT\"\n" + setup +
                   "\nmandos_parse_cmdline \"$CMDLINE\"\n"
                   "mandos_configure_runner \"$CONF\"\n",
               {"MANDOS_PREMOUNT_NO_MAIN=1", "SCRIPT=" + premount_script(),
                "CMDLINE=" + cmdline, "CONF=" + conf_path});
}

TEST(PremountRunnerConf, ConfiguredDeviceIsPrependedAndServerAppended) {
  test::TempDir dir("initramfs-conf");
  test::write_file(dir.file("plugin-runner.conf"), "--admin-line\n");
  const auto result = configure("DEVICE=eth7", "mandos=connect:127.0.0.1:4711",
                                dir.file("plugin-runner.conf"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(test::read_file(dir.file("plugin-runner.conf")),
            "--options-for=mandos-client:--interface=eth7\n"
            "--admin-line\n"
            "--options-for=mandos-client:--connect=127.0.0.1:4711\n");
}

TEST(PremountRunnerConf,
     DeviceFromIpParameterIsAppendedInsteadOfTheConfiguredOne) {
  test::TempDir dir("initramfs-conf");
  test::write_file(dir.file("plugin-runner.conf"), "--admin-line\n");
  const auto result = configure("DEVICE=eth7", "ip=::::host:eth3:dhcp",
                                dir.file("plugin-runner.conf"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(test::read_file(dir.file("plugin-runner.conf")),
            "--admin-line\n--options-for=mandos-client:--interface=eth3\n");
}

TEST(PremountRunnerConf, EmptyButSetDeviceStillAddsAnInterfaceOption) {
  test::TempDir dir("initramfs-conf");
  test::write_file(dir.file("plugin-runner.conf"), "");
  const auto result =
      configure("DEVICE=", "ro", dir.file("plugin-runner.conf"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(test::read_file(dir.file("plugin-runner.conf")),
            "--options-for=mandos-client:--interface=\n");
}

TEST(PremountRunnerConf, UnsetDeviceAndNoIpParameterAddNoInterfaceOption) {
  test::TempDir dir("initramfs-conf");
  test::write_file(dir.file("plugin-runner.conf"), "--admin-line\n");
  const auto result =
      configure("unset DEVICE", "ro", dir.file("plugin-runner.conf"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(test::read_file(dir.file("plugin-runner.conf")), "--admin-line\n");
}

// mandos_edit_cryptroot on an old-style (cryptsetup < 2) conf file.
ShellResult edit_cryptroot(const std::string &conf_path) {
  return shell(". \"$SCRIPT\"\nmandos_edit_cryptroot \"$CONF\"\n",
               {"MANDOS_PREMOUNT_NO_MAIN=1", "SCRIPT=" + premount_script(),
                "CONF=" + conf_path});
}

TEST(PremountOldCryptroot,
     WithRootdevLinesOnlyThoseWithoutKeyscriptGetPluginRunner) {
  test::TempDir dir("initramfs-cryptroot");
  const std::string original =
      "target=swap,source=/dev/sda3,resumedev,key=none\n"
      "target=root,source=/dev/sda2,rootdev,key=none\n"
      "target=data,source=/dev/sdb1,key=none\n"
      "target=other,source=/dev/sdc1,rootdev,keyscript=/lib/cryptsetup/scripts/"
      "x\n";
  test::write_file(dir.file("cryptroot"), original);
  const auto result = edit_cryptroot(dir.file("cryptroot"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(test::read_file(dir.file("cryptroot")),
            "target=swap,source=/dev/sda3,resumedev,key=none\n"
            "target=root,source=/dev/sda2,rootdev,key=none,keyscript=/lib/"
            "mandos/plugin-runner\n"
            "target=data,source=/dev/sdb1,key=none\n"
            "target=other,source=/dev/sdc1,rootdev,keyscript=/lib/cryptsetup/"
            "scripts/x\n");
  EXPECT_EQ(test::read_file(dir.file("cryptroot.mandos-old")), original);
}

TEST(PremountOldCryptroot, WithoutRootdevAllButResumeLinesGetPluginRunner) {
  test::TempDir dir("initramfs-cryptroot");
  test::write_file(dir.file("cryptroot"),
                   "target=swap,source=/dev/sda3,resumedev,key=none\n"
                   "target=root,source=/dev/sda2,key=none\n"
                   "target=data,source=/dev/sdb1,key=none"); // no final newline
  const auto result = edit_cryptroot(dir.file("cryptroot"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(test::read_file(dir.file("cryptroot")),
            "target=swap,source=/dev/sda3,resumedev,key=none\n"
            "target=root,source=/dev/sda2,key=none,keyscript=/lib/mandos/"
            "plugin-runner\n"
            "target=data,source=/dev/sdb1,key=none,keyscript=/lib/mandos/"
            "plugin-runner\n");
}

TEST(PremountOldCryptroot, UnchangedFileIsLeftAloneWithoutBackup) {
  test::TempDir dir("initramfs-cryptroot");
  const std::string original =
      "target=root,source=/dev/sda2,rootdev,keyscript=/x\n";
  test::write_file(dir.file("cryptroot"), original);
  const auto result = edit_cryptroot(dir.file("cryptroot"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(test::read_file(dir.file("cryptroot")), original);
  EXPECT_FALSE(exists(dir.file("cryptroot.mandos-old")));
  EXPECT_FALSE(exists(dir.file("cryptroot.mandos-new")));
}

} // namespace
} // namespace mandos::initramfs_test
