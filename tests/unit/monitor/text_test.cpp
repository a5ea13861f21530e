#include "text.hpp"

#include <gtest/gtest.h>

#include <clocale>
#include <string>
#include <vector>

namespace mandos::monitor {
namespace {

class TextTest : public ::testing::Test {
 protected:
  // Character widths come from the C library's UTF-8 tables.
  void SetUp() override { ASSERT_NE(std::setlocale(LC_CTYPE, "C.UTF-8"), nullptr); }
  void TearDown() override { std::setlocale(LC_CTYPE, "C"); }
};

TEST_F(TextTest, DecodesUtf8) {
  EXPECT_EQ(to_display("h\xc3\xa5ll\xe2\x94\x80", true), L"h\u00e5ll\u2500");
}

TEST_F(TextTest, ReplacesInvalidUtf8) {
  EXPECT_EQ(to_display("a\xff" "b", true), L"a\ufffdb");
  EXPECT_EQ(to_display("\xc3", true), L"\ufffd");
  EXPECT_EQ(to_display("\xc0\x80", true), L"\ufffd");          // overlong NUL
  EXPECT_EQ(to_display("\xed\xa0\x80", true), L"\ufffd");      // surrogate
  EXPECT_EQ(to_display("\xf4\x90\x80\x80", true), L"\ufffd");  // above U+10FFFF
}

TEST_F(TextTest, NeverPassesControlCharactersToTheTerminal) {
  EXPECT_EQ(to_display("a\nb\tc\x1b[2J\x7f", true), L"a?b?c?[2J?");
  EXPECT_EQ(to_display("\xc2\x9b", true), L"?");  // C1 CSI
}

TEST_F(TextTest, ReplacesNonAsciiWithoutUnicode) {
  EXPECT_EQ(to_display("h\xc3\xa5l", false), L"h?l");
}

TEST_F(TextTest, MeasuresWideAndCombiningCharacters) {
  EXPECT_EQ(text_width(L"ab"), 2);
  EXPECT_EQ(text_width(L"\u65e5\u672c"), 4);
  EXPECT_EQ(text_width(L"e\u0301"), 1);
}

TEST_F(TextTest, WrapsAnywhereInAnyMode) {
  EXPECT_EQ(wrap(L"abcdefg", 3, false), (std::vector<std::wstring>{L"abc", L"def", L"g"}));
  EXPECT_EQ(wrap(L"ab cd", 3, false), (std::vector<std::wstring>{L"ab ", L"cd"}));
}

TEST_F(TextTest, WrapsAtSpacesInSpaceMode) {
  EXPECT_EQ(wrap(L"alpha: A checker has failed", 12, true),
            (std::vector<std::wstring>{L"alpha: A", L"checker has", L"failed"}));
  EXPECT_EQ(wrap(L"abcdefgh ij", 4, true),
            (std::vector<std::wstring>{L"abcd", L"efgh", L"ij"}));
}

TEST_F(TextTest, KeepsWideCharactersWhole) {
  EXPECT_EQ(wrap(L"a\u65e5\u672c", 2, false),
            (std::vector<std::wstring>{L"a", L"\u65e5", L"\u672c"}));
  EXPECT_EQ(clip(L"a\u65e5b", 2), L"a");
}

TEST_F(TextTest, EmptyTextIsOneEmptyRow) {
  EXPECT_EQ(wrap(L"", 10, true), std::vector<std::wstring>{L""});
}

}  // namespace
}  // namespace mandos::monitor
