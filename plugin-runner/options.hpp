// Command-line and configuration-file options of plugin-runner, parsed with
// glibc argp exactly as the reference does (so --help, --usage, -V and the
// error texts are argp's own). Parsing happens in three passes:
//   1. the command line, looking only for --config-file;
//   2. the configuration file's tokens;
//   3. the command line again, so it overrides the file.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mandos/result.hpp"
#include "plugin_table.hpp"

namespace mandos::runner {

inline constexpr const char* kDefaultPluginDir = "/lib/mandos/plugins.d";
inline constexpr const char* kDefaultHelperDir = "/lib/mandos/plugin-helpers";
inline constexpr const char* kDefaultConfigFile = "/conf/conf.d/mandos/plugin-runner.conf";
inline constexpr uid_t kDefaultUid = 65534;
inline constexpr gid_t kDefaultGid = 65534;
// A configuration file is a short list of options; anything larger is not one.
inline constexpr size_t kMaxConfigFileBytes = 1024 * 1024;

struct Settings {
  PluginTable plugins;
  std::optional<std::string> plugin_dir;
  std::optional<std::string> helper_dir;
  std::optional<std::string> config_file;
  uid_t uid = kDefaultUid;
  gid_t gid = kDefaultGid;
  bool debug = false;

  std::string effective_plugin_dir() const { return plugin_dir.value_or(kDefaultPluginDir); }
  std::string effective_helper_dir() const { return helper_dir.value_or(kDefaultHelperDir); }
  std::string effective_config_file() const {
    return config_file.value_or(kDefaultConfigFile);
  }
};

enum class Pass {
  ConfigFileOption,  // pass 1: only --config-file is acted upon
  Full,              // passes 2 and 3
};

// Runs argp over args (args[0] is the program name). Returns argp_parse's
// result: 0, EINVAL for a usage error (already reported on stderr by argp),
// or another errno value for a system error. --help, --usage and --version
// print and exit(0) from inside, as in the reference.
int parse_arguments(const std::vector<std::string>& args, Pass pass, Settings& settings);

// Splits configuration-file text into arguments: on each line everything
// from the first '#' is a comment, the rest splits on space, TAB, CR, LF, FF
// and VT; there is no quoting. A NUL ends its line, as in the reference's C
// string handling.
std::vector<std::string> tokenize_config(std::string_view text);

// Reads and tokenizes a configuration file. nullopt: the file could not be
// opened for a reason the reference ignores (missing, unreadable). An error
// carries the exit status to use (71 for EMFILE/ENFILE/ENOMEM, 74 for read
// errors, 78 for an oversized file) and a message naming the file.
Result<std::optional<std::vector<std::string>>> read_config_file(const std::string& path);

// Adds MANDOSPLUGINHELPERDIR for the effective helper directory to the
// global environment, replacing a --global-env definition of it.
void add_helper_dir_variable(Settings& settings);

}  // namespace mandos::runner
