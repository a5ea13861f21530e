// Key bindings (monitor.md §4): which key does what, and which D-Bus call a
// client key makes. Free of curses so that tests can drive it directly.
#pragma once

#include <string>

namespace mandos::monitor {

// A key as the terminal layer reports it: a character (with `meta` when it
// came as ESC + character) or one of the special keys below.
enum class Special { None, Up, Down, PageUp, PageDown, F1, Resize };

struct KeyPress {
  char32_t character = 0;  // valid when special == Special::None
  Special special = Special::None;
  bool meta = false;
};

enum class Command {
  None,
  Quit,
  Redraw,
  Help,
  ToggleLog,
  SwitchPane,
  ToggleWrap,
  ToggleVerbose,
  Up,
  Down,
  PageUp,
  PageDown,
  Resize,
  // Client commands: act on the focused client of the client list.
  Enable,
  Disable,
  Approve,
  Deny,
  Remove,
  StartChecker,
  StopChecker,
  CheckedOk,
};

[[nodiscard]] Command command_for(const KeyPress& key);

// The calls the monitor makes; fire-and-forget, as the reference's are.
class ClientBus {
 public:
  virtual ~ClientBus() = default;
  virtual void set_enabled(const std::string& path, bool enabled) = 0;
  virtual void approve(const std::string& path, bool approved) = 0;
  virtual void remove_client(const std::string& path) = 0;
  virtual void set_checker_running(const std::string& path, bool running) = 0;
  virtual void checked_ok(const std::string& path) = 0;
};

// Makes the call for a client command; false for any other command.
bool send_client_command(Command command, const std::string& path, ClientBus& bus);

}  // namespace mandos::monitor
