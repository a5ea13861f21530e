// Duration parsing and printing; see mandos/duration.hpp for the contract.
//
// Every parser here works on untrusted text (config files, command lines,
// D-Bus). They run in one pass without allocating except for error messages,
// quote the input escaped and truncated, and check every multiplication and
// addition for int64 overflow instead of wrapping.
#include "mandos/duration.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

namespace mandos {
namespace {

using std::chrono::microseconds;

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kWeek = 7 * kDay;
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

constexpr std::string_view kAcceptedForms =
    "expected an RFC 3339 duration like PT5M or P1DT2H, or an interval like "
    "\"5m 30s\"";

// ---------------------------------------------------------------------------
// Small helpers

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Quotes untrusted text for an error message: control bytes escaped (no log
// injection), long input cut short.
std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(c));
      out += hex;
    } else {
      out += static_cast<char>(c);  // UTF-8 stays readable
    }
  }
  if (text.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

// total += count * unit, or false (total untouched) on int64 overflow.
bool add_product(std::int64_t& total, std::int64_t count, std::int64_t unit) {
  std::int64_t product = 0;
  std::int64_t sum = 0;
  if (__builtin_mul_overflow(count, unit, &product) ||
      __builtin_add_overflow(total, product, &sum)) {
    return false;
  }
  total = sum;
  return true;
}

std::string two_digits(std::int64_t n) {
  std::string s = std::to_string(n);
  if (s.size() < 2) s.insert(s.begin(), '0');
  return s;
}

// Floors like Python's divmod so that the remainder is never negative.
void floor_divmod(std::int64_t value, std::int64_t divisor, std::int64_t& quot,
                  std::int64_t& rem) {
  quot = value / divisor;
  rem = value % divisor;
  if (rem < 0) {
    rem += divisor;
    --quot;
  }
}

// ---------------------------------------------------------------------------
// RFC 3339 (the reference's token table, re-expressed as bit masks)

enum Token : unsigned {
  kYears = 1u << 0,
  kMonths = 1u << 1,
  kDays = 1u << 2,
  kWeeks = 1u << 3,
  kTimeMark = 1u << 4,
  kHours = 1u << 5,
  kMinutes = 1u << 6,
  kSeconds = 1u << 7,
  kEnd = 1u << 8,
};

struct TokenRule {
  Token token;
  std::int64_t unit;   // µs per count; 0 for the time marker
  unsigned followers;  // tokens allowed next
};

// Y = 52 weeks and M = 4 weeks, as in the reference. Year → month → day and
// hour → minute → second may not skip a link; only days take a time part.
constexpr TokenRule kRules[] = {
    {kYears, 364 * kDay, kMonths | kEnd},
    {kMonths, 28 * kDay, kDays | kEnd},
    {kDays, kDay, kTimeMark | kEnd},
    {kWeeks, kWeek, kEnd},
    {kTimeMark, 0, kHours | kMinutes | kSeconds},
    {kHours, kHour, kMinutes | kEnd},
    {kMinutes, kMinute, kSeconds | kEnd},
    {kSeconds, kSecond, kEnd},
};
constexpr unsigned kAfterP = kYears | kMonths | kDays | kWeeks | kTimeMark;

const TokenRule& rule_for(Token token) {
  for (const TokenRule& rule : kRules) {
    if (rule.token == token) return rule;
  }
  return kRules[0];  // unreachable: every Token but kEnd has a rule
}

std::string_view token_name(Token token) {
  switch (token) {
    case kYears: return "years (nY)";
    case kMonths: return "months (nM)";
    case kDays: return "days (nD)";
    case kWeeks: return "weeks (nW)";
    case kTimeMark: return "the time part (T...)";
    case kHours: return "hours (nH)";
    case kMinutes: return "minutes (nM)";
    case kSeconds: return "seconds (nS)";
    case kEnd: return "the end";
  }
  return "";
}

// "a, b or c" for the tokens in mask, in grammar order.
std::string describe(unsigned mask) {
  std::string out;
  unsigned remaining = mask;
  for (unsigned bit = 1; bit <= kEnd; bit <<= 1) {
    if (!(mask & bit)) continue;
    remaining &= ~bit;
    if (!out.empty()) out += remaining ? ", " : " or ";
    out += token_name(static_cast<Token>(bit));
  }
  return out;
}

std::optional<Token> unit_token(char letter, bool in_time) {
  switch (letter) {
    case 'Y': return kYears;
    case 'D': return kDays;
    case 'W': return kWeeks;
    case 'H': return kHours;
    case 'S': return kSeconds;
    case 'M': return in_time ? kMinutes : kMonths;
    default: return std::nullopt;
  }
}

// Why `letter` after a number is not a unit.
std::string bad_unit_reason(std::string_view number_and_letter, char letter) {
  const std::string spelled = quote(number_and_letter);
  if (letter == '.' || letter == ',') {
    return spelled + ": fractions are not allowed";
  }
  if (letter >= 'a' && letter <= 'z' &&
      unit_token(static_cast<char>(letter - 'a' + 'A'), false)) {
    return spelled + ": units must be uppercase";
  }
  return spelled + ": unknown unit " + quote(number_and_letter.substr(
                                           number_and_letter.size() - 1));
}

// Reads "T" or a number and its unit at pos (which holds "T" or a digit);
// returns the reason on failure.
Result<Token> next_rfc3339_token(std::string_view text, std::size_t& pos,
                                 bool in_time, std::int64_t& count) {
  const std::size_t start = pos;
  if (text[pos] == 'T') {
    ++pos;
    return kTimeMark;
  }
  count = 0;
  for (; pos < text.size() && is_digit(text[pos]); ++pos) {
    const int digit = text[pos] - '0';
    if (count > (kMax - digit) / 10) {
      return fail("the number " + quote(text.substr(start, pos + 1 - start)) +
                  "... is too large");
    }
    count = count * 10 + digit;
  }
  if (pos == text.size()) {
    return fail("the number " + quote(text.substr(start)) + " has no unit");
  }
  const std::optional<Token> token = unit_token(text[pos], in_time);
  ++pos;
  if (!token) {
    return fail(bad_unit_reason(text.substr(start, pos - start), text[pos - 1]));
  }
  return *token;
}

// The RFC 3339 parse proper; the error is the bare reason.
Result<microseconds> rfc3339_value(std::string_view text) {
  // The reference matches its end token with Python's `$`, which also
  // matches before one final newline.
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty()) return fail("it is empty");
  if (text[0] != 'P') {
    return fail(text[0] == 'p' ? "the leading \"P\" must be uppercase"
                               : "it must start with \"P\"");
  }
  std::int64_t total = 0;
  unsigned allowed = kAfterP;
  bool in_time = false;
  std::string_view previous = text.substr(0, 1);
  std::size_t pos = 1;
  while (pos < text.size()) {
    const std::size_t start = pos;
    if (text[pos] != 'T' && !is_digit(text[pos])) {
      return fail("unexpected " + quote(text.substr(pos, 1)) + " after " +
                  quote(previous) + "; expected " + describe(allowed));
    }
    std::int64_t count = 0;
    Result<Token> token = next_rfc3339_token(text, pos, in_time, count);
    if (!token) return token.error();
    const std::string_view spelled = text.substr(start, pos - start);
    if (!(allowed & *token)) {
      if (!in_time && (*token == kHours || *token == kSeconds)) {
        return fail(quote(spelled) + " needs the time marker before it (PT" +
                    std::string(spelled) + ")");
      }
      return fail(quote(spelled) + " cannot follow " + quote(previous) +
                  "; expected " + describe(allowed));
    }
    const TokenRule& rule = rule_for(*token);
    if (!add_product(total, count, rule.unit)) {
      return fail("the duration is too large (at " + quote(spelled) + ")");
    }
    in_time = in_time || *token == kTimeMark;
    allowed = rule.followers;
    previous = spelled;
  }
  if (!(allowed & kEnd)) {
    return fail("it ends after " + quote(previous) + "; expected " +
                describe(allowed));
  }
  return microseconds{total};
}

