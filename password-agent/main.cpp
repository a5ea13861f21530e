// password-agent: a systemd password agent that answers disk passphrase
// questions with the output of the Mandos client (plugins.md §4). Used in
// dracut initrds with systemd instead of plugin-runner.
#include <error.h>
#include <sysexits.h>

#include <cstdlib>

#include "agent.hpp"
#include "options.hpp"
#include "self_test.hpp"

const char* argp_program_version = "password-agent " MANDOS_VERSION;
// No argp_program_bug_address: upstream Mandos's list is not the place for
// reports about this implementation.

int main(int argc, char** argv) {
  mandos::agent::AgentOptions options;
  switch (const int err = mandos::agent::parse_options(argc, argv, options)) {
    case 0:
      break;
    case ENOMEM:
      error(0, err, "Failed to allocate memory for arguments");
      return EX_OSERR;
    default:
      error(0, err, "argp_parse");
      return EX_USAGE;
  }
  if (options.self_test) return mandos::agent::run_self_tests();
  mandos::agent::Agent agent(options);
  return agent.run();
}
