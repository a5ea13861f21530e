// Texts mandos-monitor shows, as the reference words them (monitor.md §2,
// §3): a client's status line and the log messages for each signal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "mandos/timestamp.hpp"
#include "value.hpp"

namespace mandos::monitor {

// Severity of a log pane line; values as Python's logging levels.
enum class Level { Debug = 10, Info = 20, Warning = 30, Error = 40 };

struct LogMessage {
  Level level = Level::Info;
  std::string text;
};

struct ClientStatus {
  std::string text;   // "NAME: STATUS"
  bool ticking = false;  // shows a countdown that changes every second
};

// A countdown as Python's str(timedelta) with the fraction cut off:
// `0:00:27`, `1 day, 2:03:04`. Negative values show as 0:00:00.
[[nodiscard]] std::string format_countdown(std::chrono::microseconds remaining);

// The status line of one client at time `now` (monitor.md §2, the table's
// conditions checked in order).
[[nodiscard]] ClientStatus client_status(const Properties& properties, WallTime now);

// "YYYY-MM-DD HH:MM:SS,mmm" in local time, as Python logging's asctime.
[[nodiscard]] std::string log_timestamp(WallTime now);

// Log texts for the signals (monitor.md §3). CheckerCompleted yields no
// message when the wait status is neither an exit nor a signal.
[[nodiscard]] std::string client_not_found_message(const std::string& key_id,
                                                   const std::string& address);
[[nodiscard]] bool checker_completed_message(const std::string& name, std::int64_t exit_code,
                                             std::int64_t wait_status,
                                             const std::string& command, LogMessage& out);
[[nodiscard]] std::string checker_started_message(const std::string& name,
                                                  const std::string& command);
[[nodiscard]] std::string got_secret_message(const std::string& name);
[[nodiscard]] std::string need_approval_message(const std::string& name,
                                                std::uint64_t delay_ms,
                                                bool approved_by_default);
[[nodiscard]] std::string rejected_message(const std::string& name, const std::string& reason);

// The two bold lines that `?` appends (items joined by two spaces).
[[nodiscard]] std::string help_line_global();
[[nodiscard]] std::string help_line_clients();

}  // namespace mandos::monitor
