// Signals: SIGINT/SIGTERM/SIGHUP/SIGQUIT are recorded, not fatal at once,
// so the program can restore the terminal and remove its temporary GnuPG
// home (which holds unprotected secret keys) before dying of the signal.
#pragma once

#include <termios.h>

namespace mandos::keygen {

// Installs the handlers (without SA_RESTART, so blocking reads return
// EINTR) and ignores SIGPIPE.
void install_interrupt_handlers();

// The first recorded signal, or 0.
int pending_interrupt();

// Restores default handling and re-raises `sig`, so the exit status shows
// the signal as it would for the reference script.
[[noreturn]] void die_of_signal(int sig);

// Turns terminal echo off on `fd` while alive, if `fd` is a terminal. A
// signal handler restores the saved settings before anything else.
class EchoOff {
 public:
  explicit EchoOff(int fd);
  ~EchoOff();
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_ = -1;
  bool active_ = false;
  termios saved_{};
};

}  // namespace mandos::keygen
