#include "supervisor.hpp"

#include <error.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mandos::runner {

// ---- SignalChannel ---------------------------------------------------------

Result<SignalChannel> SignalChannel::open() {
  SignalChannel channel;
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (::sigprocmask(SIG_BLOCK, &mask, &channel.original_mask_) != 0) {
    return fail(std::string("sigprocmask: ") + std::strerror(errno), errno);
  }
  channel.active_ = true;
  channel.fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!channel.fd_) {
    const int err = errno;
    channel.restore();
    return fail(std::string("signalfd: ") + std::strerror(err), err);
  }
  return channel;
}

SignalChannel::SignalChannel(SignalChannel&& other) noexcept
    : fd_(std::move(other.fd_)),
      original_mask_(other.original_mask_),
      active_(std::exchange(other.active_, false)) {}

SignalChannel::Pending SignalChannel::drain() {
  Pending pending;
  signalfd_siginfo info;
  while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGCHLD) {
      pending.child = true;
    } else if (pending.terminate == 0) {
      pending.terminate = static_cast<int>(info.ssi_signo);
    }
  }
  return pending;
}

void SignalChannel::restore() {
  if (!active_) return;
  active_ = false;
  fd_.reset();
  // Signals that arrived while blocked are delivered now, with the
  // dispositions the runner inherited.
  ::sigprocmask(SIG_SETMASK, &original_mask_, nullptr);
}

// ---- Supervisor ------------------------------------------------------------

namespace {

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& text : strings) result.push_back(text.data());
  result.push_back(nullptr);
  return result;
}

// In the forked child: only the runner's single thread existed, so the
// libc calls below cannot deadlock on locks held elsewhere.
[[noreturn]] void exec_plugin(PluginLaunch& launch, char* const* argv, char* const* envp,
                              int pipe_write, const sigset_t& original_mask) {
  ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  ::setsid();  // own session and process group; see supervisor.hpp
  if (pipe_write == STDOUT_FILENO) {
    ::fcntl(pipe_write, F_SETFD, 0);
  } else if (::dup2(pipe_write, STDOUT_FILENO) < 0) {
    error(0, errno, "dup2");
    ::_exit(EX_OSERR);
  }
  // A "#!" script is run through /dev/fd/N, so the file must stay open.
  ::fcntl(launch.executable.get(), F_SETFD, 0);
  ::fexecve(launch.executable.get(), argv, envp);
  error(0, errno, "fexecve for %s/%s", launch.directory.c_str(), launch.name.c_str());
  ::_exit(EX_OSERR);
}

}  // namespace

Supervisor::Supervisor(SignalChannel& signals, bool debug, size_t max_output)
    : signals_(signals), debug_(debug), max_output_(max_output) {}

Supervisor::~Supervisor() {
  // Normally shutdown() has run; this covers early returns.
  bool any = false;
  for (const auto& plugin : plugins_) any = any || !plugin.reaped;
  if (any) shutdown();
}

Status Supervisor::start(PluginLaunch launch) {
  auto pipe = make_pipe();
  if (!pipe) return fail("pipe", pipe.error().code);
  auto argv = pointers(launch.argv);
  auto envp = pointers(launch.env);
  plugins_.reserve(plugins_.size() + 1);  // no allocation after fork
  const pid_t pid = ::fork();
  if (pid < 0) return fail("fork", errno);
  if (pid == 0) {
    exec_plugin(launch, argv.data(), envp.data(), pipe->write.get(), signals_.original_mask());
  }
  Plugin& plugin = plugins_.emplace_back(Plugin{launch.name, pid, std::move(pipe->read),
                                                OutputBuffer(max_output_), launch.order});
  if (debug_) {
    std::fprintf(stderr, "Plugin %s started (PID %" PRIdMAX ")\n", plugin.name.c_str(),
                 static_cast<intmax_t>(pid));
  }
  return {};
}

void Supervisor::signal_plugin(const Plugin& plugin, int sig) const {
  // Before the child's setsid() its group does not exist yet: signal the
  // child itself then (it has the signal blocked until just before exec, so
  // the signal is not lost).
  if (::kill(-plugin.pid, sig) == 0) return;
  if (errno == ESRCH && !plugin.reaped && ::kill(plugin.pid, sig) == 0) return;
  if (errno != ESRCH) error(0, errno, "kill");
}

void Supervisor::reap_children() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;  // 0: children left but none exited; -1: ECHILD
    for (auto& plugin : plugins_) {
      if (plugin.pid == pid && !plugin.reaped) {
        plugin.reaped = true;
        plugin.status = status;
      }
    }
  }
}

bool Supervisor::any_child_left() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

