#include "options.hpp"

#include <argp.h>
#include <inttypes.h>

#include <cerrno>
#include <new>

namespace mandos::agent {
namespace {

enum Key : int {
  kHelperDir = 128,
  kPluginHelperDir = 129,  // plugin-runner's name for it
  kUserId = 130,           // plugin-runner's name for --user
  kGroupId = 131,          // plugin-runner's name for --group
  kTest = 255,
};

const argp_option kOptions[] = {
    // Names, keys, argument names and groups as in the reference; the texts
    // are our own.
    {"agent-directory", 'd', "DIRECTORY", 0,
     "Watch DIRECTORY for systemd's password questions", 0},
    {"helper-directory", kHelperDir, "DIRECTORY", 0,
     "Tell the Mandos client (in MANDOSPLUGINHELPERDIR) to take its helper programs from "
     "DIRECTORY",
     0},
    {"plugin-helper-dir", kPluginHelperDir, nullptr, OPTION_HIDDEN | OPTION_ALIAS, nullptr, 0},
    {"user", 'u', "USERID", 0, "Run the Mandos client with this user number (not 0) as its "
     "real user ID", 0},
    {"userid", kUserId, nullptr, OPTION_HIDDEN | OPTION_ALIAS, nullptr, 0},
    {"group", 'g', "GROUPID", 0, "Run the Mandos client with this group number (not 0) as its "
     "real group ID", 0},
    {"groupid", kGroupId, nullptr, OPTION_HIDDEN | OPTION_ALIAS, nullptr, 0},
    {"test", kTest, nullptr, 0,
     "Run the built-in self-tests instead of acting as an agent; exit 0 if all pass", 10},
    {nullptr, 0, nullptr, 0, nullptr, 0},
};

// A user or group number other than 0. As in the reference, a bad one is
// refused by answering ARGP_ERR_UNKNOWN, which argp turns into a usage error.
template <class Id>
bool parse_id(const char* arg, Id& id) {
  errno = 0;
  char* end = nullptr;
  const uintmax_t value = strtoumax(arg, &end, 10);
  if (errno != 0 || end == arg || *end != '\0' ||
      value != static_cast<uintmax_t>(static_cast<Id>(value)) || value == 0) {
    return false;
  }
  id = static_cast<Id>(value);
  return true;
}

error_t parse_option(int key, char* arg, argp_state* state) noexcept {
  auto& options = *static_cast<AgentOptions*>(state->input);
  try {
    switch (key) {
      case 'd':
        options.agent_directory = arg;
        return 0;
      case kHelperDir:
      case kPluginHelperDir:
        options.helper_directory = arg;
        return 0;
      case 'u':
      case kUserId:
        return parse_id(arg, options.user) ? 0 : ARGP_ERR_UNKNOWN;
      case 'g':
      case kGroupId:
        return parse_id(arg, options.group) ? 0 : ARGP_ERR_UNKNOWN;
      case kTest:
        options.self_test = true;
        return 0;
      case ARGP_KEY_ARGS:
        // MANDOS_CLIENT and everything after it belong to the client.
        options.client_argv.assign(state->argv + state->next, state->argv + state->argc);
        state->next = state->argc;
        return 0;
      default:
        return ARGP_ERR_UNKNOWN;
    }
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  }
}

}  // namespace

int parse_options(int argc, char** argv, AgentOptions& options) {
  static const argp parser = {
      kOptions, parse_option, "[MANDOS_CLIENT [OPTION...]]\n--test",
      "password-agent -- answer systemd's disk passphrase questions with the password "
      "that the Mandos client prints",
      nullptr, nullptr, nullptr};
  return argp_parse(&parser, argc, argv, 0, nullptr, &options);
}

}  // namespace mandos::agent