// ---------------------------------------------------------------------------
// Legacy (pre-1.6.1) intervals

// Length of the Python str.isspace() character at pos, 0 if none. The
// reference splits decoded text, so the Unicode spaces count too (UTF-8).
std::size_t python_space_length(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) {
    return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u;
  };
  const unsigned b0 = byte(pos);
  if ((b0 >= 0x09 && b0 <= 0x0d) || (b0 >= 0x1c && b0 <= 0x20)) return 1;
  const unsigned b1 = byte(pos + 1);
  if (b0 == 0xc2 && (b1 == 0x85 || b1 == 0xa0)) return 2;  // NEL, NBSP
  const unsigned b2 = byte(pos + 2);
  const bool space3 =
      (b0 == 0xe1 && b1 == 0x9a && b2 == 0x80) ||               // U+1680
      (b0 == 0xe2 && b1 == 0x80 &&
       ((b2 >= 0x80 && b2 <= 0x8a) || b2 == 0xa8 || b2 == 0xa9 ||
        b2 == 0xaf)) ||                                         // U+2000..
      (b0 == 0xe2 && b1 == 0x81 && b2 == 0x9f) ||               // U+205F
      (b0 == 0xe3 && b1 == 0x80 && b2 == 0x80);                 // U+3000
  return space3 ? 3 : 0;
}

enum class IntStatus { kOk, kSyntax, kTooLarge };

