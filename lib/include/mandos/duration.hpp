// Durations as Mandos 1.8.16 reads and prints them.
//
// Readers: the RFC 3339 subset of the server and mandos-ctl (`PT5M`), the
// server's pre-1.6.1 interval syntax (`5m 30s`), and mandos-ctl's lenient
// variant of it. Writers: Python's str(datetime.timedelta) (checker command
// expansion), mandos-ctl's table cells, and a canonical RFC 3339 form.
//
// The internal unit is the microsecond because the reference keeps durations
// as Python timedeltas, which have microsecond resolution. Our range is that
// of int64 microseconds (about ±292,000 years); the reference's is ±999,999,999
// days. Values between the two are rejected here as too large.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "mandos/result.hpp"

namespace mandos {

// RFC 3339 duration, exactly as the reference's token table accepts it:
//   P nW
//   P nY [nM [nD [T time]]]
//   P nM [nD [T time]]
//   P nD [T time]
//   P T time        where  time = nH [nM [nS]] | nM [nS] | nS
// n is one or more ASCII digits, leading zeros allowed (the reference's `\d`
// would also take other Unicode digits; deliberately not reproduced). Letters
// are uppercase only. Y = 364 days, M (date) = 28 days, W = 7 days, D = 1 day;
// H, M (time) and S as usual. One trailing LF is tolerated, nothing else. As
// in the RFC's ABNF, a unit may not be skipped inside a chain: `P1Y1D` and
// `PT1H1S` are rejected (`P1Y0M1D`, `PT1H0M1S` are fine). QUIRK kept from the
// reference, unlike the RFC: a time part may follow days only, so `P1YT1H`
// and `P1MT1H` are rejected. Overflow is an error.
[[nodiscard]] Result<std::chrono::microseconds> parse_rfc3339_duration(
    std::string_view text);

// The server's pre-1.6.1 interval: whitespace-separated tokens, each an
// integer in Python int() syntax (optional sign, `_` between digits; ASCII
// digits only) plus one lowercase unit s/m/h/d/w; the tokens are summed;
// blank text is 0. Compact `1d2h` is rejected. Whitespace is Python's
// str.split() set, including the Unicode spaces when UTF-8 encoded (U+00A0).
[[nodiscard]] Result<std::chrono::microseconds> parse_legacy_interval(
    std::string_view text);

// What the server does with a duration in clients.conf: RFC 3339 first, then
// the legacy syntax. The error says which forms are accepted and, for the
// form the text most resembles, what is wrong with it.
[[nodiscard]] Result<std::chrono::microseconds> parse_duration(
    std::string_view text);

// mandos-ctl's fallback parser, which never fails: every run of ASCII digits,
// optionally followed by one of d s m h w, is added up; digits without a unit
// are milliseconds; every other character is ignored. Saturates at the int64
// microsecond maximum where the reference would die with OverflowError.
[[nodiscard]] std::chrono::microseconds parse_ctl_interval(
    std::string_view text);

struct CtlTime {
  std::chrono::microseconds value;
  bool used_legacy;  // true: RFC 3339 failed; the caller logs the warning
};

// mandos-ctl's TIME argument: RFC 3339, else parse_ctl_interval().
[[nodiscard]] CtlTime parse_ctl_time(std::string_view text);

// mandos-ctl's table cell for a duration in milliseconds: `HH:MM:SS`, with
// `<days>T` in front when the day count is non-zero (`1T02:03:05`). Days are
// floored as Python's timedelta does, so -1000 ms prints `-1T23:59:59`;
// the sub-second part is dropped.
[[nodiscard]] std::string format_ctl_duration(std::chrono::milliseconds ms);

// Python's str(datetime.timedelta): `0:02:00`, `1 day, 0:00:05`,
// `2 days, 3:04:05`, `0:00:00.500000`, `-1 day, 23:59:55`.
[[nodiscard]] std::string format_python_timedelta(std::chrono::microseconds us);

// Canonical RFC 3339 text that parse_rfc3339_duration() reads back:
// `PT0S`, `PT5M`, `P1DT2H3M4S`, `PT1H0M5S` (the minutes are kept when hours
// and seconds are both present, see the quirk above). Whole days use D, never
// W, M or Y. LOSSY: the sub-second part is dropped (truncated toward zero).
// RFC 3339 has no sign, so a negative value is written in the legacy syntax
// as whole seconds (`-300s`); parse_duration() reads both forms back.
[[nodiscard]] std::string format_rfc3339_duration(std::chrono::microseconds us);

// Milliseconds as the reference's D-Bus getters compute them:
// dbus.UInt64(td.total_seconds() * 1000), i.e. the double µs/1e6, times 1000.0
// in double arithmetic, truncated toward zero. QUIRK kept: that product can
// land one ulp below an exact integer, so 1001 ms reads back as 1000
// (1.001 * 1000.0 == 1000.9999999999999). For |us| > 2^53 the double is
// rounded once more than in Python's exact int division (≥ 285 years).
// A negative result is returned as is; the reference fails on it (UInt64).
[[nodiscard]] std::int64_t to_milliseconds(std::chrono::microseconds us);

// Milliseconds as mandos-ctl sends them: int(round(total_seconds() * 1000)),
// same double arithmetic, rounded half to even.
[[nodiscard]] std::int64_t to_milliseconds_nearest(std::chrono::microseconds us);

// A D-Bus duration property write: timedelta(milliseconds=ms), exact. Fails
// when ms * 1000 does not fit in int64 microseconds.
[[nodiscard]] Result<std::chrono::microseconds> from_milliseconds(
    std::int64_t ms);

}  // namespace mandos
