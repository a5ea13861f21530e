// Expected values come from the reference's own doctests (mandos, mandos-ctl
// 1.8.x) and from CPython 3.11 (str(timedelta), total_seconds()*1000, int());
// they are written out here, the tests never run Python.
#include "mandos/duration.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace mandos {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::weeks;
using testing::HasSubstr;
using testing::StartsWith;

constexpr std::int64_t kMaxUs = std::numeric_limits<std::int64_t>::max();

microseconds rfc(std::string_view text) {
  Result<microseconds> value = parse_rfc3339_duration(text);
  EXPECT_TRUE(value.ok()) << text << ": " << value.error().message;
  return value.ok() ? *value : microseconds{-424242};
}

std::string rfc_error(std::string_view text) {
  Result<microseconds> value = parse_rfc3339_duration(text);
  EXPECT_FALSE(value.ok()) << text << " parsed as " << value->count();
  return value.ok() ? "" : value.error().message;
}

microseconds legacy(std::string_view text) {
  Result<microseconds> value = parse_legacy_interval(text);
  EXPECT_TRUE(value.ok()) << text << ": " << value.error().message;
  return value.ok() ? *value : microseconds{-424242};
}

std::string legacy_error(std::string_view text) {
  Result<microseconds> value = parse_legacy_interval(text);
  EXPECT_FALSE(value.ok()) << text << " parsed as " << value->count();
  return value.ok() ? "" : value.error().message;
}

std::string duration_error(std::string_view text) {
  Result<microseconds> value = parse_duration(text);
  EXPECT_FALSE(value.ok()) << text << " parsed as " << value->count();
  return value.ok() ? "" : value.error().message;
}

// --- RFC 3339 ---------------------------------------------------------------

TEST(DurationRfc3339, AcceptsTheReferenceDoctestExamples) {
  EXPECT_EQ(rfc("P7D"), days(7));
  EXPECT_EQ(rfc("PT60S"), seconds(60));
  EXPECT_EQ(rfc("PT60M"), hours(1));
  EXPECT_EQ(rfc("P60M"), days(1680));
  EXPECT_EQ(rfc("PT24H"), days(1));
  EXPECT_EQ(rfc("P1W"), days(7));
  EXPECT_EQ(rfc("PT5M30S"), seconds(330));
  EXPECT_EQ(rfc("P1DT3M20S"), days(1) + seconds(200));
}

TEST(DurationRfc3339, CountsAMonthAsTwentyEightDaysAndAYearAs364) {
  EXPECT_EQ(rfc("P1M"), days(28));
  EXPECT_EQ(rfc("P1Y"), days(364));
  EXPECT_EQ(rfc("P2Y"), days(728));
  EXPECT_EQ(rfc("P1Y1M"), days(392));
  EXPECT_EQ(rfc("P1Y1M1D"), days(393));
  EXPECT_EQ(rfc("P1M1D"), days(29));
}

TEST(DurationRfc3339, AcceptsEveryChainOfDateAndTimeUnits) {
  EXPECT_EQ(rfc("P1Y1M1DT1H1M1S"), days(393) + hours(1) + minutes(1) + seconds(1));
  EXPECT_EQ(rfc("P1DT1H"), days(1) + hours(1));
  EXPECT_EQ(rfc("P1DT1S"), days(1) + seconds(1));
  EXPECT_EQ(rfc("PT1H1M"), hours(1) + minutes(1));
  EXPECT_EQ(rfc("PT1H0M1S"), hours(1) + seconds(1));
  EXPECT_EQ(rfc("PT1M1S"), seconds(61));
  EXPECT_EQ(rfc("PT2H"), hours(2));
  EXPECT_EQ(rfc("P1Y0M1D"), days(365));
}

TEST(DurationRfc3339, AcceptsZerosAndLeadingZeros) {
  EXPECT_EQ(rfc("PT0S"), microseconds(0));
  EXPECT_EQ(rfc("P0D"), microseconds(0));
  EXPECT_EQ(rfc("P0W"), microseconds(0));
  EXPECT_EQ(rfc("PT007M"), minutes(7));
}

