// Scenario-test helpers for mandos-monitor: a private D-Bus system bus, and
// the monitor running in a detached tmux session of a fixed size, driven
// with send-keys and read with capture-pane. Used by the integration tests
// (our server) and the interop tests (Debian's server).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "mandos/test/private_bus.hpp"
#include "mandos/test/support.hpp"

namespace mandos::monitor::harness {

using namespace std::chrono_literals;

// dbus-daemon with a system-bus configuration whose policy allows
// everything, listening on a socket in `dir`.
class PrivateBus {
 public:
  explicit PrivateBus(const std::string& dir) : bus_(dir) {}  // throws std::runtime_error
  // For DBUS_SYSTEM_BUS_ADDRESS.
  const std::string& address() const { return bus_.address(); }
  std::string environment() const { return bus_.environment_entry(); }

 private:
  test::PrivateSystemBus bus_;
};

// One program in a detached tmux session on a tmux server of its own
// (socket in `dir`). The pane stays after the program ends so that its
// exit status and last screen can be read.
class TmuxSession {
 public:
  TmuxSession(const std::string& dir, const std::vector<std::string>& environment,
              const std::string& shell_command, int cols, int rows);
  ~TmuxSession();
  TmuxSession(const TmuxSession&) = delete;
  TmuxSession& operator=(const TmuxSession&) = delete;

  // The visible rows, trailing blanks removed by tmux.
  std::vector<std::string> rows();
  std::string screen();
  // The same with escape sequences for attributes (capture-pane -e).
  std::vector<std::string> rows_with_attributes();
  // tmux key names ("Tab", "C-l", "Up") or single characters.
  void send_keys(const std::vector<std::string>& keys);
  void resize(int cols, int rows);
  // A tmux format for the pane, e.g. "#{pane_dead}".
  std::string pane_format(const std::string& format);
  bool dead() { return pane_format("#{pane_dead}") == "1"; }

  bool wait_for(const std::function<bool(const std::vector<std::string>&)>& condition,
                std::chrono::milliseconds timeout = 20s);
  bool wait_for_text(const std::string& text, std::chrono::milliseconds timeout = 20s);

 private:
  test::RunResult tmux(std::vector<std::string> arguments);

  std::string socket_;
  std::string name_ = "monitor";
};

// A shell command for TmuxSession that runs `program` with its pid in
// `pid_file` and afterwards prints "tty restored" or "tty changed" (stty
// settings compared with those before) and "exit status N", then waits
// (the pane stays alive until the session ends).
std::string wrapped_command(const std::string& program, const std::string& pid_file);

// Index of the first row containing `text`, or -1.
int row_with(const std::vector<std::string>& rows, const std::string& text);
// Index of the divider row (only ─ or _ characters, full width), or -1.
int divider_row(const std::vector<std::string>& rows, int cols, bool unicode = true);

// The path of our mandos-monitor in the build tree.
std::string monitor_program();

}  // namespace mandos::monitor::harness
