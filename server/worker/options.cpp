#include "worker/options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "common/ipc.hpp"

namespace mandos::server::worker {
namespace {

constexpr double kMaxTimeoutSeconds = 24 * 3600;

Result<std::chrono::milliseconds> parse_seconds(const std::string& option,
                                                const std::string& text) {
  errno = 0;
  char* end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(seconds) ||
      seconds < 0.001 || seconds > kMaxTimeoutSeconds) {
    return fail("option " + option + ": \"" + text +
                "\" is not a number of seconds between 0.001 and 86400");
  }
  return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
}

Result<size_t> parse_count(const std::string& option, const std::string& text, size_t max) {
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || end != text.c_str() + text.size() || errno != 0 ||
      value < 1 || value > max) {
    return fail("option " + option + ": \"" + text + "\" is not an integer between 1 and " +
                std::to_string(max));
  }
  return static_cast<size_t>(value);
}

// Splits "--name=value" / "--name value"; nullopt value if none given.
struct Split {
  std::string name;
  std::optional<std::string> value;
};

Split split_option(const std::string& arg) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos) return {arg, std::nullopt};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

// Applies one option that takes a value.
Status apply_valued(WorkerOptions& options, const std::string& name, const std::string& value) {
  if (name == "--priority") {
    options.priority = value;
  } else if (name == "--debuglevel") {
    auto level = log::parse_level(value);
    if (!level) return fail("option --debuglevel: " + level.error().message);
    options.debuglevel = *level;
  } else if (name == "--servicename") {
    options.servicename = value;
  } else if (name == "--handshake-timeout") {
    auto timeout = parse_seconds(name, value);
    if (!timeout) return timeout.error();
    options.handshake_timeout = *timeout;
  } else if (name == "--close-timeout") {
    auto timeout = parse_seconds(name, value);
    if (!timeout) return timeout.error();
    options.close_timeout = *timeout;
  } else if (name == "--max-connections") {
    // Every connection may hold an open request; the main process allows
    // at most kMaxOutstandingRequests of them.
    auto count = parse_count(name, value, ipc::kMaxOutstandingRequests);
    if (!count) return count.error();
    options.max_connections = *count;
  }
  return {};
}

bool takes_value(const std::string& name) {
  return name == "--priority" || name == "--debuglevel" || name == "--servicename" ||
         name == "--handshake-timeout" || name == "--close-timeout" ||
         name == "--max-connections";
}

}  // namespace

Result<WorkerOptions> parse_options(const std::vector<std::string>& args) {
  WorkerOptions options;
  for (size_t i = 1; i < args.size(); ++i) {
    Split split = split_option(args[i]);
    if (takes_value(split.name)) {
      if (!split.value) {
        if (i + 1 >= args.size()) return fail("option " + split.name + " requires a value");
        split.value = args[++i];
      }
      if (Status ok = apply_valued(options, split.name, *split.value); !ok) return ok.error();
      continue;
    }
    if (split.value) return fail("option " + split.name + " takes no value");
    if (split.name == "--debug") {
      options.debug = true;
    } else if (split.name == "--allow-root") {
      options.allow_root = true;
    } else if (split.name == "--help" || split.name == "-h") {
      options.help = true;
    } else {
      return fail("unknown argument \"" + args[i] + "\"");
    }
  }
  return options;
}

std::string usage_text() {
  return "Usage: mandos-tls-worker [OPTION...]\n"
         "Handles Mandos client connections for the mandos server, which starts it\n"
         "with fd 3 = its channel to the server and fd 4 = the listening socket.\n"
         "\n"
         "  --priority=STRING          GnuTLS priority string\n"
         "  --debug                    log everything, also to stderr\n"
         "  --debuglevel=LEVEL         DEBUG, INFO, WARNING, ERROR or CRITICAL\n"
         "  --servicename=NAME         syslog tag \"Mandos (NAME)\"\n"
         "  --handshake-timeout=SECS   limit from accept to finished handshake (10)\n"
         "  --close-timeout=SECS       limit for sending the answer and close_notify (10)\n"
         "  --max-connections=N        connections handled at once (1024)\n"
         "  --allow-root               run even as root (tests only)\n"
         "  --help                     this text\n";
}

std::string syslog_tag(const std::string& servicename) {
  if (servicename == "Mandos") return "Mandos";
  return "Mandos (" + servicename + ")";
}

}  // namespace mandos::server::worker
