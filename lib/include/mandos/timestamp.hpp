// Wall-clock timestamps in the forms the reference uses: D-Bus properties are
// Python datetime.isoformat() of naive UTC ("2024-01-02T03:04:05.123456",
// fraction omitted when zero); checker expansion uses str(datetime)
// ("2024-01-02 03:04:05.123456"). Parsing accepts those and RFC 3339 with a
// zone ("Z" or "+HH:MM").
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "mandos/result.hpp"

namespace mandos {

using WallClock = std::chrono::system_clock;
using WallTime = std::chrono::time_point<WallClock, std::chrono::microseconds>;

WallTime wall_now();

// "YYYY-MM-DDTHH:MM:SS[.ffffff]" in UTC, no zone (D-Bus form).
std::string format_iso_naive(WallTime time);
// "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (Python str(datetime) form).
std::string format_python_str(WallTime time);
// "YYYY-MM-DDTHH:MM:SS.ffffffZ", always with fraction and zone (state files).
std::string format_rfc3339(WallTime time);

// Accepts "YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|+HH:MM|-HH:MM]"; no zone = UTC.
Result<WallTime> parse_timestamp(std::string_view text);

}  // namespace mandos
