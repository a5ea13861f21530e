// Command line of mandos-tls-worker. The main process builds it from its
// own options (--priority, --debug, --debuglevel, --servicename); the two
// limits have no counterpart in the reference, which had none.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "mandos/log.hpp"
#include "mandos/result.hpp"

namespace mandos::server::worker {

struct WorkerOptions {
  std::string priority;  // empty: the lib default
  bool debug = false;
  log::Level debuglevel = log::Level::Warning;
  std::string servicename = "Mandos";
  // From accept to a finished TLS handshake, version line included.
  std::chrono::milliseconds handshake_timeout{10'000};
  // From the main process's answer to the end of the close_notify exchange.
  std::chrono::milliseconds close_timeout{10'000};
  size_t max_connections = 1024;
  // Running as root is refused unless this is given (only tests that cannot
  // switch users need it).
  bool allow_root = false;
  bool help = false;
};

// Parses argv (argv[0] is skipped). Errors name the option at fault; the
// caller prints them with usage_text() and exits 2.
[[nodiscard]] Result<WorkerOptions> parse_options(const std::vector<std::string>& args);
std::string usage_text();

// "Mandos" or "Mandos (NAME)", the syslog tag the reference uses.
std::string syslog_tag(const std::string& servicename);

}  // namespace mandos::server::worker
