#include "passphrase.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "mandos/fd.hpp"
#include "mandos/test/support.hpp"

namespace mandos::keygen {
namespace {

using ::testing::HasSubstr;

TEST(StripReadWhitespace, RemovesSpacesTabsAndNewlinesAtBothEndsOnly) {
  EXPECT_EQ(strip_read_whitespace("  \tpass word\t \n"), "pass word");
  EXPECT_EQ(strip_read_whitespace("x"), "x");
  EXPECT_EQ(strip_read_whitespace(" \t "), "");
  EXPECT_EQ(strip_read_whitespace(""), "");
}

TEST(StripReadWhitespace, KeepsBackslashesAndCarriageReturns) {
  EXPECT_EQ(strip_read_whitespace(" a\\b\\ "), "a\\b\\");
  EXPECT_EQ(strip_read_whitespace("pw\r"), "pw\r");
}

TEST(ReadPassfile, KeepsTheExactBytesIncludingTheTrailingNewline) {
  test::TempDir dir("keygen-pass");
  const std::string bytes(" secret \\ with\0nul\n\n", 20);
  test::write_file(dir.file("pw"), bytes, 0600);
  auto password = read_passfile(dir.file("pw"));
  ASSERT_TRUE(password.ok()) << password.error().message;
  EXPECT_EQ(password->view(), bytes);
}

TEST(ReadPassfile, ReadsAnEmptyFileAsAnEmptyPassword) {
  test::TempDir dir("keygen-pass");
  test::write_file(dir.file("pw"), "", 0600);
  auto password = read_passfile(dir.file("pw"));
  ASSERT_TRUE(password.ok());
  EXPECT_TRUE(password->empty());
}

TEST(ReadPassfile, NamesAMissingFile) {
  auto password = read_passfile("/nonexistent/pw");
  ASSERT_FALSE(password.ok());
  EXPECT_EQ(password.error().code, 1);
  EXPECT_THAT(password.error().message, HasSubstr("/nonexistent/pw"));
  EXPECT_THAT(password.error().message, HasSubstr("No such file"));
}

// Feeds `input` to prompt_passphrase through a pipe (not a terminal).
Result<SecretBytes> prompt_with(const std::string& input, std::string* err) {
  auto pipe = make_pipe();
  EXPECT_TRUE(pipe.ok());
  EXPECT_TRUE(write_all(pipe->write.get(), input.data(), input.size()).ok());
  pipe->write.reset();
  testing::internal::CaptureStderr();
  auto result = prompt_passphrase(pipe->read.get());
  *err = testing::internal::GetCapturedStderr();
  return result;
}

TEST(PromptPassphrase, ReturnsTheStrippedLineWhenBothAnswersMatch) {
  std::string err;
  auto password = prompt_with("  my pass\\word \n my pass\\word\nrest", &err);
  ASSERT_TRUE(password.ok()) << password.error().message;
  EXPECT_EQ(password->view(), "my pass\\word");
}

TEST(PromptPassphrase, AcceptsALastLineWithoutNewline) {
  std::string err;
  auto password = prompt_with("abc\nabc", &err);
  ASSERT_TRUE(password.ok());
  EXPECT_EQ(password->view(), "abc");
}

TEST(PromptPassphrase, FailsOnAMismatchWhenInputIsNotATerminal) {
  std::string err;
  auto password = prompt_with("one\ntwo\none\none\n", &err);
  ASSERT_FALSE(password.ok());
  EXPECT_EQ(password.error().code, 1);
  EXPECT_THAT(err, HasSubstr("Passphrase mismatch\n"));
}

TEST(PromptPassphrase, FailsAtEndOfInput) {
  std::string err;
  auto password = prompt_with("only once\n", &err);
  ASSERT_FALSE(password.ok());
  EXPECT_THAT(password.error().message, HasSubstr("end of input"));
}

}  // namespace
}  // namespace mandos::keygen
