#include "daemon/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mandos::server {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(StrictBase64, RoundTripsEveryLengthModuloThree) {
  const std::string data = std::string("\x00\xff\x10 binary\n", 10);
  for (size_t length = 0; length <= data.size(); ++length) {
    const std::string part = data.substr(0, length);
    const std::string encoded = base64_encode(part);
    EXPECT_EQ(encoded.size() % 4, 0u);
    auto decoded = base64_decode_strict(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, part);
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
}

TEST(StrictBase64, RefusesWhatTheEncoderNeverWrites) {
  EXPECT_FALSE(base64_decode_strict("aGVsbG8"));     // length
  EXPECT_FALSE(base64_decode_strict("aGVs\nbG8="));  // line break
  EXPECT_FALSE(base64_decode_strict("aG=sbG8="));    // padding inside
  EXPECT_FALSE(base64_decode_strict("aGVsbG*="));    // outside the alphabet
}

TEST(PythonBase64, SkipsCharactersOutsideTheAlphabet) {
  auto decoded = decode_python_base64(" aG\tVs*bG8=\n");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->view(), "hello");
}

TEST(PythonBase64, StopsAtACompletingPad) {
  auto decoded = decode_python_base64("aGk=aGk=");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->view(), "hi");
}

TEST(PythonBase64, RefusesADanglingQuad) {
  EXPECT_FALSE(decode_python_base64("aGk"));
  auto one = decode_python_base64("aGVsb");
  ASSERT_FALSE(one);
  EXPECT_TRUE(contains(one.error().message, "1 more than a multiple of 4"));
}

TEST(PythonBase64, AcceptsEmptyText) {
  auto decoded = decode_python_base64("");
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->empty());
}

TEST(PythonBase64, RefusesNonAsciiTextAsPythonDoes) {
  auto decoded = decode_python_base64("aGVs\xc3\xa9" "bG8=");
  ASSERT_FALSE(decoded);
  EXPECT_TRUE(contains(decoded.error().message, "only ASCII")) << decoded.error().message;
}

}  // namespace
}  // namespace mandos::server
