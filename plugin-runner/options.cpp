#include "options.hpp"

#include <argp.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "mandos/fd.hpp"

namespace mandos::runner {

namespace {

// Keys of the long-only options, as numbered by the reference.
enum Key : int {
  kPluginDir = 128,
  kConfigFile = 129,
  kUserId = 130,
  kGroupId = 131,
  kDebug = 132,
  kHelperDir = 133,
  kUsage = -3,
};

// Option names, keys, argument names and groups are the reference's (argp
// orders --help by group, so the listing has the same shape); the texts are
// our own.
const argp_option kOptions[] = {
    {"global-options", 'g', "OPTION[,OPTION[,...]]", 0,
     "Append these arguments to the command line of every plugin", 0},
    {"global-env", 'G', "VAR=value", 0, "Set this environment variable for every plugin", 0},
    {"options-for", 'o', "PLUGIN:OPTION[,OPTION[,...]]", 0,
     "Append these arguments to the command line of PLUGIN only", 0},
    {"env-for", 'E', "PLUGIN:ENV=value", 0, "Set this environment variable for PLUGIN only", 0},
    {"disable", 'd', "PLUGIN", 0, "Do not start PLUGIN", 1},
    {"enable", 'e', "PLUGIN", 0, "Start PLUGIN after all, undoing an earlier --disable", 1},
    {"plugin-dir", kPluginDir, "DIRECTORY", 0,
     "Look for plugins in DIRECTORY instead of the default one", 2},
    {"config-file", kConfigFile, "FILE", 0,
     "Read further options from FILE instead of the default one", 2},
    {"userid", kUserId, "ID", 0, "User number that this program and its plugins switch to", 3},
    {"groupid", kGroupId, "ID", 0, "Group number that this program and its plugins switch to", 3},
    {"debug", kDebug, nullptr, 0, "Print progress messages on standard error", 4},
    {"plugin-helper-dir", kHelperDir, "DIRECTORY", 0,
     "Tell plugins (in MANDOSPLUGINHELPERDIR) to take their helper programs from DIRECTORY",
     2},
    // Spelled out because ARGP_NO_HELP is needed for the two-pass parse;
    // the texts are argp's own for these entries.
    {"help", '?', nullptr, 0, "Give this help list", -1},
    {"usage", kUsage, nullptr, 0, "Give a short usage message", -1},
    {"version", 'V', nullptr, 0, "Print program version", -1},
    {nullptr, 0, nullptr, 0, nullptr, 0},
};

struct ParseContext {
  Settings* settings;
  Pass pass;
};

// Splits text on ',' keeping empty items, as strsep() does.
std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> items;
  for (;;) {
    const size_t comma = text.find(',');
    items.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) return items;
    text.remove_prefix(comma + 1);
  }
}

// For PLUGIN:REST options. Returns the errno value to hand back to argp;
// on success name and rest are set.
int split_plugin_prefix(argp_state* state, const char* arg, std::string_view& name,
                        std::string_view& rest) {
  const char* colon = std::strchr(arg, ':');
  if (colon == nullptr) {
    argp_error(state, "No colon in \"%s\"", arg);
    return EINVAL;
  }
  if (colon == arg) {
    argp_error(state, "Empty plugin name");
    return EINVAL;
  }
  name = std::string_view(arg, static_cast<size_t>(colon - arg));
  rest = std::string_view(colon + 1);
  return 0;
}

// --userid/--groupid: a bad number is reported and ignored. Like the
// reference, a value out of intmax_t's range also hands ERANGE back to argp,
// which makes the whole parse fail as a system error.
template <class Id>
int parse_id(argp_state* state, const char* arg, Id& id, const char* what) {
  errno = 0;
  char* end = nullptr;
  const intmax_t value = strtoimax(arg, &end, 10);
  const int saved = errno;
  if (saved != 0 || end == arg || *end != '\0' || value != static_cast<intmax_t>(static_cast<Id>(value))) {
    argp_error(state, "Bad %s ID number: \"%s\", using %" PRIdMAX, what, arg,
               static_cast<intmax_t>(id));
    return saved;
  }
  id = static_cast<Id>(value);
  return 0;
}

[[noreturn]] void show_help(argp_state* state, unsigned flags) {
  state->flags &= ~static_cast<unsigned>(ARGP_NO_EXIT);  // force argp to exit
  argp_state_help(state, state->out_stream, flags);
  std::exit(EXIT_SUCCESS);  // not reached: argp exits
}

