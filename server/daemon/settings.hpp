// Server settings: built-in defaults < CONFIGDIR/mandos.conf [DEFAULT] <
// command line (server.md §1). Options are declared once, in settings.cpp,
// with their long name, mandos.conf key, kind and help text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mandos/log.hpp"
#include "mandos/result.hpp"

namespace mandos::server {

struct ServerSettings {
  std::string interface;
  std::string address;
  std::optional<int> port;    // unset: kernel-chosen
  bool debug = false;
  std::string debuglevel;     // empty: WARNING (DEBUG with debug)
  std::string priority;
  std::string servicename = "Mandos";
  std::string configdir = "/etc/mandos";
  bool use_dbus = true;
  bool use_ipv6 = true;
  bool restore = true;
  std::optional<int> socket;  // inherited listening socket fd
  std::string statedir = "/var/lib/mandos";
  bool foreground = false;
  bool zeroconf = true;
  bool check = false;

  log::Level log_level() const;  // valid after validate_settings()
};

// How parsing ended when it did not produce settings to run with.
enum class ParseOutcome { Run, ExitSuccess, UsageError, Fatal };

struct ParsedSettings {
  ParseOutcome outcome = ParseOutcome::Run;
  ServerSettings settings;
  // ExitSuccess: text for stdout; errors: for stderr; Run with --check: a
  // mandos.conf error for the self-check to report.
  std::string message;
};

// Parses argv, reads CONFIGDIR/mandos.conf, applies precedence and the
// consistency rules (debug => foreground; Zeroconf off needs a port or a
// socket). Usage errors come back as UsageError (exit 2) with the usage line.
ParsedSettings parse_settings(int argc, const char* const* argv);

// Applies mandos.conf text to settings (exposed for tests); `path` for messages.
[[nodiscard]] Status apply_server_config(const std::string& path, ServerSettings& settings,
                                         bool missing_is_empty = true);

std::string usage_text();

}  // namespace mandos::server
