// systemd password-agent questions: "ask.*" key files in the agent
// directory (plugins.md §4 step 4). Only [Ask] Socket, PID and NotAfter
// matter to us; Message, Echo, Id, Icon, AcceptCached... are ignored.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "mandos/result.hpp"

namespace mandos::agent {

// Question files are a few lines; anything larger is not one.
inline constexpr size_t kMaxQuestionFileBytes = 64 * 1024;

struct Question {
  std::string file;         // full path of the ask file
  std::string socket_path;  // AF_UNIX datagram socket to answer on
  pid_t pid = 0;            // the asking process
  uint64_t not_after = 0;   // CLOCK_MONOTONIC microseconds; 0 = no limit
};

// True for names systemd uses for questions ("ask." prefix).
bool is_question_name(std::string_view name);

// Parses a question file's content. Errors name the file and the key, and
// include GLib's explanation, e.g.
//   Question file "/run/x/ask.1" contained bad "PID": ...
Result<Question> parse_question(const std::string& path, std::string_view content);

// Microseconds on CLOCK_MONOTONIC, the clock NotAfter uses.
uint64_t monotonic_now_us();

}  // namespace mandos::agent
