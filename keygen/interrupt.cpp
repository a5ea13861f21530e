#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <csignal>

namespace mandos::keygen {
namespace {

volatile sig_atomic_t g_signal = 0;
// Terminal settings to put back if a signal arrives while echo is off.
volatile sig_atomic_t g_restore_fd = -1;
termios g_restore_settings{};

constexpr int kHandledSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

extern "C" void on_signal(int sig) {
  if (g_signal == 0) g_signal = sig;
  if (g_restore_fd >= 0) ::tcsetattr(g_restore_fd, TCSANOW, &g_restore_settings);  // async-signal-safe
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR
  for (int sig : kHandledSignals) ::sigaction(sig, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

int pending_interrupt() { return g_signal; }

void die_of_signal(int sig) {
  ::signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);  // only if the signal was ignored by our parent's choice
}

EchoOff::EchoOff(int fd) : fd_(fd) {
  if (::isatty(fd) == 0 || ::tcgetattr(fd, &saved_) != 0) return;
  termios quiet = saved_;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  g_restore_settings = saved_;
  g_restore_fd = fd;
  if (::tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
    g_restore_fd = -1;
    return;
  }
  active_ = true;
}

EchoOff::~EchoOff() {
  if (!active_) return;
  g_restore_fd = -1;
  ::tcsetattr(fd_, TCSANOW, &saved_);
}

}  // namespace mandos::keygen