TEST(DurationRfc3339, ToleratesExactlyOneTrailingLineFeed) {
  EXPECT_EQ(rfc("PT5M\n"), minutes(5));
  EXPECT_EQ(rfc("P1W\n"), weeks(1));
  EXPECT_EQ(rfc("P1DT2H\n"), days(1) + hours(2));
  EXPECT_THAT(rfc_error("PT5M\n\n"), HasSubstr("unexpected \"\\n\""));
  EXPECT_THAT(rfc_error("PT5M\r\n"), HasSubstr("unexpected \"\\x0d\""));
  EXPECT_THAT(rfc_error("\n"), HasSubstr("it is empty"));
  EXPECT_THAT(rfc_error("P\n"), HasSubstr("it ends after \"P\""));
}

TEST(DurationRfc3339, RejectsTheFormsTheReferenceRejects) {
  for (const char* text :
       {"", "P", "PT", "P1D2W", "PT1S2M", "p1d", "PT1.5S", "P1W2D", "1D",
        "P1H2S", "P2W2H", "P1DT", "PT5m", "P-1D", "P+1D", "PT1_0S", "P1DT1D",
        "PT1HT1M", "P1D1D", "P1Y1Y", "PT5", " PT5M", "PT5M ", "P1W1W", "PT1S1S",
        "P1DT1H1H", "PTS", "P D", "P1,5D", "P\xd9\xa5" "D"}) {
    EXPECT_FALSE(parse_rfc3339_duration(text).ok()) << text;
  }
}

TEST(DurationRfc3339, RejectsChainsThatSkipAUnitLikeTheReference) {
  EXPECT_THAT(rfc_error("P1Y1D"),
              HasSubstr("\"1D\" cannot follow \"1Y\"; expected months (nM) or the end"));
  EXPECT_THAT(rfc_error("PT1H1S"),
              HasSubstr("\"1S\" cannot follow \"1H\"; expected minutes (nM) or the end"));
}

TEST(DurationRfc3339, RejectsATimePartAfterYearsOrMonthsLikeTheReference) {
  EXPECT_THAT(rfc_error("P1YT1H"), HasSubstr("\"T\" cannot follow \"1Y\""));
  EXPECT_THAT(rfc_error("P1MT1H"),
              HasSubstr("\"T\" cannot follow \"1M\"; expected days (nD) or the end"));
  EXPECT_THAT(rfc_error("P1Y1MT1H"), HasSubstr("\"T\" cannot follow \"1M\""));
}

TEST(DurationRfc3339, ExplainsAnEmptyOrBareDesignator) {
  EXPECT_EQ(rfc_error(""), "invalid RFC 3339 duration \"\": it is empty");
  EXPECT_EQ(rfc_error("P"),
            "invalid RFC 3339 duration \"P\": it ends after \"P\"; expected "
            "years (nY), months (nM), days (nD), weeks (nW) or the time part (T...)");
  EXPECT_EQ(rfc_error("PT"),
            "invalid RFC 3339 duration \"PT\": it ends after \"T\"; expected "
            "hours (nH), minutes (nM) or seconds (nS)");
  EXPECT_THAT(rfc_error("P1DT"), HasSubstr("it ends after \"T\""));
}

TEST(DurationRfc3339, ExplainsUnitsOutOfOrder) {
  EXPECT_EQ(rfc_error("P1D2W"),
            "invalid RFC 3339 duration \"P1D2W\": \"2W\" cannot follow \"1D\"; "
            "expected the time part (T...) or the end");
  EXPECT_THAT(rfc_error("PT1S2M"), HasSubstr("\"2M\" cannot follow \"1S\"; expected the end"));
  EXPECT_THAT(rfc_error("P1W2D"), HasSubstr("\"2D\" cannot follow \"1W\""));
  EXPECT_THAT(rfc_error("P2W2H"), HasSubstr("\"2H\" needs the time marker"));
  EXPECT_THAT(rfc_error("P1DT1D"), HasSubstr("\"1D\" cannot follow \"T\""));
}

TEST(DurationRfc3339, ExplainsTimeUnitsWithoutTheTimeMarker) {
  EXPECT_THAT(rfc_error("P1H2S"),
              HasSubstr("\"1H\" needs the time marker before it (PT1H)"));
  EXPECT_THAT(rfc_error("P5S"), HasSubstr("\"5S\" needs the time marker"));
}

