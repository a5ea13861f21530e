#include "runner.hpp"

#include <optional>
#include <ostream>

#include "output.hpp"
#include "text.hpp"

namespace mandos::ctl {
namespace {

constexpr const char* kPermissionDenied =
    "Could not connect to Mandos server: permission denied by the D-Bus policy "
    "(only root and members of group _mandos may use it)";

// The message for a failure to list the clients (ctl.md §3 step 1).
std::string listing_failure(const Error& error) {
  switch (bus_error_kind(error)) {
    case BusErrorKind::kNoBus:
    case BusErrorKind::kNoServer:
      return "Could not connect to Mandos server: " + error.message;
    case BusErrorKind::kAccessDenied:
      return kPermissionDenied;
    case BusErrorKind::kFailed:
      break;
  }
  return "Failed to access Mandos server through D-Bus:\n" + error.message;
}

// The message for a failed action on one client.
std::string action_failure(const Error& error, const std::string& what, const Client& client) {
  switch (bus_error_kind(error)) {
    case BusErrorKind::kNoBus:
    case BusErrorKind::kNoServer:
      return "Could not connect to Mandos server: " + error.message;
    case BusErrorKind::kAccessDenied:
      return kPermissionDenied;
    case BusErrorKind::kFailed:
      break;
  }
  return "Failed to " + what + " client " + python_repr(client.name()) + ": " +
         summarize_bus_message(error.message);
}

struct Setter {
  const char* property;
  const char* what;  // for messages: "Failed to <what> client 'x'"
};

Setter setter_for(CommandKind kind) {
  switch (kind) {
    case CommandKind::kEnable: return {"Enabled", "enable"};
    case CommandKind::kDisable: return {"Enabled", "disable"};
    case CommandKind::kBumpTimeout: return {"LastCheckedOK", "bump the timeout of"};
    case CommandKind::kStartChecker: return {"CheckerRunning", "start the checker of"};
    case CommandKind::kStopChecker: return {"CheckerRunning", "stop the checker of"};
    case CommandKind::kSetChecker: return {"Checker", "set Checker of"};
    case CommandKind::kSetTimeout: return {"Timeout", "set Timeout of"};
    case CommandKind::kSetExtendedTimeout: return {"ExtendedTimeout", "set ExtendedTimeout of"};
    case CommandKind::kSetInterval: return {"Interval", "set Interval of"};
    case CommandKind::kApproveByDefault: return {"ApprovedByDefault", "set ApprovedByDefault of"};
    case CommandKind::kDenyByDefault: return {"ApprovedByDefault", "set ApprovedByDefault of"};
    case CommandKind::kSetApprovalDelay: return {"ApprovalDelay", "set ApprovalDelay of"};
    case CommandKind::kSetApprovalDuration:
      return {"ApprovalDuration", "set ApprovalDuration of"};
    case CommandKind::kSetHost: return {"Host", "set Host of"};
    case CommandKind::kSetSecret: return {"Secret", "set Secret of"};
    case CommandKind::kDumpJson:
    case CommandKind::kIsEnabled:
    case CommandKind::kRemove:
    case CommandKind::kApprove:
    case CommandKind::kDeny:
      break;
  }
  return {"", ""};
}

SetValue set_value(const Command& command) {
  switch (command.kind) {
    case CommandKind::kEnable:
    case CommandKind::kStartChecker:
    case CommandKind::kApproveByDefault:
      return true;
    case CommandKind::kDisable:
    case CommandKind::kStopChecker:
    case CommandKind::kDenyByDefault:
      return false;
    case CommandKind::kBumpTimeout:
      return std::string();  // the server ignores the value
    case CommandKind::kSetChecker:
    case CommandKind::kSetHost:
      return command.text;
    case CommandKind::kSetTimeout:
    case CommandKind::kSetExtendedTimeout:
    case CommandKind::kSetInterval:
    case CommandKind::kSetApprovalDelay:
    case CommandKind::kSetApprovalDuration:
      return command.milliseconds;
    case CommandKind::kSetSecret:
      return command.secret;
    case CommandKind::kDumpJson:
    case CommandKind::kIsEnabled:
    case CommandKind::kRemove:
    case CommandKind::kApprove:
    case CommandKind::kDeny:
      break;
  }
  return false;
}

class Runner {
 public:
  Runner(MandosBus& bus, std::ostream& out, std::ostream& err) : bus_(bus), out_(out), err_(err) {}

  // Returns an exit status to stop with, or nothing to go on.
  std::optional<int> command(const Command& command, const std::vector<Client>& clients);
  int print(const Result<std::string>& text);

 private:
  std::optional<int> set_all(const Command& command, const std::vector<Client>& clients);
  std::optional<int> is_enabled(const std::vector<Client>& clients);
  std::optional<int> failed(const Error& error, const std::string& what, const Client& client) {
    err_ << action_failure(error, what, client) << "\n";
    return kExitFailure;
  }

