// mandos-tls-worker: the unprivileged half of the mandos server. Started by
// the main process (fork+exec) with fd 3 = its channel (common/ipc.hpp) and
// fd 4 = the listening socket; it reads version lines, does the TLS
// handshakes, asks the main process for secrets by key ID and sends them.
//
// Exit status: 0 when the main process closed the channel, 1 on errors
// (including a malformed message from the main process), 2 on usage errors.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "common/ipc.hpp"
#include "mandos/fd.hpp"
#include "mandos/log.hpp"
#include "mandos/tls.hpp"
#include "worker/options.hpp"
#include "worker/startup.hpp"
#include "worker/worker.hpp"

namespace {

namespace worker = mandos::server::worker;
namespace log = mandos::log;

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

int fatal(const std::string& message) {
  std::cerr << "mandos-tls-worker: " << message << '\n';
  return kExitError;
}

void configure_logging(const worker::WorkerOptions& options) {
  log::Options log_options;
  log_options.threshold = options.debug ? log::Level::Debug : options.debuglevel;
  log_options.to_syslog = true;
  log_options.syslog_tag = worker::syslog_tag(options.servicename);
  log_options.stderr_style = options.debug ? log::StderrStyle::Timestamped : log::StderrStyle::None;
  log_options.stderr_name = "mandos";
  log::configure(std::move(log_options));
  if (options.debug) {
    mandos::tls::set_log_callback(
        [](int, std::string_view line) { log::debug("GnuTLS: ", line); });
    mandos::tls::set_log_level(mandos::tls::kDebugLogLevel);
  }
}

// Everything before the event loop; returns an exit status on failure.
int start(const worker::WorkerOptions& options) {
  if (!options.allow_root) {
    if (auto ok = worker::check_not_root(); !ok) return fatal(ok.error().message);
  }
  if (auto ok = worker::die_with_parent(); !ok) return fatal(ok.error().message);
  if (auto ok = worker::restrict_process(); !ok) return fatal(ok.error().message);
  if (auto ok = worker::check_inherited_fds(); !ok) return fatal(ok.error().message);
  ::signal(SIGPIPE, SIG_IGN);  // every send uses MSG_NOSIGNAL; this is a backstop
  configure_logging(options);

  auto gnutls = mandos::tls::GlobalInit::create();
  if (!gnutls) return fatal(gnutls.error().message);
  worker::WorkerSettings settings;
  settings.connection.priority =
      options.priority.empty() ? std::string(mandos::tls::kDefaultPriority) : options.priority;
  // An invalid string would fail every connection: refuse it up front.
  if (auto priority = mandos::tls::make_priority(settings.connection.priority); !priority) {
    log::critical("Bad --priority: ", priority.error().message);
    return fatal("option --priority: " + priority.error().message);
  }
  settings.connection.handshake_timeout = options.handshake_timeout;
  settings.connection.close_timeout = options.close_timeout;
  settings.max_connections = options.max_connections;
  size_t fd_room = worker::raise_fd_limit();
  if (fd_room < settings.max_connections) {
    log::warning("Only ", fd_room, " file descriptors available; serving at most ", fd_room,
                 " connections at once instead of ", settings.max_connections);
    settings.max_connections = std::max<size_t>(fd_room, 1);
  }

  auto loop = worker::Worker::create(settings, mandos::UniqueFd(mandos::server::ipc::kWorkerChannelFd),
                                     mandos::UniqueFd(mandos::server::ipc::kListenFd));
  if (!loop) {
    log::critical("Cannot start: ", loop.error().message);
    return kExitError;
  }
  return (*loop)->run();
}

}  // namespace

int main(int argc, char** argv) {
  // First, so that nothing opened below can leak an inherited descriptor.
  worker::close_inherited_fds();
  std::vector<std::string> args(argv, argv + argc);
  auto options = worker::parse_options(args);
  if (!options) {
    std::cerr << "mandos-tls-worker: " << options.error().message << "\n\n"
              << worker::usage_text();
    return kExitUsage;
  }
  if (options->help) {
    std::cout << worker::usage_text();
    return 0;
  }
  return start(*options);
}