int handle_full(int key, char* arg, argp_state* state, Settings& settings) {
  std::string_view name, rest;
  switch (key) {
    case 'g':
      for (auto& item : split_commas(arg)) settings.plugins.global().args.push_back(std::move(item));
      return 0;
    case 'G':
      add_environment(settings.plugins.global().env, arg, true);
      return 0;
    case 'o': {
      if (int err = split_plugin_prefix(state, arg, name, rest); err != 0) return err;
      auto& args = settings.plugins.get(name).args;
      for (auto& item : split_commas(rest)) args.push_back(std::move(item));
      return 0;
    }
    case 'E':
      if (int err = split_plugin_prefix(state, arg, name, rest); err != 0) return err;
      add_environment(settings.plugins.get(name).env, rest, true);
      return 0;
    case 'd':
      settings.plugins.get(arg).disabled = true;
      return 0;
    case 'e':
      settings.plugins.get(arg).disabled = false;
      return 0;
    case kPluginDir:
      settings.plugin_dir = arg;
      return 0;
    case kConfigFile:  // taken in pass 1; ignored inside a configuration file
      return 0;
    case kUserId:
      return parse_id(state, arg, settings.uid, "user");
    case kGroupId:
      return parse_id(state, arg, settings.gid, "group");
    case kDebug:
      settings.debug = true;
      return 0;
    case kHelperDir:
      settings.helper_dir = arg;
      return 0;
    case '?':
      show_help(state, ARGP_HELP_STD_HELP);
    case kUsage:
      show_help(state, ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
    case 'V':
      std::fprintf(state->out_stream, "%s\n", argp_program_version);
      std::exit(EXIT_SUCCESS);
    case ARGP_KEY_ARG:
      // cryptsetup passes the crypttab key field, empty for "none".
      return arg[0] == '\0' ? 0 : ARGP_ERR_UNKNOWN;
    default:
      return ARGP_ERR_UNKNOWN;
  }
}

int handle_config_file_option(int key, char* arg, Settings& settings) {
  switch (key) {
    case kConfigFile:
      settings.config_file = arg;
      return 0;
    case ARGP_KEY_ARG:
      return arg[0] == '\0' ? 0 : ARGP_ERR_UNKNOWN;
    default:
      for (const argp_option* option = kOptions; option->name != nullptr; ++option) {
        if (option->key == key) return 0;  // known: acted upon in a later pass
      }
      return ARGP_ERR_UNKNOWN;
  }
}

// argp callback: C code calls it, so nothing may propagate out.
error_t parse_option(int key, char* arg, argp_state* state) noexcept {
  try {
    auto* context = static_cast<ParseContext*>(state->input);
    if (context->pass == Pass::ConfigFileOption) {
      return handle_config_file_option(key, arg, *context->settings);
    }
    return handle_full(key, arg, state, *context->settings);
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  } catch (...) {
    return EINVAL;
  }
}

}  // namespace

int parse_arguments(const std::vector<std::string>& args, Pass pass, Settings& settings) {
  // argp wants a mutable, NULL-terminated argv.
  std::vector<std::string> storage = args;
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  static const argp parser = {kOptions, parse_option, "",
                              "plugin-runner -- start all password plugins at once and "
                              "print the password of the first one that succeeds",
                              nullptr, nullptr, nullptr};
  ParseContext context{&settings, pass};
  return argp_parse(&parser, static_cast<int>(storage.size()), argv.data(),
                    ARGP_IN_ORDER | ARGP_NO_EXIT | ARGP_NO_HELP, nullptr, &context);
}

std::vector<std::string> tokenize_config(std::string_view text) {
  static constexpr std::string_view kWhitespace = " \r\t\f\v\n";
  std::vector<std::string> tokens;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    line = line.substr(0, line.find('\0'));
    line = line.substr(0, line.find('#'));
    while (!line.empty()) {
      const size_t start = line.find_first_not_of(kWhitespace);
      if (start == std::string_view::npos) break;
      line.remove_prefix(start);
      const size_t end = line.find_first_of(kWhitespace);
      tokens.emplace_back(line.substr(0, end));
      line.remove_prefix(end == std::string_view::npos ? line.size() : end);
    }
  }
  return tokens;
}

Result<std::optional<std::vector<std::string>>> read_config_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    const int err = errno;
    if (err == EMFILE || err == ENFILE || err == ENOMEM) {
      return fail(std::string("fopen: ") + std::strerror(err), EX_OSERR);
    }
    return std::optional<std::vector<std::string>>();  // missing or unreadable: no file
  }
  std::string text;
  char chunk[4096];
  for (;;) {
    const ssize_t got = ::read(fd.get(), chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    // The reference stops at the first read error (getline() returning -1)
    // and uses what it has read so far; so do we.
    if (got <= 0) break;
    if (text.size() + static_cast<size_t>(got) > kMaxConfigFileBytes) {
      return fail(path + ": configuration file larger than " +
                      std::to_string(kMaxConfigFileBytes) + " bytes",
                  EX_CONFIG);
    }
    text.append(chunk, static_cast<size_t>(got));
  }
  return std::optional<std::vector<std::string>>(tokenize_config(text));
}

void add_helper_dir_variable(Settings& settings) {
  add_environment(settings.plugins.global().env,
                  "MANDOSPLUGINHELPERDIR=" + settings.effective_helper_dir(), true);
}

}  // namespace mandos::runner