  MandosBus& bus_;
  std::ostream& out_;
  std::ostream& err_;
};

int Runner::print(const Result<std::string>& text) {
  if (!text) {
    err_ << text.error().message << "\n";
    return kExitFailure;
  }
  out_ << *text;
  out_.flush();
  return out_ ? kExitOk : kExitFailure;
}

std::optional<int> Runner::set_all(const Command& command, const std::vector<Client>& clients) {
  const Setter setter = setter_for(command.kind);
  const SetValue value = set_value(command);
  for (const Client& client : clients) {
    if (auto ok = bus_.set_property(client.path, setter.property, value); !ok) {
      return failed(ok.error(), setter.what, client);
    }
  }
  return std::nullopt;
}

std::optional<int> Runner::is_enabled(const std::vector<Client>& clients) {
  if (clients.empty()) {
    err_ << "No client to check: the server has no clients\n";
    return kExitFailure;
  }
  const PropertyValue* enabled = clients.front().find("Enabled");
  const bool* flag = enabled != nullptr ? std::get_if<bool>(enabled) : nullptr;
  return flag != nullptr && *flag ? kExitOk : kExitFailure;
}

std::optional<int> Runner::command(const Command& command, const std::vector<Client>& clients) {
  switch (command.kind) {
    case CommandKind::kDumpJson:
      return print(format_json(clients));
    case CommandKind::kIsEnabled:
      return is_enabled(clients);
    case CommandKind::kRemove:
      for (const Client& client : clients) {
        if (auto ok = bus_.remove_client(client.path); !ok) {
          return failed(ok.error(), "remove", client);
        }
      }
      return std::nullopt;
    case CommandKind::kApprove:
    case CommandKind::kDeny: {
      const bool approve = command.kind == CommandKind::kApprove;
      for (const Client& client : clients) {
        if (auto ok = bus_.approve(client.path, approve); !ok) {
          return failed(ok.error(), approve ? "approve" : "deny", client);
        }
      }
      return std::nullopt;
    }
    case CommandKind::kEnable:
    case CommandKind::kDisable:
    case CommandKind::kBumpTimeout:
    case CommandKind::kStartChecker:
    case CommandKind::kStopChecker:
    case CommandKind::kSetChecker:
    case CommandKind::kSetTimeout:
    case CommandKind::kSetExtendedTimeout:
    case CommandKind::kSetInterval:
    case CommandKind::kApproveByDefault:
    case CommandKind::kDenyByDefault:
    case CommandKind::kSetApprovalDelay:
    case CommandKind::kSetApprovalDuration:
    case CommandKind::kSetHost:
    case CommandKind::kSetSecret:
      break;
  }
  return set_all(command, clients);
}

// Clients by name, in the order given, each once (ctl.md §3 step 2).
Result<std::vector<Client>> select_clients(const std::vector<Client>& all,
                                           const std::vector<std::string>& names) {
  if (names.empty()) return all;
  std::vector<Client> selected;
  for (const std::string& name : names) {
    const Client* match = nullptr;
    for (const Client& client : all) {
      if (client.name() == name) {
        match = &client;
        break;
      }
    }
    if (match == nullptr) return fail("Client not found on server: " + python_repr(name));
    bool duplicate = false;
    for (const Client& client : selected) duplicate = duplicate || client.path == match->path;
    if (!duplicate) selected.push_back(*match);
  }
  return selected;
}

}  // namespace

std::vector<Command> order_commands(std::vector<Command> commands) {
  std::size_t first_remove = commands.size();
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (commands[i].kind == CommandKind::kRemove) {
      first_remove = i;
      break;
    }
  }
  std::vector<Command> before(std::make_move_iterator(commands.begin()),
                              std::make_move_iterator(commands.begin() + static_cast<long>(first_remove)));
  std::vector<Command> after;
  for (std::size_t i = first_remove; i < commands.size(); ++i) {
    (commands[i].kind == CommandKind::kDeny ? before : after).push_back(std::move(commands[i]));
  }
  before.insert(before.end(), std::make_move_iterator(after.begin()),
                std::make_move_iterator(after.end()));
  return before;
}

std::string summarize_bus_message(const std::string& message) {
  if (message.find("Traceback (most recent call last):") == std::string::npos) return message;
  const std::size_t end = message.find_last_not_of(" \n");
  if (end == std::string::npos) return message;
  const std::size_t newline = message.rfind('\n', end);
  const std::size_t start = newline == std::string::npos ? 0 : newline + 1;
  return message.substr(start, end + 1 - start);
}

int run_invocation(const Invocation& invocation, const BusConnector& connect, std::ostream& out,
                   std::ostream& err) {
  auto bus = connect(invocation.debug ? &err : nullptr);
  if (!bus) {
    err << listing_failure(bus.error()) << "\n";
    return kExitFailure;
  }
  auto all = (*bus)->clients();
  if (!all) {
    err << listing_failure(all.error()) << "\n";
    return kExitFailure;
  }
  auto selected = select_clients(*all, invocation.clients);
  if (!selected) {
    err << selected.error().message << "\n";
    return kExitFailure;
  }
  const std::vector<Command> commands = order_commands(invocation.commands);
  Runner runner(**bus, out, err);
  if (commands.empty()) return runner.print(format_table(*selected, invocation.verbose));
  for (const Command& command : commands) {
    if (auto status = runner.command(command, *selected)) {
      if (*status != kExitOk || command.kind == CommandKind::kIsEnabled) return *status;
    }
  }
  return kExitOk;
}

}  // namespace mandos::ctl