bool Supervisor::handle_signals() {
  const auto pending = signals_.drain();
  if (pending.child) reap_children();
  if (pending.terminate != 0) {
    if (termination_signal_ == 0) termination_signal_ = pending.terminate;
    return false;
  }
  return true;
}

void Supervisor::log_failure(const Plugin& plugin) const {
  if (!debug_) return;
  const auto pid = static_cast<intmax_t>(plugin.pid);
  if (WIFEXITED(plugin.status)) {
    std::fprintf(stderr, "Plugin %s [%" PRIdMAX "] exited with status %d\n", plugin.name.c_str(),
                 pid, WEXITSTATUS(plugin.status));
  } else if (WIFSIGNALED(plugin.status)) {
    std::fprintf(stderr, "Plugin %s [%" PRIdMAX "] killed by signal %d: %s\n",
                 plugin.name.c_str(), pid, WTERMSIG(plugin.status),
                 strsignal(WTERMSIG(plugin.status)));
  }
}

void Supervisor::drop(Plugin& plugin, bool kill_group) {
  plugin.dropped = true;
  plugin.out.reset();
  plugin.output.reset();
  if (kill_group) signal_plugin(plugin, SIGTERM);
}

int Supervisor::decide() {
  // Most recently created entry first, as the reference's list order.
  std::vector<size_t> order(plugins_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [this](size_t a, size_t b) { return plugins_[a].order > plugins_[b].order; });
  bool any_alive = false;
  for (size_t index : order) {
    Plugin& plugin = plugins_[index];
    if (plugin.dropped) continue;
    if (!(plugin.reaped && plugin.eof)) {
      any_alive = true;
      continue;
    }
    if (WIFEXITED(plugin.status) && WEXITSTATUS(plugin.status) == 0) {
      return static_cast<int>(index);
    }
    log_failure(plugin);
    drop(plugin, false);
  }
  return any_alive ? -1 : -2;
}

void Supervisor::read_output(Plugin& plugin) {
  auto [space, room] = plugin.output.reserve(65536);
  char probe;
  if (room == 0) {  // at the limit: any further byte is too much
    space = &probe;
    room = 1;
  }
  const ssize_t got = ::read(plugin.out.get(), space, room);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (got <= 0) {
    // A pipe read error leaves nothing more to read: it counts as EOF.
    if (got < 0 && debug_) {
      std::fprintf(stderr, "Reading from plugin %s failed: %s\n", plugin.name.c_str(),
                   std::strerror(errno));
    }
    plugin.eof = true;
    plugin.out.reset();
    return;
  }
  if (space == &probe) {
    secure_wipe(&probe, 1);
    error(0, 0, "Plugin %s printed more than %zu bytes; ignoring it", plugin.name.c_str(),
          max_output_);
    drop(plugin, true);
    return;
  }
  plugin.output.commit(static_cast<size_t>(got));
}

Supervisor::Outcome Supervisor::run() {
  std::vector<pollfd> fds;
  std::vector<Plugin*> readers;
  for (;;) {
    const int decision = decide();
    if (decision >= 0) {
      winner_ = decision;
      return Outcome::Winner;
    }
    if (decision == -2) return Outcome::AllFailed;
    fds.assign(1, pollfd{signals_.fd(), POLLIN, 0});
    readers.clear();
    for (auto& plugin : plugins_) {
      if (plugin.dropped || plugin.eof) continue;
      fds.push_back(pollfd{plugin.out.get(), POLLIN, 0});
      readers.push_back(&plugin);
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return Outcome::PollError;
    }
    if (fds[0].revents != 0 && !handle_signals()) return Outcome::Interrupted;
    for (size_t i = 0; i < readers.size(); ++i) {
      if (fds[i + 1].revents != 0) read_output(*readers[i]);
    }
  }
}

std::string_view Supervisor::winner_output() const {
  return winner_ < 0 ? std::string_view() : plugins_[static_cast<size_t>(winner_)].output.view();
}

void Supervisor::shutdown() {
  for (auto& plugin : plugins_) {
    // A reaped plugin whose pipe is still open has left processes behind.
    if (!plugin.reaped || (!plugin.eof && !plugin.dropped)) signal_plugin(plugin, SIGTERM);
    plugin.out.reset();
  }
  reap_children();
  while (any_child_left()) {
    pollfd fd{signals_.fd(), POLLIN, 0};
    if (::poll(&fd, 1, -1) < 0 && errno != EINTR) {
      error(0, errno, "poll");
      break;
    }
    if (!handle_signals()) {
      // Asked again to stop: do not wait for plugins that ignore SIGTERM.
      for (auto& plugin : plugins_) {
        if (!plugin.reaped) signal_plugin(plugin, SIGKILL);
      }
    }
    reap_children();
  }
}

}  // namespace mandos::runner
