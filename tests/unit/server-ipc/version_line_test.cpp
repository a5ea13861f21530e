#include "worker/version_line.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mandos::server::worker {
namespace {

using ::testing::HasSubstr;

TEST(VersionLine, AcceptsOneAndZero) {
  EXPECT_TRUE(check_version_line("1\r\n"));
  EXPECT_TRUE(check_version_line("0\r\n"));
  EXPECT_TRUE(check_version_line("1\n"));
}

TEST(VersionLine, AcceptsTrailingWordsAfterTheFirstToken) {
  EXPECT_TRUE(check_version_line("1 foo\r\n"));
  EXPECT_TRUE(check_version_line("  \t1\tbar baz\r\n"));
}

TEST(VersionLine, AcceptsWhatPythonIntAcceptsUpToOne) {
  EXPECT_TRUE(check_version_line("+1\r\n"));
  EXPECT_TRUE(check_version_line("-7\r\n"));
  EXPECT_TRUE(check_version_line("0001\r\n"));
  EXPECT_TRUE(check_version_line("0_1\r\n"));
  EXPECT_TRUE(check_version_line("-99999999999999999999999\r\n"));
}

TEST(VersionLine, RejectsVersionsAboveOneQuotingTheLine) {
  auto result = check_version_line("2\r\n");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "'2\\r\\n'");
  EXPECT_FALSE(check_version_line("10\r\n"));
  EXPECT_FALSE(check_version_line("1_0\r\n"));
  EXPECT_FALSE(check_version_line("99999999999999999999999999\r\n"));
  EXPECT_FALSE(check_version_line("00000002\r\n"));
}

TEST(VersionLine, RejectsAnEmptyLine) {
  auto result = check_version_line("\r\n");
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message, HasSubstr("empty version line"));
  EXPECT_FALSE(check_version_line(" \t \n"));
}

TEST(VersionLine, RejectsUnparsableTokensLikePythonInt) {
  auto result = check_version_line("x\r\n");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "invalid literal for int() with base 10: 'x'");
  for (const char* line : {"1.0\n", "0x1\n", "1_\n", "_1\n", "1__0\n", "+\n", "-\n", "1a\n",
                           "\xd9\xa1\n"}) {
    EXPECT_FALSE(check_version_line(line)) << line;
  }
}

TEST(PythonRepr, EscapesControlAndNonAsciiBytes) {
  EXPECT_EQ(python_repr("1\r\n"), "'1\\r\\n'");
  EXPECT_EQ(python_repr(std::string("a\0\x7f\xff\t", 5)), "'a\\x00\\x7f\\xff\\t'");
  EXPECT_EQ(python_repr("it's"), "\"it's\"");
  EXPECT_EQ(python_repr("'\""), "'\\'\"'");
  EXPECT_EQ(python_repr("back\\slash"), "'back\\\\slash'");
}

}  // namespace
}  // namespace mandos::server::worker
