#include "controller.hpp"

#include <algorithm>

namespace mandos::monitor {

void Controller::start() {
  model_.add_bold_line("Mandos Monitor version " MANDOS_VERSION);
  model_.add_bold_line("q: Quit  ?: Help");
}

Controller::Outcome Controller::handle(const KeyPress& key, WallTime now) {
  const std::vector<ClientRow> clients = model_.rows(now);
  view_.sync(clients, model_.log_serial());
  const Command command = command_for(key);
  // A terminal resize is no answer to the removal question.
  if (!pending_removal_.empty() && command != Command::Resize) {
    answer_removal(key, now);
    return Outcome::Continue;
  }
  switch (command) {
    case Command::Quit: return Outcome::Quit;
    case Command::Resize: return Outcome::Resize;
    case Command::Redraw: return Outcome::ClearScreen;
    case Command::ToggleLog:
      view_.toggle_log();
      model_.log(Level::Debug,
                 std::string("Log visibility changed to: ") +
                     (view_.log_visible() ? "True" : "False"),
                 now);
      return Outcome::Continue;
    case Command::ToggleWrap:
      model_.log(Level::Debug, "Wrap mode: " + view_.toggle_wrap(), now);
      return Outcome::Continue;
    case Command::Help:
      view_.show_log();
      model_.add_bold_line(help_line_global());
      model_.add_bold_line(help_line_clients());
      return Outcome::Continue;
    case Command::SwitchPane: view_.switch_pane(); return Outcome::Continue;
    case Command::ToggleVerbose: model_.toggle_verbose(now); return Outcome::Continue;
    case Command::Up:
    case Command::Down:
    case Command::PageUp:
    case Command::PageDown:
      view_.move(command, clients, model_.log_lines());
      return Outcome::Continue;
    case Command::Remove:
      if (auto path = view_.focused_client(clients)) ask_removal(*path, now);
      return Outcome::Continue;
    case Command::Enable:
    case Command::Disable:
    case Command::Approve:
    case Command::Deny:
    case Command::StartChecker:
    case Command::StopChecker:
    case Command::CheckedOk:
      // Client keys reach only the client list, as in the reference.
      if (auto path = view_.focused_client(clients)) send_client_command(command, *path, bus_);
      return Outcome::Continue;
    case Command::None: return Outcome::Continue;
  }
  return Outcome::Continue;
}

std::string Controller::client_name(const std::string& path) const {
  const std::string* name = model_.name_of(path);
  return name != nullptr ? *name : path;
}

// Removing a client cannot be undone from here (the server forgets it until
// clients.conf is read again), so the key only asks; the next key answers.
void Controller::ask_removal(const std::string& path, WallTime now) {
  pending_removal_ = path;
  view_.show_log();
  model_.log(Level::Info,
             "Remove client " + client_name(path) + "? Press y to remove, any other key to keep it",
             now);
}

void Controller::answer_removal(const KeyPress& key, WallTime now) {
  const std::string path = std::move(pending_removal_);
  pending_removal_.clear();
  const bool yes = key.special == Special::None && !key.meta &&
                   (key.character == U'y' || key.character == U'Y');
  if (!yes) {
    model_.log(Level::Info, "Kept client " + client_name(path), now);
    return;
  }
  send_client_command(Command::Remove, path, bus_);
}

Controller::Frame Controller::frame(WallTime now) {
  Frame frame;
  const std::vector<ClientRow> clients = model_.rows(now);
  view_.sync(clients, model_.log_serial());
  frame.rows = view_.render(clients, model_.log_lines());
  frame.ticking = std::any_of(clients.begin(), clients.end(),
                              [](const ClientRow& row) { return row.status.ticking; });
  return frame;
}

}  // namespace mandos::monitor
