// Running a program as full root for the privileged helper: network hooks
// and the route helper (client.md §4, §6). uid 0, gid 0, no supplementary
// groups, stdin /dev/null, stdout sent to stderr (stdout carries only the
// password), default signal dispositions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::client {

struct RootExec {
  std::string path;               // executed
  std::vector<std::string> argv;  // argv[0] may differ from path
  std::vector<std::string> env;   // complete environment, "K=V"
  // Killed (SIGKILL) after this long; nullopt waits for ever, as the
  // reference does for hooks, which may legitimately take long.
  std::optional<std::chrono::milliseconds> timeout;
};

// Runs the program and waits for it. Returns the wait status. If the
// process is not root (a test run), the program runs with the current ids.
[[nodiscard]] Result<int> run_as_root(const RootExec& exec);

}  // namespace mandos::client
