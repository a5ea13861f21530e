#include "keys.hpp"

namespace mandos::monitor {
namespace {

constexpr char32_t ctrl(char letter) { return static_cast<char32_t>(letter - 'a' + 1); }
constexpr char32_t kTab = 9;
constexpr char32_t kEscape = 27;

Command command_for_special(Special special) {
  switch (special) {
    case Special::Up: return Command::Up;
    case Special::Down: return Command::Down;
    case Special::PageUp: return Command::PageUp;
    case Special::PageDown: return Command::PageDown;
    case Special::F1: return Command::Help;
    case Special::Resize: return Command::Resize;
    case Special::None: return Command::None;
  }
  return Command::None;
}

// Keys the reference translates to movement first (Emacs, less and vi
// habits); they therefore never reach a client.
Command movement_for(char32_t c) {
  switch (c) {
    case ctrl('n'):
    case U'j': return Command::Down;
    case ctrl('p'):
    case U'k': return Command::Up;
    case ctrl('v'):
    case U' ':
    case U'f': return Command::PageDown;
    case U'b': return Command::PageUp;
    default: return Command::None;
  }
}

Command global_for(char32_t c) {
  switch (c) {
    case U'q':
    case U'Q': return Command::Quit;
    case ctrl('l'): return Command::Redraw;
    case U'l':
    case U'D': return Command::ToggleLog;
    case U'w':
    case U'i': return Command::ToggleWrap;
    case U'?':
    case kEscape: return Command::Help;
    case kTab: return Command::SwitchPane;
    case U'v': return Command::ToggleVerbose;
    default: return Command::None;
  }
}

Command client_for(char32_t c) {
  switch (c) {
    case U'+': return Command::Enable;
    case U'-': return Command::Disable;
    case U'a': return Command::Approve;
    case U'd': return Command::Deny;
    case U'R':
    case U'_':
    case ctrl('k'): return Command::Remove;
    case U's': return Command::StartChecker;
    case U'S': return Command::StopChecker;
    case U'C': return Command::CheckedOk;
    default: return Command::None;
  }
}

}  // namespace

Command command_for(const KeyPress& key) {
  if (key.special != Special::None) return command_for_special(key.special);
  if (key.meta) {
    // Meta-V is page up; other meta keys mean nothing here.
    return key.character == U'v' ? Command::PageUp : Command::None;
  }
  if (Command move = movement_for(key.character); move != Command::None) return move;
  if (Command global = global_for(key.character); global != Command::None) return global;
  return client_for(key.character);
}

bool send_client_command(Command command, const std::string& path, ClientBus& bus) {
  switch (command) {
    case Command::Enable: bus.set_enabled(path, true); return true;
    case Command::Disable: bus.set_enabled(path, false); return true;
    case Command::Approve: bus.approve(path, true); return true;
    case Command::Deny: bus.approve(path, false); return true;
    case Command::Remove: bus.remove_client(path); return true;
    case Command::StartChecker: bus.set_checker_running(path, true); return true;
    case Command::StopChecker: bus.set_checker_running(path, false); return true;
    case Command::CheckedOk: bus.checked_ok(path); return true;
    case Command::None:
    case Command::Quit:
    case Command::Redraw:
    case Command::Help:
    case Command::ToggleLog:
    case Command::SwitchPane:
    case Command::ToggleWrap:
    case Command::ToggleVerbose:
    case Command::Up:
    case Command::Down:
    case Command::PageUp:
    case Command::PageDown:
    case Command::Resize: return false;
  }
  return false;
}

}  // namespace mandos::monitor
