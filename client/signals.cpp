#include "signals.hpp"

#include <signal.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace mandos::client::signals {
namespace {

constexpr int kHandled[] = {SIGINT, SIGHUP, SIGTERM};

volatile sig_atomic_t g_caught = 0;
sigset_t g_wait_mask;  // the mask used inside waits (handled signals open)

void on_signal(int sig) {
  if (g_caught == 0) g_caught = sig;
}

}  // namespace

Status install() {
  sigset_t blocked;
  sigemptyset(&blocked);
  for (int sig : kHandled) sigaddset(&blocked, sig);
  sigset_t previous;
  if (::sigprocmask(SIG_BLOCK, &blocked, &previous) != 0) {
    return fail(std::string("sigprocmask: ") + std::strerror(errno), errno);
  }
  g_wait_mask = previous;
  for (int sig : kHandled) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0) {
      return fail(std::string("sigaction: ") + std::strerror(errno), errno);
    }
    if (old.sa_handler == SIG_IGN) continue;  // ignored by our parent: keep it so
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigfillset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: waits must see EINTR
    if (::sigaction(sig, &action, nullptr) != 0) {
      return fail(std::string("sigaction: ") + std::strerror(errno), errno);
    }
    sigdelset(&g_wait_mask, sig);
  }
  return {};
}

int caught() { return g_caught; }

int poll(pollfd* fds, nfds_t count, int timeout_ms) {
  if (g_caught != 0) {
    errno = EINTR;
    return -1;
  }
  timespec timeout{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000L};
  return ::ppoll(fds, count, timeout_ms < 0 ? nullptr : &timeout, &g_wait_mask);
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  if (left.count() > INT_MAX) return INT_MAX;
  // Round up so a wait does not end a hair before its deadline.
  return static_cast<int>(left.count()) + (left.count() < INT_MAX ? 1 : 0);
}

Result<Wait> wait_fd(int fd, short events, std::optional<Clock::time_point> deadline) {
  for (;;) {
    if (g_caught != 0) return Wait::kInterrupted;
    int timeout = deadline ? remaining_ms(*deadline) : -1;
    if (deadline && timeout == 0 && Clock::now() >= *deadline) return Wait::kTimeout;
    pollfd pfd{fd, events, 0};
    int ret = signals::poll(&pfd, 1, timeout);
    if (ret > 0) return Wait::kReady;
    if (ret == 0) {
      if (deadline && Clock::now() >= *deadline) return Wait::kTimeout;
      continue;
    }
    if (errno != EINTR) return fail(std::string("poll: ") + std::strerror(errno), errno);
  }
}

bool sleep_for(std::chrono::milliseconds duration) {
  auto deadline = Clock::now() + duration;
  for (;;) {
    if (g_caught != 0) return false;
    int timeout = remaining_ms(deadline);
    if (timeout == 0 && Clock::now() >= deadline) return true;
    if (signals::poll(nullptr, 0, timeout) == 0 && Clock::now() >= deadline) return true;
  }
}

void reraise_if_caught() {
  int sig = g_caught;
  if (sig == 0) return;
  ::signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(sig);
}

void ignore_in_child() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kHandled) {
    ::signal(sig, SIG_IGN);
    sigaddset(&set, sig);
  }
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  g_caught = 0;
}

}  // namespace mandos::client::signals