TEST(DurationRfc3339, ExplainsCaseFractionsAndStrayCharacters) {
  EXPECT_THAT(rfc_error("p1d"), HasSubstr("the leading \"P\" must be uppercase"));
  EXPECT_THAT(rfc_error("P1d"), HasSubstr("\"1d\": units must be uppercase"));
  EXPECT_THAT(rfc_error("PT1.5S"), HasSubstr("\"1.\": fractions are not allowed"));
  EXPECT_THAT(rfc_error("PT1X"), HasSubstr("\"1X\": unknown unit \"X\""));
  EXPECT_THAT(rfc_error("PT5"), HasSubstr("the number \"5\" has no unit"));
  EXPECT_THAT(rfc_error("P-1D"),
              HasSubstr("unexpected \"-\" after \"P\""));
  EXPECT_THAT(rfc_error("1D"), HasSubstr("it must start with \"P\""));
}

TEST(DurationRfc3339, QuotesControlCharactersAndCutsLongInput) {
  EXPECT_THAT(rfc_error("P\x01"), StartsWith("invalid RFC 3339 duration \"P\\x01\":"));
  const std::string error = rfc_error("PT" + std::string(200, '1') + "Q");
  EXPECT_THAT(error, HasSubstr("...\""));
  EXPECT_LT(error.size(), 250u);
}

TEST(DurationRfc3339, ReportsOverflowAsAnError) {
  EXPECT_EQ(rfc("PT9223372036854S"), seconds(9223372036854));
  EXPECT_THAT(rfc_error("PT9223372036855S"),
              HasSubstr("the duration is too large (at \"9223372036855S\")"));
  EXPECT_THAT(rfc_error("PT99999999999999999999S"), HasSubstr("is too large"));
  EXPECT_THAT(rfc_error("P99999999999999D"), HasSubstr("too large"));
  EXPECT_THAT(rfc_error("P25000000Y"), HasSubstr("too large"));
  // Each part fits, the sum does not.
  EXPECT_THAT(rfc_error("P106751991DT4H0M55S"), HasSubstr("too large (at \"55S\")"));
  EXPECT_EQ(rfc("P106751991DT4H0M54S"), seconds(9223372036854));
}

// --- legacy interval --------------------------------------------------------

TEST(DurationLegacy, AcceptsTheReferenceDoctestExamples) {
  EXPECT_EQ(legacy("7d"), days(7));
  EXPECT_EQ(legacy("60s"), seconds(60));
  EXPECT_EQ(legacy("60m"), hours(1));
  EXPECT_EQ(legacy("24h"), days(1));
  EXPECT_EQ(legacy("1w"), days(7));
  EXPECT_EQ(legacy("5m 30s"), seconds(330));
}

TEST(DurationLegacy, SumsTokensSeparatedByAnyWhitespace) {
  EXPECT_EQ(legacy("1d 2h 3m 4s"), days(1) + hours(2) + minutes(3) + seconds(4));
  EXPECT_EQ(legacy("  5m\t30s\n"), seconds(330));
  EXPECT_EQ(legacy("5m 5m 5m"), minutes(15));
  EXPECT_EQ(legacy("5m\x1c" "30s"), seconds(330));        // Python isspace()
  EXPECT_EQ(legacy("5m\xc2\xa0" "30s"), seconds(330));     // U+00A0
  EXPECT_EQ(legacy("5m\xe2\x80\x83" "30s"), seconds(330)); // U+2003
  EXPECT_EQ(legacy("5m\xe3\x80\x80" "30s"), seconds(330)); // U+3000
}

TEST(DurationLegacy, TreatsBlankTextAsZero) {
  EXPECT_EQ(legacy(""), microseconds(0));
  EXPECT_EQ(legacy("   "), microseconds(0));
  EXPECT_EQ(legacy("\t\n"), microseconds(0));
}

TEST(DurationLegacy, AcceptsPythonIntSignsUnderscoresAndLeadingZeros) {
  EXPECT_EQ(legacy("-5m"), minutes(-5));
  EXPECT_EQ(legacy("+5m"), minutes(5));
  EXPECT_EQ(legacy("1_0s"), seconds(10));
  EXPECT_EQ(legacy("1_000s"), seconds(1000));
  EXPECT_EQ(legacy("+1_0_0s"), seconds(100));
  EXPECT_EQ(legacy("010s"), seconds(10));
  EXPECT_EQ(legacy("-0s"), microseconds(0));
  EXPECT_EQ(legacy("1d -1h"), hours(23));
}

