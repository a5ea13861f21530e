#include "mandos/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mandos/test/support.hpp"

namespace mandos {
namespace {

TEST(UniqueFd, ClosesOnDestructionAndMovesOwnership) {
  int raw;
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    raw = fd.get();
    ASSERT_GE(raw, 0);
    UniqueFd moved(std::move(fd));
    EXPECT_FALSE(fd.valid());
    EXPECT_EQ(moved.get(), raw);
    EXPECT_NE(::fcntl(raw, F_GETFD), -1);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
}

TEST(ReadFile, ReadsWholeFileUpToTheLimit) {
  test::TempDir dir;
  test::write_file(dir.file("f"), "hello");
  EXPECT_EQ(read_file(dir.file("f"), 5).value(), "hello");
}

TEST(ReadFile, RejectsFilesOverTheLimitNamingThePath) {
  test::TempDir dir;
  test::write_file(dir.file("big"), std::string(100, 'x'));
  auto content = read_file(dir.file("big"), 99);
  ASSERT_FALSE(content.ok());
  EXPECT_NE(content.error().message.find(dir.file("big")), std::string::npos);
  EXPECT_NE(content.error().message.find("larger than 99"), std::string::npos);
}

TEST(ReadFile, NamesTheMissingPath) {
  auto content = read_file("/nonexistent/file", 10);
  ASSERT_FALSE(content.ok());
  EXPECT_NE(content.error().message.find("/nonexistent/file"), std::string::npos);
}

TEST(WriteAll, WritesEverythingThroughAPipe) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe.ok());
  std::string data(1000, 'z');
  ASSERT_TRUE(write_all(pipe->write.get(), data.data(), data.size()).ok());
  pipe->write.reset();
  EXPECT_EQ(read_all(pipe->read.get(), 2000).value(), data);
}

}  // namespace
}  // namespace mandos
