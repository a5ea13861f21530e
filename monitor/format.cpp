#include "format.hpp"

#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>

#include "mandos/duration.hpp"

namespace mandos::monitor {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

std::string joined(std::initializer_list<const char*> items) {
  std::string out;
  for (const char* item : items) {
    if (!out.empty()) out += "  ";
    out += item;
  }
  return out;
}

// Time left of an approval: ApprovalDelay after LastApprovalRequest; 0 when
// the request time is unknown or unreadable.
microseconds approval_remaining(const Properties& properties, WallTime now) {
  auto requested = parse_timestamp(string_property(properties, "LastApprovalRequest"));
  if (!requested) return microseconds(0);
  const microseconds delay = milliseconds(int_property(properties, "ApprovalDelay", 0));
  return delay - (now - *requested);
}

// Time until the server disables a client whose checker failed; 0 when no
// expiry is scheduled. The reference insists on a fraction in Expires; we
// accept either form the server may send (dbus-api.md §5).
microseconds expiry_remaining(const Properties& properties, WallTime now) {
  auto expires = parse_timestamp(string_property(properties, "Expires"));
  if (!expires) return microseconds(0);
  return *expires - now;
}

}  // namespace

std::string format_countdown(microseconds remaining) {
  remaining = std::max(remaining, microseconds(0));
  // Whole seconds only: the reference cuts str(timedelta) at its last '.'.
  return format_python_timedelta(std::chrono::floor<std::chrono::seconds>(remaining));
}

ClientStatus client_status(const Properties& properties, WallTime now) {
  ClientStatus status;
  status.text = string_property(properties, "Name") + ": ";
  if (!bool_property(properties, "Enabled", false)) {
    status.text += "DISABLED";
    return status;
  }
  if (bool_property(properties, "ApprovalPending", false)) {
    const std::string timer = format_countdown(approval_remaining(properties, now));
    if (bool_property(properties, "ApprovedByDefault", true)) {
      status.text += "Approval in " + timer + ". (d)eny?";
    } else {
      status.text += "Denial in " + timer + ". (a)pprove?";
    }
    status.ticking = true;
    return status;
  }
  if (int_property(properties, "LastCheckerStatus", 0) != 0) {
    status.text += "A checker has failed! Time until client gets disabled: " +
                   format_countdown(expiry_remaining(properties, now));
    status.ticking = true;
    return status;
  }
  status.text += "enabled";
  return status;
}

std::string log_timestamp(WallTime now) {
  const auto since_epoch = now.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<milliseconds>(since_epoch - seconds);
  const time_t whole = static_cast<time_t>(seconds.count());
  struct tm local {};
  ::localtime_r(&whole, &local);
  char text[64];
  const size_t length = ::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  std::snprintf(text + length, sizeof text - length, ",%03d", static_cast<int>(millis.count()));
  return text;
}

std::string client_not_found_message(const std::string& key_id, const std::string& address) {
  return "Client with address " + address + " and key ID " + key_id + " could not be found";
}

bool checker_completed_message(const std::string& name, std::int64_t exit_code,
                               std::int64_t wait_status, const std::string& command,
                               LogMessage& out) {
  const std::string subject = "Checker for client " + name + " (command \"" + command + "\")";
  if (exit_code == 0) {
    out = {Level::Debug, subject + " succeeded"};
    return true;
  }
  // The wait status decides the wording, as in the reference.
  const int status = static_cast<int>(wait_status);
  if (WIFEXITED(status)) {
    out = {Level::Info, subject + " failed with exit code " + std::to_string(WEXITSTATUS(status))};
    return true;
  }
  if (WIFSIGNALED(status)) {
    out = {Level::Info, subject + " was killed by signal " + std::to_string(WTERMSIG(status))};
    return true;
  }
  return false;
}

std::string checker_started_message(const std::string& name, const std::string& command) {
  return "Client " + name + " started checker \"" + command + "\"";
}

std::string got_secret_message(const std::string& name) {
  return "Client " + name + " received its secret";
}

std::string need_approval_message(const std::string& name, std::uint64_t delay_ms,
                                  bool approved_by_default) {
  // Python's "%f" % (ms / 1000): true division, six decimals.
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, "%f", static_cast<double>(delay_ms) / 1000.0);
  if (approved_by_default) {
    return "Client " + name + " will get its secret in " + seconds + " seconds";
  }
  return "Client " + name + " needs approval within " + seconds + " seconds";
}

std::string rejected_message(const std::string& name, const std::string& reason) {
  return "Client " + name + " was rejected; reason: " + reason;
}

std::string help_line_global() {
  return joined({"q: Quit", "?: Help", "l: Log window toggle", "TAB: Switch window",
                 "w: Wrap (log lines)", "v: Toggle verbose log"});
}

std::string help_line_clients() {
  return joined({"Clients:", "+: Enable", "-: Disable", "R: Remove", "s: Start new checker",
                 "S: Stop checker", "C: Checker OK", "a: Approve", "d: Deny"});
}

}  // namespace mandos::monitor
