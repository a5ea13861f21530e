#include "ssh_probe.hpp"

#include <gtest/gtest.h>

#include "mandos/test/support.hpp"

namespace mandos::keygen {
namespace {

using namespace std::chrono_literals;

// A stand-in ssh-keyscan: answers only for the key types in `answers`.
std::string fake_keyscan(const test::TempDir& dir, const std::string& body) {
  const std::string path = dir.file("ssh-keyscan");
  test::write_file(path, "#!/bin/sh\n" + body, 0755);
  return path;
}

TEST(SshProbe, TakesTheFirstTypeInTheReferenceOrderThatAnswers) {
  test::TempDir dir("keygen-ssh");
  auto keyscan = fake_keyscan(dir,
                              "case \"$2\" in\n"
                              "  ed25519) echo \"localhost ssh-ed25519 AAAAed\";;\n"
                              "  rsa) echo \"localhost ssh-rsa AAAArsa\";;\n"
                              "esac\n");
  auto key = probe_ssh_host_key(keyscan);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->key_type, "ed25519");
  EXPECT_EQ(key->fingerprint, "ssh-ed25519 AAAAed");
}

TEST(SshProbe, PrefersEcdsaWhenTheServerHasIt) {
  test::TempDir dir("keygen-ssh");
  auto keyscan = fake_keyscan(dir, "echo \"localhost $2-key AAAA\"\n");
  auto key = probe_ssh_host_key(keyscan);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->key_type, "ecdsa-sha2-nistp256");
  EXPECT_EQ(key->fingerprint, "ecdsa-sha2-nistp256-key AAAA");
}

TEST(SshProbe, PassesTheArgumentsTheReferenceUses) {
  test::TempDir dir("keygen-ssh");
  auto keyscan = fake_keyscan(dir, "echo \"localhost $*\"\n");
  auto key = probe_ssh_host_key(keyscan);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->fingerprint, "-t ecdsa-sha2-nistp256 localhost");
}

TEST(SshProbe, SkipsFailingRunsAndEmptyOutput) {
  test::TempDir dir("keygen-ssh");
  auto keyscan = fake_keyscan(dir,
                              "case \"$2\" in\n"
                              "  ecdsa-sha2-nistp256) echo \"localhost x\"; exit 1;;\n"
                              "  ed25519) echo;;\n"
                              "  rsa) echo \"localhost ssh-rsa AAAArsa\";;\n"
                              "esac\n");
  auto key = probe_ssh_host_key(keyscan);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->key_type, "rsa");
  EXPECT_EQ(key->fingerprint, "ssh-rsa AAAArsa");
}

TEST(SshProbe, FindsNothingWhenNoTypeAnswers) {
  test::TempDir dir("keygen-ssh");
  auto keyscan = fake_keyscan(dir, "echo 'connection refused' >&2\n");
  EXPECT_FALSE(probe_ssh_host_key(keyscan).has_value());
}

TEST(SshProbe, FindsNothingWithoutSshKeyscan) {
  EXPECT_FALSE(probe_ssh_host_key("").has_value());
  EXPECT_FALSE(probe_ssh_host_key("/nonexistent/ssh-keyscan").has_value());
}

TEST(SshProbe, GivesUpOnAHangingRunAndKillsIt) {
  test::TempDir dir("keygen-ssh");
  auto keyscan = fake_keyscan(dir,
                              "[ \"$2\" = rsa ] && { echo \"localhost ssh-rsa late\"; exit 0; }\n"
                              "exec sleep 600\n");
  auto key = probe_ssh_host_key(keyscan, 300ms);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->fingerprint, "ssh-rsa late");
}

TEST(SshProbe, KeepsOnlyTheFirstLineOfOutput) {
  test::TempDir dir("keygen-ssh");
  auto keyscan = fake_keyscan(dir, "printf 'localhost ssh-ed25519 A\\nlocalhost more\\n\\n'\n");
  auto key = probe_ssh_host_key(keyscan);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->fingerprint, "ssh-ed25519 A");
}

TEST(FindInPath, FindsAProgramThroughPath) {
  EXPECT_NE(find_in_path("sh"), "");
  EXPECT_EQ(find_in_path("no-such-program-mandos"), "");
  EXPECT_EQ(find_in_path("/explicit/path"), "/explicit/path");
}

}  // namespace
}  // namespace mandos::keygen
