// The attributes of one client that outlive a connection: its settings
// (initially from clients.conf, changeable at run time) and its history.
// This is what the state file keeps (docs/state-format.md) and what the
// D-Bus properties show (dbus-api.md §4).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "mandos/secret.hpp"
#include "mandos/timestamp.hpp"

namespace mandos::server {

// LastCheckerStatus values that are not exit codes.
inline constexpr int kCheckerStatusNone = -2;      // no checker completed yet
inline constexpr int kCheckerStatusAbnormal = -1;  // killed by a signal

struct ClientData {
  std::string name;
  std::string key_id;
  std::string fingerprint;
  std::string host;
  std::string checker;  // command template with runtime %(key)s expansions
  std::chrono::microseconds timeout{};
  std::chrono::microseconds extended_timeout{};
  std::chrono::microseconds interval{};
  std::chrono::microseconds approval_delay{};
  std::chrono::microseconds approval_duration{};
  bool approved_by_default = true;
  bool enabled = true;
  SecretBytes secret;
  WallTime created{};
  std::optional<WallTime> last_enabled;
  std::optional<WallTime> expires;
  std::optional<WallTime> last_checked_ok;
  std::optional<WallTime> last_approval_request;
  int last_checker_status = kCheckerStatusNone;
  int last_checker_signal = 0;  // signal number when status is -1, else 0
};

// D-Bus object path of a client: "/clients/" + name with '.' and '-'
// replaced by '_' (dbus-api.md §2).
std::string client_object_path(const std::string& name);

}  // namespace mandos::server
