#include "mandos/atomic_file.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "mandos/test/support.hpp"

namespace mandos {
namespace {

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(dir.c_str());
  while (dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(handle);
  return names;
}

TEST(AtomicFile, WritesContentWithRequestedModeAndLeavesNoTemporaryFile) {
  test::TempDir dir;
  const std::string path = dir.file("state.json");
  ASSERT_TRUE(write_file_atomically(path, std::string("a\0b", 3), 0600).ok());
  EXPECT_EQ(test::read_file(path), std::string("a\0b", 3));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"state.json"});
}

TEST(AtomicFile, ReplacesExistingContentWhole) {
  test::TempDir dir;
  const std::string path = dir.file("state");
  test::write_file(path, std::string(10000, 'x'));
  ASSERT_TRUE(write_file_atomically(path, "new", 0644).ok());
  EXPECT_EQ(test::read_file(path), "new");
}

TEST(AtomicFile, FailsNamingThePathWhenTheDirectoryIsMissing) {
  test::TempDir dir;
  const std::string path = dir.file("missing/state");
  auto written = write_file_atomically(path, "x", 0600);
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.error().message.find(path), std::string::npos) << written.error().message;
}

TEST(AtomicFile, KeepsOldContentWhenTheTargetCannotBeReplaced) {
  test::TempDir dir;
  // A directory in the way makes rename() fail after the temp file is written.
  const std::string path = dir.file("occupied");
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  test::write_file(path + "/keep", "old");
  auto written = write_file_atomically(path, "new", 0600);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(test::read_file(path + "/keep"), "old");
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"occupied"});
}

}  // namespace
}  // namespace mandos