// Python int(text) for base 10 and ASCII digits: optional sign, digits with
// single underscores between them ("1_000"), leading zeros allowed.
IntStatus parse_python_int(std::string_view text, std::int64_t& value) {
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) ++i;
  if (i == text.size()) return IntStatus::kSyntax;
  bool too_large = false;
  std::int64_t magnitude = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_' && i > 0 && is_digit(text[i - 1]) && i + 1 < text.size() &&
        is_digit(text[i + 1])) {
      continue;
    }
    if (!is_digit(c)) return IntStatus::kSyntax;
    too_large = too_large || magnitude > (kMax - (c - '0')) / 10;
    if (!too_large) magnitude = magnitude * 10 + (c - '0');
  }
  if (too_large) return IntStatus::kTooLarge;
  value = negative ? -magnitude : magnitude;
  return IntStatus::kOk;
}

std::optional<std::int64_t> legacy_unit(std::string_view unit) {
  if (unit == "s") return kSecond;
  if (unit == "m") return kMinute;
  if (unit == "h") return kHour;
  if (unit == "d") return kDay;
  if (unit == "w") return kWeek;
  return std::nullopt;
}

// "1d2h3m4s": the compact form people try; worth a specific hint.
bool looks_compact(std::string_view token) {
  return std::count_if(token.begin(), token.end(), [](char c) {
           return std::string_view("smhdw").find(c) != std::string_view::npos;
         }) >= 2 &&
         std::all_of(token.begin(), token.end(), [](char c) {
           return is_digit(c) ||
                  std::string_view("smhdw").find(c) != std::string_view::npos;
         });
}

// Adds one token to total; the error is the bare reason naming the token.
Status add_legacy_token(std::string_view token, std::int64_t& total) {
  const std::string prefix = "token " + quote(token) + ": ";
  // The unit is the last character (a whole UTF-8 sequence, as Python sees it).
  std::size_t unit_start = token.size() - 1;
  while (unit_start > 0 && token.size() - unit_start < 4 &&
         (static_cast<unsigned char>(token[unit_start]) & 0xc0) == 0x80) {
    --unit_start;
  }
  const std::string_view number = token.substr(0, unit_start);
  const std::string_view unit_text = token.substr(unit_start);
  if (unit_text.size() == 1 && is_digit(unit_text[0])) {
    return fail(prefix + "missing unit (s, m, h, d or w), e.g. \"5m\"");
  }
  if (number.empty()) {
    return fail(prefix + "missing number before the unit, e.g. \"5m\"");
  }
  const std::optional<std::int64_t> unit = legacy_unit(unit_text);
  if (!unit) {
    return fail(prefix + "unknown unit " + quote(unit_text) +
                " (expected s, m, h, d or w)");
  }
  std::int64_t count = 0;
  switch (parse_python_int(number, count)) {
    case IntStatus::kOk: break;
    case IntStatus::kTooLarge: return fail(prefix + "the number is too large");
    case IntStatus::kSyntax:
      if (looks_compact(token)) {
        return fail(prefix + "units must be separated by spaces, "
                             "e.g. \"1d 2h 3m 4s\"");
      }
      return fail(prefix + quote(number) + " is not a whole number");
  }
  if (!add_product(total, count, *unit)) {
    return fail(prefix + "the duration is too large");
  }
  return {};
}

Result<microseconds> legacy_value(std::string_view text) {
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (const std::size_t space = python_space_length(text, pos)) {
      pos += space;
      continue;
    }
    const std::size_t start = pos;
    while (pos < text.size() && python_space_length(text, pos) == 0) ++pos;
    Status added = add_legacy_token(text.substr(start, pos - start), total);
    if (!added) return added.error();
  }
  return microseconds{total};
}

// The first non-space character, for guessing which syntax was meant.
char first_visible(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t space = python_space_length(text, pos);
    if (space == 0) return text[pos];
    pos += space;
  }
  return '\0';
}

