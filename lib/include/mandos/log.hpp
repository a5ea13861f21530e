// Logging for all programs: syslog records written straight to /dev/log in
// the reference's format ("TAG [PID]: LEVEL: message"), and an optional
// stderr copy, either timestamped (server debug mode) or with a fixed prefix
// (initramfs programs: "Mandos plugin NAME: message").
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <syslog.h>

#include "mandos/result.hpp"

namespace mandos::log {

enum class Level { Debug = 10, Info = 20, Warning = 30, Error = 40, Critical = 50 };

// Accepts Python logging level names in any case (DEBUG, INFO, WARNING/WARN,
// ERROR, CRITICAL/FATAL), as the reference's debuglevel option does.
Result<Level> parse_level(std::string_view name);
std::string_view level_name(Level level);

enum class StderrStyle {
  None,         // no stderr output
  Timestamped,  // "2024-01-02 03:04:05,678 NAME [PID]: LEVEL: message"
  Prefixed,     // "NAME: message"
};

struct Options {
  Level threshold = Level::Warning;
  bool to_syslog = false;
  std::string syslog_tag = "Mandos";  // becomes "Mandos (NAME)" after a rename
  int facility = LOG_DAEMON;
  std::string syslog_socket = "/dev/log";
  StderrStyle stderr_style = StderrStyle::None;
  std::string stderr_name = "mandos";
};

void configure(Options options);
// Changes the syslog tag only (the server does this on a Zeroconf rename).
void set_syslog_tag(std::string tag);
bool enabled(Level level);
void write(Level level, std::string_view message);

// Formats one syslog datagram; exposed for tests.
std::string format_syslog_record(const Options& options, Level level, int pid,
                                 std::string_view message);

template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

template <class... Parts>
void debug(const Parts&... parts) {
  if (enabled(Level::Debug)) write(Level::Debug, cat(parts...));
}
template <class... Parts>
void info(const Parts&... parts) {
  if (enabled(Level::Info)) write(Level::Info, cat(parts...));
}
template <class... Parts>
void warning(const Parts&... parts) {
  if (enabled(Level::Warning)) write(Level::Warning, cat(parts...));
}
template <class... Parts>
void error(const Parts&... parts) {
  if (enabled(Level::Error)) write(Level::Error, cat(parts...));
}
template <class... Parts>
void critical(const Parts&... parts) {
  if (enabled(Level::Critical)) write(Level::Critical, cat(parts...));
}

}  // namespace mandos::log