TEST(DurationLegacy, RejectsBadUnderscoresAndSignsLikePythonInt) {
  for (const char* text : {"_1s", "1_s", "1__0s", "-_1s", "+-1s", "--1s", "-s",
                           "5.5m", "0x10s", "1e3s", "\xd9\xa5s"}) {
    EXPECT_THAT(legacy_error(text), HasSubstr("is not a whole number")) << text;
  }
}

TEST(DurationLegacy, RejectsTheCompactFormWithAHint) {
  EXPECT_EQ(legacy_error("1d2h3m4s"),
            "invalid interval \"1d2h3m4s\": token \"1d2h3m4s\": units must be "
            "separated by spaces, e.g. \"1d 2h 3m 4s\"");
  EXPECT_THAT(legacy_error("5m 1d2h"), HasSubstr("token \"1d2h\": units must be separated"));
}

TEST(DurationLegacy, NamesTheTokenWithAnUnknownOrMissingUnit) {
  EXPECT_EQ(legacy_error("5m 5x"),
            "invalid interval \"5m 5x\": token \"5x\": unknown unit \"x\" "
            "(expected s, m, h, d or w)");
  EXPECT_THAT(legacy_error("5M"), HasSubstr("token \"5M\": unknown unit \"M\""));
  EXPECT_THAT(legacy_error("PT5M"), HasSubstr("unknown unit \"M\""));
  EXPECT_THAT(legacy_error("5\xc2\xb5"), HasSubstr("unknown unit \"\xc2\xb5\""));
  EXPECT_THAT(legacy_error("5"), HasSubstr("token \"5\": missing unit"));
  EXPECT_THAT(legacy_error("55"), HasSubstr("token \"55\": missing unit"));
  EXPECT_THAT(legacy_error("5 m"), HasSubstr("token \"5\": missing unit"));
  EXPECT_THAT(legacy_error("m"), HasSubstr("token \"m\": missing number before the unit"));
}

TEST(DurationLegacy, ReportsOverflowAsAnError) {
  EXPECT_EQ(legacy("15250284w"), weeks(15250284));
  EXPECT_THAT(legacy_error("15250285w"),
              HasSubstr("token \"15250285w\": the duration is too large"));
  EXPECT_THAT(legacy_error("15250284w 15250284w"),
              HasSubstr("the duration is too large"));
  EXPECT_THAT(legacy_error("99999999999999999999s"),
              HasSubstr("the number is too large"));
  EXPECT_EQ(legacy("-15250284w"), weeks(-15250284));
}

// --- parse_duration ---------------------------------------------------------

TEST(DurationParse, TriesRfc3339FirstThenTheLegacySyntax) {
  EXPECT_EQ(*parse_duration("PT5M"), minutes(5));
  EXPECT_EQ(*parse_duration("P1DT2H"), days(1) + hours(2));
  EXPECT_EQ(*parse_duration("5m"), minutes(5));
  EXPECT_EQ(*parse_duration("1d 2h"), days(1) + hours(2));
  EXPECT_EQ(*parse_duration("-5m"), minutes(-5));
  EXPECT_EQ(*parse_duration(""), microseconds(0));
  EXPECT_EQ(*parse_duration("PT2M\n"), minutes(2));
}

TEST(DurationParse, ErrorListsTheAcceptedFormsAndTheProblem) {
  EXPECT_EQ(duration_error("5x"),
            "invalid duration \"5x\": expected an RFC 3339 duration like PT5M or "
            "P1DT2H, or an interval like \"5m 30s\" (token \"5x\": unknown unit "
            "\"x\" (expected s, m, h, d or w))");
}

TEST(DurationParse, ExplainsAnRfc3339LookingValueAsRfc3339) {
  EXPECT_THAT(duration_error("P1D2W"),
              HasSubstr("(as RFC 3339: \"2W\" cannot follow \"1D\""));
  EXPECT_THAT(duration_error("PT1S2M"), HasSubstr("as RFC 3339: \"2M\" cannot follow"));
  EXPECT_THAT(duration_error("p1d"), HasSubstr("must be uppercase"));
}

