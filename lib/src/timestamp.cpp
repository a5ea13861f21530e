#include "mandos/timestamp.hpp"

#include <cstdio>
#include <ctime>

namespace mandos {
namespace {

using std::chrono::microseconds;

struct Parts {
  std::tm tm{};
  long long micros = 0;
};

Parts split(WallTime time) {
  auto since_epoch = time.time_since_epoch().count();
  long long seconds = since_epoch / 1'000'000;
  long long micros = since_epoch % 1'000'000;
  if (micros < 0) {  // floor division for times before 1970
    micros += 1'000'000;
    seconds -= 1;
  }
  Parts parts;
  std::time_t t = static_cast<std::time_t>(seconds);
  ::gmtime_r(&t, &parts.tm);
  parts.micros = micros;
  return parts;
}

std::string format(WallTime time, char separator, bool always_fraction, const char* zone) {
  Parts p = split(time);
  char buffer[80];
  int length = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d%c%02d:%02d:%02d",
                             p.tm.tm_year + 1900, p.tm.tm_mon + 1, p.tm.tm_mday, separator,
                             p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec);
  std::string out(buffer, static_cast<size_t>(length));
  if (p.micros != 0 || always_fraction) {
    std::snprintf(buffer, sizeof buffer, ".%06lld", p.micros);
    out += buffer;
  }
  out += zone;
  return out;
}

bool read_digits(std::string_view text, size_t& pos, size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  return true;
}

bool expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool valid_date(int year, int month, int day) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int limit = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= limit;
}

}  // namespace

WallTime wall_now() {
  return std::chrono::time_point_cast<microseconds>(WallClock::now());
}

std::string format_iso_naive(WallTime time) { return format(time, 'T', false, ""); }
std::string format_python_str(WallTime time) { return format(time, ' ', false, ""); }
std::string format_rfc3339(WallTime time) { return format(time, 'T', true, "Z"); }

Result<WallTime> parse_timestamp(std::string_view text) {
  auto bad = [&] {
    return fail("invalid timestamp \"" + std::string(text) +
                "\": expected YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM]");
  };
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, month) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, day)) {
    return bad();
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != ' ')) return bad();
  ++pos;
  if (!read_digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, minute) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, second)) {
    return bad();
  }
  if (!valid_date(year, month, day) || hour > 23 || minute > 59 || second > 59) return bad();
  long long micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return bad();
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  long long offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int off_hours, off_minutes;
    if (!read_digits(text, pos, 2, off_hours) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, off_minutes) || off_hours > 23 || off_minutes > 59) {
      return bad();
    }
    offset_seconds = sign * (off_hours * 3600LL + off_minutes * 60LL);
  }
  if (pos != text.size()) return bad();
  long long seconds = days_from_civil(year, static_cast<unsigned>(month),
                                      static_cast<unsigned>(day)) * 86400LL +
                      hour * 3600LL + minute * 60LL + second - offset_seconds;
  return WallTime(microseconds(seconds * 1'000'000 + micros));
}

}  // namespace mandos
