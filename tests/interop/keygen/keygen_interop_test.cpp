// Our mandos-keygen next to Debian's (the reference 1.8.16 shell script):
// the same keys give the same clients.conf section layout and identifiers,
// each accepts the other's key files, and errors read the same.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "keygen_test_util.hpp"

namespace mandos::keygen_test {
namespace {

using ::testing::HasSubstr;

const std::string kReference = "/usr/sbin/mandos-keygen";

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class KeygenInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    test::RunOptions slow;
    slow.timeout = std::chrono::minutes(10);  // may download and install packages
    auto install = test::run(
        {"/bin/sh", std::string(MANDOS_SOURCE_DIR) + "/tests/interop/install-reference.sh"}, slow);
    ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
    ours_ = std::make_unique<test::TempDir>("keygen-ours");
    reference_ = std::make_unique<test::TempDir>("keygen-reference");
    auto made = run_keygen(our_keygen(), with({"-d", ours_->path(), "-n", "c.example"}, kSmallKeys));
    ASSERT_EQ(made.exit_code, 0) << made.err;
    made = run_keygen(kReference, with({"-d", reference_->path(), "-n", "c.example"}, kSmallKeys));
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  static void TearDownTestSuite() {
    ours_.reset();
    reference_.reset();
  }

  // Password mode of `program` on the keys in `dir`.
  test::RunResult encrypt(const std::string& program, const std::string& dir,
                          const std::string& password, std::vector<std::string> extra = {"-S"},
                          const test::RunOptions& options = {}) {
    test::write_file(work_.file("pw"), password, 0600);
    return run_keygen(program, with({"-d", dir, "-n", "c.example", "-F", work_.file("pw")}, extra),
                      options);
  }