TEST(DurationParse, ExplainsACompactLegacyValue) {
  EXPECT_THAT(duration_error("1d2h3m4s"),
              HasSubstr("units must be separated by spaces"));
}

// --- mandos-ctl -------------------------------------------------------------

TEST(DurationCtlInterval, SumsEveryNumberWithOrWithoutAUnit) {
  EXPECT_EQ(parse_ctl_interval("1d2h3m4s"),
            days(1) + hours(2) + minutes(3) + seconds(4));
  // Reference doctest: timedelta(2, 480, 18000).
  EXPECT_EQ(parse_ctl_interval("2dxy7zz11y3m5m"),
            days(2) + seconds(480) + microseconds(18000));
  EXPECT_EQ(parse_ctl_interval("5m 30s"), seconds(330));
  EXPECT_EQ(parse_ctl_interval("7d"), days(7));
  EXPECT_EQ(parse_ctl_interval("1w"), days(7));
  EXPECT_EQ(parse_ctl_interval("24h"), days(1));
}

TEST(DurationCtlInterval, ReadsABareNumberAsMilliseconds) {
  EXPECT_EQ(parse_ctl_interval("500"), milliseconds(500));
  EXPECT_EQ(parse_ctl_interval("1M"), milliseconds(1));
  EXPECT_EQ(parse_ctl_interval("1.5s"), milliseconds(1) + seconds(5));
}

TEST(DurationCtlInterval, NeverFailsAndIgnoresEverythingElse) {
  EXPECT_EQ(parse_ctl_interval(""), microseconds(0));
  EXPECT_EQ(parse_ctl_interval("garbage"), microseconds(0));
  EXPECT_EQ(parse_ctl_interval("-5m"), minutes(5));
  EXPECT_EQ(parse_ctl_interval("\xd9\xa5" "s"), microseconds(0));
}

TEST(DurationCtlInterval, SaturatesInsteadOfOverflowing) {
  EXPECT_EQ(parse_ctl_interval("99999999999999999999999w"), microseconds(kMaxUs));
  EXPECT_EQ(parse_ctl_interval("15250284w 15250284w"), microseconds(kMaxUs));
}

TEST(DurationCtlTime, UsesRfc3339WhenItParses) {
  const CtlTime time = parse_ctl_time("PT5M");
  EXPECT_EQ(time.value, minutes(5));
  EXPECT_FALSE(time.used_legacy);
}

TEST(DurationCtlTime, FallsBackToTheLenientParserAndSaysSo) {
  CtlTime time = parse_ctl_time("5m");
  EXPECT_EQ(time.value, minutes(5));
  EXPECT_TRUE(time.used_legacy);
  time = parse_ctl_time("");
  EXPECT_EQ(time.value, microseconds(0));
  EXPECT_TRUE(time.used_legacy);
  // Uppercase units are not legacy units: 1 ms + 2 ms.
  time = parse_ctl_time("P1D2W");
  EXPECT_EQ(time.value, milliseconds(3));
  EXPECT_TRUE(time.used_legacy);
}

// --- formatting ---------------------------------------------------------------

TEST(DurationCtlFormat, PrintsTwoDigitFieldsAndADayPrefix) {
  EXPECT_EQ(format_ctl_duration(milliseconds(300000)), "00:05:00");
  EXPECT_EQ(format_ctl_duration(milliseconds(93785000)), "1T02:03:05");
  EXPECT_EQ(format_ctl_duration(milliseconds(0)), "00:00:00");
  EXPECT_EQ(format_ctl_duration(milliseconds(86400000)), "1T00:00:00");
  EXPECT_EQ(format_ctl_duration(milliseconds(864005000)), "10T00:00:05");
  EXPECT_EQ(format_ctl_duration(milliseconds(90000000)), "1T01:00:00");
}

TEST(DurationCtlFormat, DropsTheSubSecondPart) {
  EXPECT_EQ(format_ctl_duration(milliseconds(999)), "00:00:00");
  EXPECT_EQ(format_ctl_duration(milliseconds(8726399999)), "100T23:59:59");
}

