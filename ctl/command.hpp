// What a mandos-ctl command line asks for (ctl.md §1): the actions in
// command-line order, the selected client names and the modifiers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mandos/secret.hpp"

namespace mandos::ctl {

enum class CommandKind {
  kDumpJson,
  kEnable,
  kDisable,
  kBumpTimeout,
  kStartChecker,
  kStopChecker,
  kIsEnabled,
  kRemove,
  kSetChecker,
  kSetTimeout,
  kSetExtendedTimeout,
  kSetInterval,
  kApproveByDefault,
  kDenyByDefault,
  kSetApprovalDelay,
  kSetApprovalDuration,
  kSetHost,
  kSetSecret,
  kApprove,
  kDeny,
};

struct Command {
  CommandKind kind = CommandKind::kEnable;
  std::string text;                // kSetChecker, kSetHost
  std::uint64_t milliseconds = 0;  // the five duration setters
  SecretBytes secret;              // kSetSecret: the file's bytes
};

// Every command except --dump-json is an "action" for the syntax rules.
inline bool is_action(CommandKind kind) { return kind != CommandKind::kDumpJson; }

struct Invocation {
  std::vector<Command> commands;     // command-line order, --dump-json included
  std::vector<std::string> clients;  // positional names, as given
  bool all = false;
  bool verbose = false;
  bool debug = false;
};

}  // namespace mandos::ctl
