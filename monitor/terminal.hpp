// The curses side of mandos-monitor: one RAII owner of the ncursesw screen,
// key reading, painting prepared rows, and restoring the terminal on every
// way out (normal return, exception, std::terminate, fatal signal).
#pragma once

#include <memory>
#include <vector>

#include "keys.hpp"
#include "mandos/fd.hpp"
#include "mandos/result.hpp"
#include "view.hpp"

struct screen;  // ncurses' SCREEN

namespace mandos::monitor {

// Whether the locale's character set is UTF-8 (urwid's supports_unicode).
[[nodiscard]] bool locale_is_utf8();

class Terminal {
 public:
  // Starts curses on the controlling terminal (stdin/stdout). setlocale()
  // must have run before.
  [[nodiscard]] static Result<std::unique_ptr<Terminal>> open();
  ~Terminal();  // endwin()
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  int rows() const;
  int cols() const;
  // After SIGWINCH: asks the terminal for its size and tells curses.
  void resize();
  // Everything typed so far; never blocks.
  [[nodiscard]] std::vector<KeyPress> read_keys();
  // Draws exactly these rows (padded to the full width).
  void paint(const std::vector<ScreenRow>& rows);
  // Ctrl-L: the next paint redraws every cell.
  void clear();

 private:
  Terminal() = default;
  ::screen* screen_ = nullptr;
};

// SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGWINCH, blocked in this thread
// (and in threads started later) and read from a signalfd in the main loop.
class SignalFd {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SignalFd>> open();
  ~SignalFd();  // unblocks them again
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  int fd() const { return fd_.get(); }
  // The signals received since the last call, in order.
  [[nodiscard]] std::vector<int> take();

 private:
  SignalFd() = default;
  UniqueFd fd_;
};

}  // namespace mandos::monitor
