#include "terminal.hpp"

#include <curses.h>
#include <langinfo.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "text.hpp"

namespace mandos::monitor {
namespace {

constexpr int kEscape = 27;
// Long enough for a terminal's escape sequences over ssh, short enough that
// Esc (help) feels immediate.
constexpr int kEscapeDelayMs = 50;

// ---- Emergency restore (async-signal-safe) --------------------------------
// Prepared while curses starts, used from fatal-signal handlers and
// std::terminate, where endwin() must not be called.
struct Emergency {
  bool armed = false;
  termios saved{};
  char reset[256] = {};  // exit_ca_mode + cursor_normal + exit_attribute_mode
  size_t reset_length = 0;
  struct sigaction previous[NSIG];
};
Emergency emergency;
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

void append_capability(const char* name) {
  const char* value = tigetstr(const_cast<char*>(name));
  if (value == nullptr || value == reinterpret_cast<const char*>(-1)) return;
  const size_t length = std::strlen(value);
  if (emergency.reset_length + length >= sizeof emergency.reset) return;
  std::memcpy(emergency.reset + emergency.reset_length, value, length);
  emergency.reset_length += length;
}

void emergency_restore() {
  if (!emergency.armed) return;
  emergency.armed = false;
  [[maybe_unused]] ssize_t written =
      ::write(STDOUT_FILENO, emergency.reset, emergency.reset_length);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &emergency.saved);
}

void on_fatal_signal(int signal_number) {
  emergency_restore();
  // Hand the signal to whoever had it before (default action, or the
  // sanitizers' reporter): it is re-delivered when this handler returns.
  ::sigaction(signal_number, &emergency.previous[signal_number], nullptr);
  ::raise(signal_number);
}

void arm_emergency_restore() {
  ::tcgetattr(STDIN_FILENO, &emergency.saved);
  emergency.reset_length = 0;
  append_capability("rmcup");
  append_capability("cnorm");
  append_capability("sgr0");
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  sigemptyset(&action.sa_mask);
  for (int signal_number : kFatalSignals) {
    ::sigaction(signal_number, &action, &emergency.previous[signal_number]);
  }
  std::set_terminate([] {
    emergency_restore();
    std::abort();
  });
  emergency.armed = true;
}

void disarm_emergency_restore() {
  emergency.armed = false;
  for (int signal_number : kFatalSignals) {
    ::sigaction(signal_number, &emergency.previous[signal_number], nullptr);
  }
}

Special special_for(wint_t code) {
  switch (code) {
    case KEY_UP: return Special::Up;
    case KEY_DOWN: return Special::Down;
    case KEY_PPAGE: return Special::PageUp;
    case KEY_NPAGE: return Special::PageDown;
    case KEY_F(1): return Special::F1;
    case KEY_RESIZE: return Special::Resize;
    default: return Special::None;
  }
}

attr_t curses_attr(Attr attr) {
  switch (attr) {
    case Attr::Normal: return A_NORMAL;
    case Attr::Bold: return A_BOLD;
    case Attr::Standout: return A_STANDOUT;
  }
  return A_NORMAL;
}

}  // namespace

bool locale_is_utf8() {
  const char* codeset = ::nl_langinfo(CODESET);
  return codeset != nullptr && std::strcmp(codeset, "UTF-8") == 0;
}

Result<std::unique_ptr<Terminal>> Terminal::open() {
  if (::isatty(STDIN_FILENO) == 0 || ::isatty(STDOUT_FILENO) == 0) {
    return fail("standard input and output must be a terminal");
  }
  // initscr() exits the process on failure; newterm() reports it instead.
  SCREEN* screen = ::newterm(nullptr, stdout, stdin);
  if (screen == nullptr) return fail("cannot initialize the terminal (is TERM set?)");
  arm_emergency_restore();
  ::cbreak();  // Ctrl-C and Ctrl-Z still send their signals, as with urwid
  ::noecho();
  ::nonl();
  ::keypad(stdscr, TRUE);
  ::nodelay(stdscr, TRUE);
  if (std::getenv("ESCDELAY") == nullptr) ::set_escdelay(kEscapeDelayMs);
  ::curs_set(0);
  ::leaveok(stdscr, TRUE);
  std::unique_ptr<Terminal> terminal(new Terminal());
  terminal->screen_ = screen;
  return terminal;
}

Terminal::~Terminal() {
  ::endwin();
  disarm_emergency_restore();
  ::delscreen(screen_);
}

int Terminal::rows() const { return LINES; }
int Terminal::cols() const { return COLS; }

void Terminal::resize() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0) {
    ::resizeterm(size.ws_row, size.ws_col);
  }
}

std::vector<KeyPress> Terminal::read_keys() {
  std::vector<KeyPress> keys;
  wint_t code = 0;
  for (int got = ::wget_wch(stdscr, &code); got != ERR; got = ::wget_wch(stdscr, &code)) {
    KeyPress key;
    if (got == KEY_CODE_YES) {
      key.special = special_for(code);
      if (key.special == Special::None) continue;  // a key the monitor does not use
    } else if (code == kEscape) {
      // ESC directly followed by a character is that character with Meta.
      wint_t next = 0;
      if (::wget_wch(stdscr, &next) == OK) {
        key.character = static_cast<char32_t>(next);
        key.meta = true;
      } else {
        key.character = static_cast<char32_t>(code);
      }
    } else {
      key.character = static_cast<char32_t>(code);
    }
    keys.push_back(key);
  }
  return keys;
}

void Terminal::paint(const std::vector<ScreenRow>& rows) {
  const int width = COLS;
  for (int y = 0; y < LINES; ++y) {
    ScreenRow row;
    if (y < static_cast<int>(rows.size())) row = rows[static_cast<size_t>(y)];
    // Pad with spaces in the row's attribute (standout spans the width).
    row.text.append(static_cast<size_t>(std::max(width - text_width(row.text), 0)), L' ');
    ::wattrset(stdscr, curses_attr(row.attr));
    ::wmove(stdscr, y, 0);
    if (y < LINES - 1 || row.text.empty()) {
      ::waddnwstr(stdscr, row.text.c_str(), static_cast<int>(row.text.size()));
      continue;
    }
    // Adding a character to the bottom-right cell fails (the cursor cannot
    // move on); inserting the last one there does not move the cursor.
    ::waddnwstr(stdscr, row.text.c_str(), static_cast<int>(row.text.size() - 1));
    const wchar_t last[2] = {row.text.back(), L'\0'};
    cchar_t cell;
    ::setcchar(&cell, last, curses_attr(row.attr), 0, nullptr);
    ::wins_wch(stdscr, &cell);
  }
  ::wattrset(stdscr, A_NORMAL);
  ::wnoutrefresh(stdscr);
  ::doupdate();
}

void Terminal::clear() { ::clearok(curscr, TRUE); }

Result<std::unique_ptr<SignalFd>> SignalFd::open() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH}) {
    sigaddset(&set, signal_number);
  }
  if (int err = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    return fail(std::string("cannot block signals: ") + std::strerror(err), err);
  }
  std::unique_ptr<SignalFd> signals(new SignalFd());
  signals->fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals->fd_) return fail(std::string("signalfd: ") + std::strerror(errno), errno);
  return signals;
}

SignalFd::~SignalFd() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH}) {
    sigaddset(&set, signal_number);
  }
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

std::vector<int> SignalFd::take() {
  std::vector<int> received;
  signalfd_siginfo info{};
  while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    received.push_back(static_cast<int>(info.ssi_signo));
  }
  return received;
}

}  // namespace mandos::monitor
