#include "model.hpp"

#include <algorithm>

namespace mandos::monitor {

struct Model::Applier {
  Model& model;
  WallTime now;

  void operator()(const ClientsLoaded& loaded) const { model.load(loaded, now); }
  void operator()(const ClientAdded& added) const {
    // Objects without the client interface are not Mandos clients.
    if (added.is_client) model.add_client(added.path, added.properties, now);
  }
  void operator()(const ClientRemoved& removed) const { model.remove_client(removed, now); }
  void operator()(const ClientNotFound& event) const {
    model.log(Level::Info, client_not_found_message(event.key_id, event.address), now);
  }
  void operator()(const PropertiesChanged& changed) const { model.update(changed); }
  void operator()(const CheckerCompleted& event) const {
    const std::string* name = model.name_of(event.path);
    LogMessage message;
    if (name != nullptr && checker_completed_message(*name, event.exit_code, event.wait_status,
                                                     event.command, message)) {
      model.log(message.level, message.text, now);
    }
  }
  void operator()(const CheckerStarted& event) const {
    if (const std::string* name = model.name_of(event.path)) {
      model.log(Level::Debug, checker_started_message(*name, event.command), now);
    }
  }
  void operator()(const GotSecret& event) const {
    if (const std::string* name = model.name_of(event.path)) {
      model.log(Level::Info, got_secret_message(*name), now);
    }
  }
  void operator()(const NeedApproval& event) const {
    if (const std::string* name = model.name_of(event.path)) {
      model.log(Level::Info,
                need_approval_message(*name, event.delay_ms, event.approved_by_default), now);
    }
  }
  void operator()(const Rejected& event) const {
    if (const std::string* name = model.name_of(event.path)) {
      model.log(Level::Info, rejected_message(*name, event.reason), now);
    }
  }
  void operator()(const BusProblem& problem) const {
    model.log(Level::Error, problem.message, now);
  }
  void operator()(const BusLost& lost) const { model.log(Level::Error, lost.message, now); }
};

Model::Model(std::size_t log_limit) : log_limit_(std::max<std::size_t>(log_limit, 1)) {}

void Model::apply(const BusEvent& event, WallTime now) { std::visit(Applier{*this, now}, event); }

void Model::log(Level level, const std::string& message, WallTime now) {
  const Level threshold = verbose_ ? Level::Debug : Level::Info;
  if (level < threshold) return;
  append({log_timestamp(now) + ": " + message, level > Level::Info});
}

void Model::add_bold_line(const std::string& text) { append({text, true}); }

void Model::toggle_verbose(WallTime now) {
  // The new level applies to the announcement itself, as in the reference.
  verbose_ = !verbose_;
  log(Level::Info, verbose_ ? "Verbose mode: On" : "Verbose mode: Off", now);
}

std::vector<ClientRow> Model::rows(WallTime now) const {
  std::vector<std::pair<const std::string*, const Client*>> sorted;
  sorted.reserve(clients_.size());
  for (const auto& [path, client] : clients_) sorted.emplace_back(&path, &client);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    const std::string name_a = string_property(a.second->properties, "Name");
    const std::string name_b = string_property(b.second->properties, "Name");
    if (name_a != name_b) return name_a < name_b;
    return a.second->order < b.second->order;
  });
  std::vector<ClientRow> rows;
  rows.reserve(sorted.size());
  for (const auto& [path, client] : sorted) {
    rows.push_back({*path, client_status(client->properties, now)});
  }
  return rows;
}

bool Model::has_client(const std::string& path) const { return clients_.count(path) != 0; }

const Properties* Model::properties(const std::string& path) const {
  auto found = clients_.find(path);
  return found == clients_.end() ? nullptr : &found->second.properties;
}

void Model::add_client(const std::string& path, Properties properties, WallTime now) {
  // A path seen again (server restarted without saying goodbye) replaces
  // the old entry instead of listing the client twice.
  Client& client = clients_[path];
  client.properties = std::move(properties);
  client.order = next_order_++;
  log(Level::Debug, "Created client " + string_property(client.properties, "Name"), now);
}

void Model::remove_client(const ClientRemoved& removed, WallTime now) {
  if (!removed.is_client) return;
  if (clients_.erase(removed.path) == 0) {
    log(Level::Warning, "Unknown client " + removed.path + " removed", now);
  }
}

void Model::load(const ClientsLoaded& loaded, WallTime now) {
  if (!loaded.server_found) {
    log(Level::Warning, "Note: No Mandos server running.", now);
  } else if (loaded.clients.empty()) {
    log(Level::Warning, "Note: Server has no clients.", now);
  }
  for (const auto& [path, properties] : loaded.clients) add_client(path, properties, now);
}

void Model::update(const PropertiesChanged& changed) {
  if (changed.interface != kClientInterface) return;
  auto found = clients_.find(changed.path);
  if (found == clients_.end()) return;
  for (const auto& [name, value] : changed.changed) found->second.properties[name] = value;
}

const std::string* Model::name_of(const std::string& path) const {
  auto found = clients_.find(path);
  if (found == clients_.end()) return nullptr;
  auto name = found->second.properties.find("Name");
  if (name == found->second.properties.end()) return &path;
  const auto* text = std::get_if<std::string>(&name->second);
  return text != nullptr ? text : &path;
}

void Model::append(LogLine line) {
  log_.push_back(std::move(line));
  ++log_serial_;
  while (log_.size() > log_limit_) log_.pop_front();
}

}  // namespace mandos::monitor