// The double the reference computes: timedelta.total_seconds() * 1000.
double reference_milliseconds(microseconds us) {
  const double seconds = static_cast<double>(us.count()) / 1e6;
  return seconds * 1000.0;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API

Result<microseconds> parse_rfc3339_duration(std::string_view text) {
  Result<microseconds> value = rfc3339_value(text);
  if (!value) {
    return fail("invalid RFC 3339 duration " + quote(text) + ": " +
                value.error().message);
  }
  return value;
}

Result<microseconds> parse_legacy_interval(std::string_view text) {
  Result<microseconds> value = legacy_value(text);
  if (!value) {
    return fail("invalid interval " + quote(text) + ": " +
                value.error().message);
  }
  return value;
}

Result<microseconds> parse_duration(std::string_view text) {
  Result<microseconds> rfc = rfc3339_value(text);
  if (rfc) return rfc;
  Result<microseconds> legacy = legacy_value(text);
  if (legacy) return legacy;
  // Explain the failure of the syntax the text most resembles.
  const char first = first_visible(text);
  const std::string detail = (first == 'P' || first == 'p')
                                 ? "as RFC 3339: " + rfc.error().message
                                 : legacy.error().message;
  return fail("invalid duration " + quote(text) + ": " +
              std::string(kAcceptedForms) + " (" + detail + ")");
}

microseconds parse_ctl_interval(std::string_view text) {
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (!is_digit(text[pos])) {
      ++pos;
      continue;
    }
    std::int64_t count = 0;
    for (; pos < text.size() && is_digit(text[pos]); ++pos) {
      const int digit = text[pos] - '0';
      count = count > (kMax - digit) / 10 ? kMax : count * 10 + digit;
    }
    std::int64_t unit = 1000;  // no unit: milliseconds
    if (pos < text.size()) {
      if (const auto suffix = legacy_unit(text.substr(pos, 1))) {
        unit = *suffix;
        ++pos;
      }
    }
    // The reference dies with OverflowError here; saturating keeps the
    // value out of range for the caller's int32 check instead.
    if (!add_product(total, count, unit)) return microseconds{kMax};
  }
  return microseconds{total};
}

CtlTime parse_ctl_time(std::string_view text) {
  Result<microseconds> rfc = rfc3339_value(text);
  if (rfc) return CtlTime{*rfc, false};
  return CtlTime{parse_ctl_interval(text), true};
}

std::string format_ctl_duration(std::chrono::milliseconds ms) {
  std::int64_t days = 0;
  std::int64_t rest = 0;
  floor_divmod(ms.count(), 86'400'000, days, rest);
  const std::int64_t seconds = rest / 1000;
  std::string out = days != 0 ? std::to_string(days) + "T" : "";
  out += two_digits(seconds / 3600) + ":" + two_digits(seconds % 3600 / 60) +
         ":" + two_digits(seconds % 60);
  return out;
}

std::string format_python_timedelta(microseconds us) {
  std::int64_t days = 0;
  std::int64_t rest = 0;
  floor_divmod(us.count(), kDay, days, rest);
  const std::int64_t seconds = rest / kSecond;
  const std::int64_t fraction = rest % kSecond;
  std::string out;
  if (days != 0) {
    out = std::to_string(days) + (days == 1 || days == -1 ? " day, " : " days, ");
  }
  out += std::to_string(seconds / 3600) + ":" + two_digits(seconds % 3600 / 60) +
         ":" + two_digits(seconds % 60);
  if (fraction != 0) {
    char digits[16];
    std::snprintf(digits, sizeof digits, ".%06lld",
                  static_cast<long long>(fraction));
    out += digits;
  }
  return out;
}

std::string format_rfc3339_duration(microseconds us) {
  const std::int64_t value = us.count();
  if (value < 0) {
    // Negate in unsigned arithmetic: -INT64_MIN does not fit in int64.
    const std::uint64_t seconds =
        (0 - static_cast<std::uint64_t>(value)) / static_cast<std::uint64_t>(kSecond);
    if (seconds == 0) return "PT0S";
    // Appended piecewise: `"-" + std::string` trips a GCC 12 -Wrestrict
    // false positive at -O2.
    std::string out = "-";
    out += std::to_string(seconds);
    out += 's';
    return out;
  }
  const std::int64_t seconds = value / kSecond;
  if (seconds == 0) return "PT0S";
  const std::int64_t days = seconds / 86400;
  const std::int64_t h = seconds % 86400 / 3600;
  const std::int64_t m = seconds % 3600 / 60;
  const std::int64_t s = seconds % 60;
  std::string out = "P";
  if (days != 0) out += std::to_string(days) + "D";
  if (h == 0 && m == 0 && s == 0) return out;
  out += "T";
  if (h != 0) out += std::to_string(h) + "H";
  // Hours may not be followed directly by seconds in the accepted grammar.
  if (m != 0 || (h != 0 && s != 0)) out += std::to_string(m) + "M";
  if (s != 0) out += std::to_string(s) + "S";
  return out;
}

std::int64_t to_milliseconds(microseconds us) {
  // |us| <= 2^63 µs keeps the result far inside int64: the cast is defined.
  return static_cast<std::int64_t>(std::trunc(reference_milliseconds(us)));
}

std::int64_t to_milliseconds_nearest(microseconds us) {
  // nearbyint rounds half to even in the default mode, like Python's round().
  return static_cast<std::int64_t>(std::nearbyint(reference_milliseconds(us)));
}

Result<microseconds> from_milliseconds(std::int64_t ms) {
  std::int64_t us = 0;
  if (!add_product(us, ms, 1000)) {
    return fail("duration of " + std::to_string(ms) +
                " ms is too large (limit " + std::to_string(kMax / 1000) +
                " ms)");
  }
  return microseconds{us};
}

}  // namespace mandos
