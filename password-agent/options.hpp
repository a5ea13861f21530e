// password-agent's options (plugins.md §4), parsed with glibc argp as in
// the reference so --help/--usage/--version and usage errors match.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mandos::agent {

struct AgentOptions {
  std::string agent_directory = "/run/systemd/ask-password";
  std::string helper_directory = "/lib/mandos/plugin-helpers";
  uid_t user = 65534;
  gid_t group = 65534;
  bool self_test = false;
  // The program to run and its arguments (argv[0] first).
  std::vector<std::string> client_argv{"/lib/mandos/plugins.d/mandos-client"};
};

// Parses argv; usage errors are reported by argp, which then exits 64
// (as do --help etc. with 0). Returns argp_parse()'s result otherwise.
int parse_options(int argc, char** argv, AgentOptions& options);

}  // namespace mandos::agent
