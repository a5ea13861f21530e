#include "key_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "mandos/test/support.hpp"

namespace mandos::keygen {
namespace {

TEST(NextBackupName, StartsAtOne) {
  EXPECT_EQ(next_backup_name("seckey.txt", {".", "..", "seckey.txt", "pubkey.txt"}),
            "seckey.txt.~1~");
}

TEST(NextBackupName, IsOneMoreThanTheHighestNumberNotTheCount) {
  EXPECT_EQ(next_backup_name("seckey.txt", {"seckey.txt.~1~", "seckey.txt.~7~", "seckey.txt.~3~"}),
            "seckey.txt.~8~");
}

TEST(NextBackupName, ComparesNumbersAsNumbersNotAsText) {
  EXPECT_EQ(next_backup_name("f", {"f.~9~", "f.~10~", "f.~2~"}), "f.~11~");
}

TEST(NextBackupName, CarriesThroughNines) {
  EXPECT_EQ(next_backup_name("f", {"f.~99~"}), "f.~100~");
  EXPECT_EQ(next_backup_name("f", {"f.~199~"}), "f.~200~");
}

TEST(NextBackupName, HandlesNumbersTooLargeForAnyIntegerType) {
  EXPECT_EQ(next_backup_name("f", {"f.~99999999999999999999999999~"}),
            "f.~100000000000000000000000000~");
}

TEST(NextBackupName, IgnoresNamesThatAreNotNumberedBackupsOfThisFile) {
  EXPECT_EQ(next_backup_name("f", {"f.~0~", "f.~05~", "f.~~", "f.~1x~", "f.~3~x", "f~4~",
                                   "g.~5~", "ff.~6~", "f.~7", "f.orig"}),
            "f.~1~");
}

TEST(NextBackupName, DoesNotConfuseAFileWithAnotherThatStartsTheSame) {
  EXPECT_EQ(next_backup_name("tls-pubkey.pem", {"tls-pubkey.pem.old.~4~"}),
            "tls-pubkey.pem.~1~");
}

TEST(JoinPath, AddsOneSlash) {
  EXPECT_EQ(join_path("/etc/keys/mandos", "seckey.txt"), "/etc/keys/mandos/seckey.txt");
  EXPECT_EQ(join_path("/etc/keys/mandos/", "seckey.txt"), "/etc/keys/mandos/seckey.txt");
}

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(BackUpFile, KeepsTheOldFileUnderTheNextNumberWithItsMode) {
  test::TempDir dir("keygen-backup");
  const std::string path = dir.file("seckey.txt");
  test::write_file(path, "old secret", 0600);
  test::write_file(dir.file("seckey.txt.~2~"), "older", 0600);

  auto backup = back_up_file(path);
  ASSERT_TRUE(backup.ok()) << backup.error().message;
  EXPECT_EQ(*backup, dir.file("seckey.txt.~3~"));
  EXPECT_EQ(contents(*backup), "old secret");
  struct stat st {};
  ASSERT_EQ(::stat(backup->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(contents(dir.file("seckey.txt.~2~")), "older");
}

TEST(BackUpFile, DoesNothingForAMissingFile) {
  test::TempDir dir("keygen-backup");
  auto backup = back_up_file(dir.file("pubkey.txt"));
  ASSERT_TRUE(backup.ok());
  EXPECT_EQ(*backup, "");
}

TEST(AnyKeyFileExists, SeesEachOfTheFourFiles) {
  for (const char* name : {kSeckeyFile, kPubkeyFile, kTlsPrivkeyFile, kTlsPubkeyFile}) {
    test::TempDir dir("keygen-exists");
    EXPECT_FALSE(any_key_file_exists(dir.path()));
    test::write_file(dir.file(name), "x", 0600);
    EXPECT_TRUE(any_key_file_exists(dir.path())) << name;
  }
}

TEST(AnyKeyFileExists, IgnoresADanglingSymlinkAsTestDashEDoes) {
  test::TempDir dir("keygen-exists");
  ASSERT_EQ(::symlink("/nonexistent/target", dir.file(kSeckeyFile).c_str()), 0);
  EXPECT_FALSE(any_key_file_exists(dir.path()));
}

}  // namespace
}  // namespace mandos::keygen