TEST(DurationCtlFormat, FloorsNegativeValuesLikePython) {
  EXPECT_EQ(format_ctl_duration(milliseconds(-1000)), "-1T23:59:59");
  EXPECT_EQ(format_ctl_duration(milliseconds(-1)), "-1T23:59:59");
}

TEST(DurationPythonFormat, MatchesPythonStr) {
  EXPECT_EQ(format_python_timedelta(minutes(2)), "0:02:00");
  EXPECT_EQ(format_python_timedelta(days(1) + seconds(5)), "1 day, 0:00:05");
  EXPECT_EQ(format_python_timedelta(days(2) + hours(3) + minutes(4) + seconds(5)),
            "2 days, 3:04:05");
  EXPECT_EQ(format_python_timedelta(microseconds(500000)), "0:00:00.500000");
  EXPECT_EQ(format_python_timedelta(microseconds(0)), "0:00:00");
  EXPECT_EQ(format_python_timedelta(days(1)), "1 day, 0:00:00");
  EXPECT_EQ(format_python_timedelta(hours(25)), "1 day, 1:00:00");
  EXPECT_EQ(format_python_timedelta(microseconds(1)), "0:00:00.000001");
  EXPECT_EQ(format_python_timedelta(microseconds(86399999999)), "23:59:59.999999");
  EXPECT_EQ(format_python_timedelta(days(10000) + seconds(59)), "10000 days, 0:00:59");
  EXPECT_EQ(format_python_timedelta(days(999999) + microseconds(1)),
            "999999 days, 0:00:00.000001");
}

TEST(DurationPythonFormat, MatchesPythonStrForNegativeValues) {
  EXPECT_EQ(format_python_timedelta(seconds(-5)), "-1 day, 23:59:55");
  EXPECT_EQ(format_python_timedelta(days(-2)), "-2 days, 0:00:00");
  EXPECT_EQ(format_python_timedelta(days(-1)), "-1 day, 0:00:00");
  EXPECT_EQ(format_python_timedelta(microseconds(-1)), "-1 day, 23:59:59.999999");
  EXPECT_EQ(format_python_timedelta(days(-3) + hours(1) + microseconds(7)),
            "-3 days, 1:00:00.000007");
  EXPECT_EQ(format_python_timedelta(microseconds(-86400000001)),
            "-2 days, 23:59:59.999999");
}

TEST(DurationPythonFormat, HandlesTheInt64Extremes) {
  EXPECT_EQ(format_python_timedelta(microseconds(kMaxUs)),
            "106751991 days, 4:00:54.775807");
  EXPECT_EQ(format_python_timedelta(microseconds(std::numeric_limits<std::int64_t>::min())),
            "-106751992 days, 19:59:05.224192");
}

TEST(DurationRfc3339Format, WritesCanonicalForms) {
  EXPECT_EQ(format_rfc3339_duration(microseconds(0)), "PT0S");
  EXPECT_EQ(format_rfc3339_duration(minutes(5)), "PT5M");
  EXPECT_EQ(format_rfc3339_duration(days(1) + hours(2) + minutes(3) + seconds(4)),
            "P1DT2H3M4S");
  EXPECT_EQ(format_rfc3339_duration(days(1)), "P1D");
  EXPECT_EQ(format_rfc3339_duration(weeks(1)), "P7D");
  EXPECT_EQ(format_rfc3339_duration(hours(1)), "PT1H");
  EXPECT_EQ(format_rfc3339_duration(days(1) + seconds(5)), "P1DT5S");
  EXPECT_EQ(format_rfc3339_duration(days(1) + hours(1)), "P1DT1H");
  EXPECT_EQ(format_rfc3339_duration(microseconds(kMaxUs)), "P106751991DT4H0M54S");
}

TEST(DurationRfc3339Format, KeepsZeroMinutesBetweenHoursAndSeconds) {
  EXPECT_EQ(format_rfc3339_duration(seconds(3605)), "PT1H0M5S");
  EXPECT_EQ(format_rfc3339_duration(days(2) + hours(1) + seconds(1)), "P2DT1H0M1S");
}

