#include "text.hpp"

#include <gtest/gtest.h>

namespace mandos::ctl {
namespace {

TEST(PythonRepr, QuotesWithSingleQuotesByDefault) {
  EXPECT_EQ(python_repr("foo"), "'foo'");
  EXPECT_EQ(python_repr(""), "''");
}

TEST(PythonRepr, SwitchesToDoubleQuotesOnlyWhenTheTextHasSingleButNoDoubleQuotes) {
  EXPECT_EQ(python_repr("it's"), "\"it's\"");
  EXPECT_EQ(python_repr("it's \"x\""), "'it\\'s \"x\"'");
}

TEST(PythonRepr, EscapesBackslashAndControlCharacters) {
  EXPECT_EQ(python_repr("a\\b"), "'a\\\\b'");
  EXPECT_EQ(python_repr("\t\n\r"), "'\\t\\n\\r'");
  EXPECT_EQ(python_repr(std::string("\x01\x1f\x7f", 3)), "'\\x01\\x1f\\x7f'");
}

TEST(PythonRepr, KeepsPrintableNonAsciiAndEscapesInvisibleCharacters) {
  EXPECT_EQ(python_repr("h\xc3\xb4st \xf0\x9f\x98\x80"), "'h\xc3\xb4st \xf0\x9f\x98\x80'");
  EXPECT_EQ(python_repr("\xc2\xa0"), "'\\xa0'");           // NO-BREAK SPACE
  EXPECT_EQ(python_repr("\xc2\x85"), "'\\x85'");           // C1 control
  EXPECT_EQ(python_repr("\xe2\x80\x8b"), "'\\u200b'");     // ZERO WIDTH SPACE
  EXPECT_EQ(python_repr("\xf3\xa0\x80\x81"), "'\\U000e0001'");  // LANGUAGE TAG
}

TEST(PythonRepr, ShowsInvalidUtf8AsSurrogateEscapes) {
  EXPECT_EQ(python_repr("a\xff"), "'a\\udcff'");
  EXPECT_EQ(python_repr("\xc3"), "'\\udcc3'");
}

TEST(CodePointCount, CountsCharactersNotBytes) {
  EXPECT_EQ(code_point_count("h\xc3\xb4st-\xc3\xbc.example"), 14u);
  EXPECT_EQ(code_point_count("\xf0\x9f\x98\x80"), 1u);
  EXPECT_EQ(code_point_count(""), 0u);
}

TEST(IsValidUtf8, RejectsOverlongSurrogatesAndTruncatedSequences) {
  EXPECT_TRUE(is_valid_utf8("plain \xc3\xbc \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // U+D800
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(JsonString, EscapesLikePythonEnsureAscii) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("q\"b\\"), "\"q\\\"b\\\\\"");
  EXPECT_EQ(json_string("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(json_string(std::string("\x00\x1f\x7f", 3)), "\"\\u0000\\u001f\\u007f\"");
  EXPECT_EQ(json_string("\xc3\xbc\xe2\x82\xac"), "\"\\u00fc\\u20ac\"");
}

TEST(JsonString, WritesAstralCharactersAsSurrogatePairs) {
  EXPECT_EQ(json_string("\xf0\x9f\x98\x80"), "\"\\ud83d\\ude00\"");
}

TEST(PythonFloat, MatchesPythonRepr) {
  EXPECT_EQ(python_float(1.0), "1.0");
  EXPECT_EQ(python_float(0.5), "0.5");
  EXPECT_EQ(python_float(-2.25), "-2.25");
  EXPECT_EQ(python_float(1e16), "1e+16");
  EXPECT_EQ(python_float(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float(0.0001), "0.0001");
  EXPECT_EQ(python_float(0.00001), "1e-05");
  EXPECT_EQ(python_float(0.1), "0.1");
}

}  // namespace
}  // namespace mandos::ctl