  static std::unique_ptr<test::TempDir> ours_;
  static std::unique_ptr<test::TempDir> reference_;
  test::TempDir work_{"keygen-interop"};
};
std::unique_ptr<test::TempDir> KeygenInterop::ours_;
std::unique_ptr<test::TempDir> KeygenInterop::reference_;

TEST_F(KeygenInterop, BothPrintTheSameSectionForTheSameKeysExceptTheCiphertext) {
  for (const auto* dir : {ours_.get(), reference_.get()}) {
    auto mine = encrypt(our_keygen(), dir->path(), "pw\n");
    auto theirs = encrypt(kReference, dir->path(), "pw\n");
    ASSERT_EQ(mine.exit_code, 0) << mine.err;
    ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
    EXPECT_EQ(layout_of(mine.out), layout_of(theirs.out)) << mine.out << "\n" << theirs.out;
    // Identifiers byte for byte (key_id in certtool's lowercase).
    ParsedSection a = parse_section(mine.out), b = parse_section(theirs.out);
    EXPECT_EQ(a.key_id, b.key_id);
    EXPECT_EQ(a.fingerprint, b.fingerprint);
    EXPECT_EQ(a.options, b.options);
    EXPECT_EQ(decrypt_with_keys(dir->path(), a.secret).view(), "pw\n");
    EXPECT_EQ(decrypt_with_keys(dir->path(), b.secret).view(), "pw\n");
  }
}

TEST_F(KeygenInterop, BothAddTheSameSshCheckerLines) {
  test::TempDir bin("keygen-bin");
  test::write_file(bin.file("ssh-keyscan"),
                   "#!/bin/sh\n"
                   "[ \"$2\" = rsa ] || exit 0\n"
                   "echo \"$3 ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQfake\"\n",
                   0755);
  test::RunOptions options;
  options.env_add = {"PATH=" + bin.path() + ":/usr/sbin:/usr/bin:/sbin:/bin"};
  auto mine = encrypt(our_keygen(), ours_->path(), "pw", {}, options);
  auto theirs = encrypt(kReference, ours_->path(), "pw", {}, options);
  ASSERT_EQ(mine.exit_code, 0) << mine.err;
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(layout_of(mine.out), layout_of(theirs.out));
  EXPECT_THAT(mine.out, HasSubstr("\nssh_fingerprint = ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQfake\n"));
}

TEST_F(KeygenInterop, BothLeaveOutKeyIdWithoutATlsPublicKey) {
  test::TempDir old_keys("keygen-old");
  for (const char* name : {"seckey.txt", "pubkey.txt"}) {
    test::write_file(old_keys.file(name), slurp(reference_->file(name)), 0600);
  }
  auto mine = encrypt(our_keygen(), old_keys.path(), "pw");
  auto theirs = encrypt(kReference, old_keys.path(), "pw");
  ASSERT_EQ(mine.exit_code, 0) << mine.err;
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(layout_of(mine.out), layout_of(theirs.out));
}

TEST_F(KeygenInterop, BothMakeKeysOfTheSameShape) {
  KeyFacts mine = key_facts(ours_->file("pubkey.txt"));
  KeyFacts theirs = key_facts(reference_->file("pubkey.txt"));
  EXPECT_EQ(mine.user_id, theirs.user_id);
  EXPECT_EQ(mine.subkeys, theirs.subkeys);
  EXPECT_EQ(mine.primary_signs, theirs.primary_signs);
  EXPECT_EQ(mine.primary_auths, theirs.primary_auths);
  EXPECT_EQ(mine.primary_encrypts, theirs.primary_encrypts);
  EXPECT_EQ(mine.subkey_encrypts, theirs.subkey_encrypts);
  EXPECT_EQ(mine.subkey_signs, theirs.subkey_signs);
  EXPECT_EQ(mine.expires, theirs.expires);
  for (const char* name : {"seckey.txt", "pubkey.txt", "tls-privkey.pem", "tls-pubkey.pem"}) {
    EXPECT_EQ(file_mode(ours_->file(name)), file_mode(reference_->file(name))) << name;
    // Same first lines: BEGIN line and the armor comment.
    auto head = [](const std::string& text) { return text.substr(0, text.find("\n\n")); };
    if (std::string(name).ends_with(".txt")) {
      EXPECT_EQ(head(slurp(ours_->file(name))), head(slurp(reference_->file(name)))) << name;
    } else {
      const std::string a = slurp(ours_->file(name)), b = slurp(reference_->file(name));
      EXPECT_EQ(a.substr(0, a.find('\n')), b.substr(0, b.find('\n'))) << name;
      EXPECT_EQ(a.size(), b.size()) << name;  // same key type and size
    }
  }
}

TEST_F(KeygenInterop, BothNameNumberedBackupsTheSameWay) {
  std::string listings[2];
  const std::string programs[2] = {our_keygen(), kReference};
  for (int i = 0; i < 2; ++i) {
    test::TempDir dir("keygen-backups");
    for (const char* name : {"seckey.txt", "seckey.txt.~9~", "seckey.txt.~10~", "seckey.txt.~05~",
                             "pubkey.txt", "pubkey.txt.~x~", "tls-pubkey.pem.~1~"}) {
      test::write_file(dir.file(name), name, 0600);
    }
    auto run = run_keygen(programs[i], with({"-d", dir.path(), "-n", "b", "-f"}, kSmallKeys));
    ASSERT_EQ(run.exit_code, 0) << programs[i] << ": " << run.err;
    listings[i] = test::run({"/bin/ls", "-A", dir.path()}).out;
    EXPECT_EQ(slurp(dir.file("seckey.txt.~11~")), "seckey.txt") << programs[i];
  }
  EXPECT_EQ(listings[0], listings[1]);
}

TEST_F(KeygenInterop, BothFailTheSameWayOnBadInvocations) {
  test::TempDir dir("keygen-bad");
  test::write_file(dir.file("pubkey.txt"), "x", 0600);
  const std::vector<std::vector<std::string>> cases = {
      {"--bogus", "-q"},
      {"--pass"},
      {"--dir"},
      {"--force=1"},
      {"-d", dir.path(), "stray", "words"},
      {"-d", dir.file("missing")},
      {"-d", dir.file("pubkey.txt")},
      {"-d", dir.path(), "-t", ""},
      {"-d", dir.path(), "-n", ""},
      {"-d", dir.path(), "-l", "511"},
      {"-d", dir.path(), "-x", ""},
      {"-d", dir.path()},  // refuses: pubkey.txt exists
  };
  for (const auto& args : cases) {
    auto mine = run_keygen(our_keygen(), args);
    auto theirs = run_keygen(kReference, args);
    std::string label;
    for (const auto& a : args) label += a + " ";
    EXPECT_EQ(mine.exit_code, theirs.exit_code) << label;
    EXPECT_EQ(replace_all(mine.err, our_keygen(), "PROGRAM"),
              replace_all(theirs.err, kReference, "PROGRAM"))
        << label;
    EXPECT_EQ(mine.out, theirs.out) << label;
  }
}

TEST_F(KeygenInterop, BothPrintTheInvokedNameWithTheVersion) {
  auto mine = run_keygen(our_keygen(), {"-v"});
  auto theirs = run_keygen(kReference, {"--version"});
  EXPECT_EQ(replace_all(mine.out, our_keygen(), "PROGRAM"),
            replace_all(theirs.out, kReference, "PROGRAM"));
}

}  // namespace
}  // namespace mandos::keygen_test