TEST(DurationRfc3339Format, DropsTheSubSecondPart) {
  EXPECT_EQ(format_rfc3339_duration(microseconds(999999)), "PT0S");
  EXPECT_EQ(format_rfc3339_duration(microseconds(1500000)), "PT1S");
}

TEST(DurationRfc3339Format, WritesNegativeValuesInTheLegacySyntax) {
  EXPECT_EQ(format_rfc3339_duration(seconds(-300)), "-300s");
  EXPECT_EQ(format_rfc3339_duration(microseconds(-500000)), "PT0S");
  EXPECT_EQ(format_rfc3339_duration(microseconds(std::numeric_limits<std::int64_t>::min())),
            "-9223372036854s");
}

TEST(DurationRfc3339Format, RoundTripsThroughTheParsersToWholeSeconds) {
  const std::vector<microseconds> values = {
      microseconds(0),     seconds(1),          seconds(59),
      minutes(1),          seconds(61),         hours(1),
      seconds(3601),       seconds(3661),       days(1),
      days(1) + seconds(1), weeks(3) + hours(5), days(364),
      days(400) + hours(23) + minutes(59) + seconds(59),
      microseconds(1234567890123), microseconds(kMaxUs),
      seconds(-1),         days(-3) - seconds(7), microseconds(-1500000)};
  for (const microseconds value : values) {
    const std::string text = format_rfc3339_duration(value);
    const microseconds whole = value - value % seconds(1);
    Result<microseconds> back = parse_duration(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
    EXPECT_EQ(*back, whole) << text;
    if (value >= microseconds(0)) {
      EXPECT_EQ(rfc(text), whole) << text;
    }
  }
}

// --- milliseconds -------------------------------------------------------------

TEST(DurationMilliseconds, TruncateLikeTheReferenceDbusGetters) {
  EXPECT_EQ(to_milliseconds(seconds(300)), 300000);
  EXPECT_EQ(to_milliseconds(microseconds(1500)), 1);
  EXPECT_EQ(to_milliseconds(microseconds(999)), 0);
  EXPECT_EQ(to_milliseconds(microseconds(1001001)), 1001);
  EXPECT_EQ(to_milliseconds(microseconds(-1500)), -1);
  EXPECT_EQ(to_milliseconds(days(7)), 604800000);
}

TEST(DurationMilliseconds, KeepTheReferenceFloatingPointQuirk) {
  // Python: timedelta(milliseconds=1001).total_seconds() * 1000
  //         == 1000.9999999999999, so the reference reports 1000.
  EXPECT_EQ(to_milliseconds(milliseconds(1001)), 1000);
  EXPECT_EQ(to_milliseconds(milliseconds(1003)), 1002);
  EXPECT_EQ(to_milliseconds(milliseconds(1000)), 1000);
}

TEST(DurationMilliseconds, RoundHalfToEvenLikeMandosCtl) {
  EXPECT_EQ(to_milliseconds_nearest(milliseconds(1001)), 1001);
  EXPECT_EQ(to_milliseconds_nearest(microseconds(1500)), 2);
  EXPECT_EQ(to_milliseconds_nearest(microseconds(2500)), 2);
  EXPECT_EQ(to_milliseconds_nearest(microseconds(3500)), 4);
  EXPECT_EQ(to_milliseconds_nearest(microseconds(500)), 0);
  EXPECT_EQ(to_milliseconds_nearest(microseconds(999)), 1);
  EXPECT_EQ(to_milliseconds_nearest(microseconds(-1500)), -2);
}

TEST(DurationMilliseconds, ConvertDbusWritesExactlyAndRejectOverflow) {
  EXPECT_EQ(*from_milliseconds(1500), microseconds(1500000));
  EXPECT_EQ(*from_milliseconds(-5), microseconds(-5000));
  EXPECT_EQ(*from_milliseconds(9223372036854775), microseconds(9223372036854775000));
  Result<microseconds> too_large = from_milliseconds(9223372036854776);
  ASSERT_FALSE(too_large.ok());
  EXPECT_THAT(too_large.error().message,
              HasSubstr("duration of 9223372036854776 ms is too large"));
  EXPECT_FALSE(from_milliseconds(std::numeric_limits<std::int64_t>::min()).ok());
}

}  // namespace
}  // namespace mandos
