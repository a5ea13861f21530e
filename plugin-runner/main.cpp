// plugin-runner: runs every plugin in the plugin directory at once and prints
// the output of the first one that succeeds (plugin-runner.md). The phases
// below follow the reference's order; supervisor.hpp lists where this
// implementation deliberately differs.
#include <error.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "discovery.hpp"
#include "mandos/fd.hpp"
#include "mandos/secret.hpp"
#include "options.hpp"
#include "supervisor.hpp"

const char* argp_program_version = "plugin-runner " MANDOS_VERSION;
// No argp_program_bug_address: upstream Mandos's list is not the place for
// reports about this implementation.

extern char** environ;

namespace mandos::runner {
namespace {

// Larger than any LUKS key file cryptsetup accepts by default (8 MiB).
constexpr size_t kMaxPluginOutput = 8 * 1024 * 1024;

// Maps an argp_parse() failure to the exit status, as the reference does.
int parse_failure_status(int err, int usage_status) {
  if (err == EINVAL) return usage_status;  // argp has explained it already
  error(0, err, "argp_parse");
  return EX_OSERR;
}

// Phase 1: command line (for --config-file), configuration file, command
// line again. Returns 0 or the exit status for the fallback.
int parse_all(int argc, char** argv, Settings& settings) {
  const std::vector<std::string> args(argv, argv + argc);
  if (int err = parse_arguments(args, Pass::ConfigFileOption, settings); err != 0) {
    return parse_failure_status(err, EX_USAGE);
  }
  auto tokens = read_config_file(settings.effective_config_file());
  if (!tokens) {
    error(0, 0, "%s", tokens.error().message.c_str());
    return tokens.error().code;
  }
  if (tokens->has_value()) {
    std::vector<std::string> file_args{args.empty() ? "plugin-runner" : args.front()};
    file_args.insert(file_args.end(), (*tokens)->begin(), (*tokens)->end());
    if (int err = parse_arguments(file_args, Pass::Full, settings); err != 0) {
      return parse_failure_status(err, EX_CONFIG);
    }
  }
  if (int err = parse_arguments(args, Pass::Full, settings); err != 0) {
    return parse_failure_status(err, EX_USAGE);
  }
  add_helper_dir_variable(settings);
  return 0;
}

void print_settings(const Settings& settings) {
  auto print = [](const PluginSpec& spec, const char* name, bool with_argv0) {
    std::fprintf(stderr, "Plugin: %s has %zu arguments\n", name, spec.args.size());
    if (with_argv0) std::fprintf(stderr, "\tArg: %s\n", spec.name.c_str());
    for (const auto& arg : spec.args) std::fprintf(stderr, "\tArg: %s\n", arg.c_str());
    std::fprintf(stderr, "...and %zu environment variables\n", spec.env.size());
    for (const auto& def : spec.env) std::fprintf(stderr, "\t%s\n", def.c_str());
  };
  auto named = settings.plugins.named();
  for (auto it = named.rbegin(); it != named.rend(); ++it) print(**it, (*it)->name.c_str(), true);
  print(settings.plugins.global(), "Global", false);
}

// Phase 2, as root only: the reference's work-arounds for Debian bugs
// #633582 (plugin directory owned by root in the initrd) and #981302
// (no /dev/fd, which fexecve() of scripts needs).
void root_workarounds(const Settings& settings) {
  UniqueFd dir(::open(kDefaultPluginDir, O_RDONLY | O_CLOEXEC));
  if (!dir) {
    if (errno != ENOENT) error(0, errno, "open(\"%s\")", kDefaultPluginDir);
  } else {
    struct stat st;
    if (::fstat(dir.get(), &st) != 0) {
      error(0, errno, "fstat");
    } else if (S_ISDIR(st.st_mode) && st.st_uid == 0 && st.st_gid == 0 &&
               ::fchown(dir.get(), settings.uid, settings.gid) != 0) {
      error(0, errno, "fchown");
    }
  }
  struct stat st;
  if (::lstat("/dev/fd", &st) != 0 && errno == ENOENT &&
      ::symlink("/proc/self/fd", "/dev/fd") != 0) {
    error(0, errno, "Failed to create /dev/fd symlink");
  }
}

// Phase 3: become the unprivileged user; failures are only reported, as in
// the reference (a non-root caller simply keeps its own identity). Unlike
// the reference, root's supplementary groups are dropped too.
void lower_privileges(const Settings& settings) {
  if (::geteuid() == 0 && ::setgroups(1, &settings.gid) != 0) error(0, errno, "setgroups");
  if (::setgid(settings.gid) != 0) error(0, errno, "setgid");
  if (::setuid(settings.uid) != 0) error(0, errno, "setuid");
}

// Opens and checks one directory entry; nullopt when it is not to be run.
std::optional<PluginLaunch> prepare_plugin(int dir_fd, const std::string& dir_path,
                                           const std::string& name, Settings& settings) {
  UniqueFd file(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    error(0, errno, "Could not open plugin");
    return std::nullopt;
  }
  struct stat st;
  if (::fstat(file.get(), &st) != 0) {
    error(0, errno, "stat");
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode) || ::faccessat(dir_fd, name.c_str(), X_OK, 0) != 0) {
    if (settings.debug) {
      std::fprintf(stderr, "Ignoring plugin dir entry \"%s/%s\" with bad type or mode\n",
                   dir_path.c_str(), name.c_str());
    }
    return std::nullopt;
  }
  const PluginSpec& spec = settings.plugins.get(name);
  if (spec.disabled) {
    if (settings.debug) std::fprintf(stderr, "Ignoring disabled plugin \"%s\"\n", name.c_str());
    return std::nullopt;
  }
  const PluginSpec& global = settings.plugins.global();
  return PluginLaunch{name, dir_path, plugin_argv(spec, global),
                      plugin_environment(spec, global, environ), std::move(file), spec.created};
}

// Phase 4: start every runnable plugin. Returns 0 or an exit status.
int start_plugins(Settings& settings, Supervisor& supervisor) {
  const std::string dir_path = settings.effective_plugin_dir();
  UniqueFd dir(::open(dir_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!dir) {
    error(0, errno, "Could not open plugin dir");
    return EX_UNAVAILABLE;
  }
  auto names = list_candidates(dir.get(), settings.debug);
  if (!names) {
    // The reference then exits 0 without a password; fall back instead.
    error(0, 0, "%s", names.error().message.c_str());
    return EX_UNAVAILABLE;
  }
  for (const auto& name : *names) {
    auto launch = prepare_plugin(dir.get(), dir_path, name, settings);
    if (!launch) continue;
    if (auto started = supervisor.start(std::move(*launch)); !started) {
      error(0, started.error().code, "%s", started.error().message.c_str());
      return EX_OSERR;
    }
  }
  return 0;
}

// Reads a password with getpass(3) as the last resort and prints it.
int fallback(int status) {
  std::fprintf(stderr, "Going to fallback mode using getpass(3)\n");
  char* password = ::getpass("Password: ");
  if (password == nullptr) {
    error(0, errno, "getpass");
    return EX_IOERR;
  }
  size_t length = std::strlen(password);
  if (length > 0 && password[length - 1] == '\n') --length;
  const auto written = write_all(STDOUT_FILENO, password, length);
  secure_wipe(password, length);
  if (!written) {
    error(0, written.error().code, "print_out_password");
    return EX_IOERR;
  }
  return status;
}

[[noreturn]] void die_by_signal(int sig) {
  std::fflush(stderr);
  ::signal(sig, SIG_DFL);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, sig);
  ::sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
  ::raise(sig);
  std::_Exit(128 + sig);
}

int run(int argc, char** argv) {
  auto signals = SignalChannel::open();
  if (!signals) {
    error(0, signals.error().code, "Could not set up signal handling");
    return fallback(EX_OSERR);
  }
  Settings settings;
  if (int status = parse_all(argc, argv, settings); status != 0) {
    signals->restore();
    return fallback(status);
  }
  if (settings.debug) print_settings(settings);
  if (::getuid() == 0) root_workarounds(settings);
  lower_privileges(settings);

  Supervisor supervisor(*signals, settings.debug, kMaxPluginOutput);
  int status = start_plugins(settings, supervisor);
  if (status == 0 && supervisor.started() == 0) {
    std::fprintf(stderr, "No plugin processes started. Incorrect plugin directory?\n");
  }
  bool need_fallback = status != 0 || supervisor.started() == 0;
  if (!need_fallback) {
    switch (supervisor.run()) {
      case Supervisor::Outcome::Winner: {
        const auto output = supervisor.winner_output();
        if (auto written = write_all(STDOUT_FILENO, output.data(), output.size()); !written) {
          error(0, written.error().code, "Failed to print password");
          status = EX_IOERR;
        }
        break;
      }
      case Supervisor::Outcome::AllFailed:
        need_fallback = true;
        break;
      case Supervisor::Outcome::Interrupted:
        break;
      case Supervisor::Outcome::PollError:
        error(0, errno, "poll");
        status = EX_OSERR;
        need_fallback = true;
        break;
    }
  }
  // Unlike the reference, plugins are stopped before the fallback prompt, so
  // none competes with it for the console.
  supervisor.shutdown();
  if (supervisor.termination_signal() != 0) die_by_signal(supervisor.termination_signal());
  signals->restore();
  return need_fallback ? fallback(status) : status;
}

}  // namespace
}  // namespace mandos::runner

int main(int argc, char** argv) { return mandos::runner::run(argc, argv); }
