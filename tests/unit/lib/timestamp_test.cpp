#include "mandos/timestamp.hpp"

#include <gtest/gtest.h>

namespace mandos {
namespace {

using std::chrono::microseconds;

WallTime at(long long seconds, long long micros = 0) {
  return WallTime(microseconds(seconds * 1'000'000 + micros));
}

TEST(Timestamp, FormatsNaiveIsoWithoutFractionWhenMicrosecondsAreZero) {
  EXPECT_EQ(format_iso_naive(at(1549152000)), "2019-02-03T00:00:00");
}

TEST(Timestamp, FormatsNaiveIsoWithSixDigitFraction) {
  EXPECT_EQ(format_iso_naive(at(1549152000, 120000)), "2019-02-03T00:00:00.120000");
}

TEST(Timestamp, FormatsPythonStrFormWithSpaceSeparator) {
  EXPECT_EQ(format_python_str(at(1672628645, 120000)), "2023-01-02 03:04:05.120000");
}

TEST(Timestamp, FormatsRfc3339AlwaysWithFractionAndZone) {
  EXPECT_EQ(format_rfc3339(at(0)), "1970-01-01T00:00:00.000000Z");
}

TEST(Timestamp, FormatsTimesBeforeTheEpoch) {
  EXPECT_EQ(format_iso_naive(at(-1, 500000)), "1969-12-31T23:59:59.500000");
}

TEST(Timestamp, ParsesItsOwnFormatsBack) {
  for (WallTime t : {at(0), at(1549152000, 120000), at(4102444799, 999999)}) {
    EXPECT_EQ(parse_timestamp(format_iso_naive(t)).value(), t);
    EXPECT_EQ(parse_timestamp(format_python_str(t)).value(), t);
    EXPECT_EQ(parse_timestamp(format_rfc3339(t)).value(), t);
  }
}

TEST(Timestamp, AppliesZoneOffsets) {
  EXPECT_EQ(parse_timestamp("2019-02-03T02:00:00+02:00").value(), at(1549152000));
  EXPECT_EQ(parse_timestamp("2019-02-02T23:30:00-00:30").value(), at(1549152000));
}

TEST(Timestamp, TruncatesFractionsFinerThanMicroseconds) {
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00.123456789Z").value(), at(0, 123456));
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00.5").value(), at(0, 500000));
}

TEST(Timestamp, AcceptsLeapDayOnlyInLeapYears) {
  EXPECT_TRUE(parse_timestamp("2024-02-29T00:00:00").ok());
  EXPECT_TRUE(parse_timestamp("2000-02-29T00:00:00").ok());
  EXPECT_FALSE(parse_timestamp("2023-02-29T00:00:00").ok());
  EXPECT_FALSE(parse_timestamp("1900-02-29T00:00:00").ok());
}

TEST(Timestamp, RejectsMalformedTextNamingIt) {
  for (const char* bad : {"", "2019-02-03", "2019-2-03T00:00:00", "2019-02-03T24:00:00",
                          "2019-13-01T00:00:00", "2019-02-03T00:00:00.", "2019-02-03X00:00:00",
                          "2019-02-03T00:00:00+0200", "2019-02-03T00:00:00 junk"}) {
    auto parsed = parse_timestamp(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find(std::string("\"") + bad + "\""), std::string::npos)
        << parsed.error().message;
  }
}

}  // namespace
}  // namespace mandos
