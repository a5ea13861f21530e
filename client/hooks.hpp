// Network hooks (client.md §4): executables in the hook directory run as
// root, one after another in byte order of their names, with mode
// "start" before the network is used and "stop" at exit. Only the
// privileged helper runs them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::client {

// What the hooks are told; fixed before privileges are dropped.
struct HookSettings {
  std::string dir;
  std::string device;  // comma-joined --interface list ("none" kept)
  bool debug = false;
  double delay = 2.5;
  std::optional<std::string> connect;  // --connect value as given
};

// Name rule: non-empty, only A-Z a-z 0-9 _ . - (so no editor backups such
// as "x~", no "#x#", no "x.dpkg-old" with other characters).
bool valid_hook_name(std::string_view name);

// Eligible hooks in run order: valid name, regular file (symlinks
// followed), some execute bit. A missing directory has no hooks; any other
// failure to read it is an error.
[[nodiscard]] Result<std::vector<std::string>> list_hooks(const std::string& dir);

// The hook environment: `inherited` ("K=V" entries) with MANDOSNETHOOKDIR,
// DEVICE, MODE, VERBOSITY, DELAY and (if set) CONNECT replaced or added.
std::vector<std::string> hook_environment(const HookSettings& settings, std::string_view mode,
                                          const std::vector<std::string>& inherited);

// Runs every eligible hook with `mode`, waiting for each. Failures are
// reported as warnings and do not stop the others. argv is only the hook's
// name; the mode is in MODE (as the reference; hooks use ${MODE:-$1}).
void run_hooks(const HookSettings& settings, std::string_view mode);

}  // namespace mandos::client
