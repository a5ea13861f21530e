#include "dbus/service.hpp"

#include <algorithm>

#include "daemon/client_data.hpp"
#include "dbus/properties.hpp"
#include "mandos/log.hpp"

namespace mandos::server::dbus {
namespace {

constexpr std::string_view kClientsPrefix = "/clients/";

std::vector<Value> none() { return {}; }

CallError error(std::string_view name, std::string message) {
  return CallError{std::string(name), std::move(message)};
}

Value empty_dict() { return Value::array("{sv}"); }

bool is_client_interface(std::string_view interface) {
  return interface == kClientInterface || interface == kLegacyClientInterface;
}

// Finds the method by interface (or, without one, in any interface of the
// object, as D-Bus allows).
std::variant<std::pair<std::string, const MemberSpec*>, CallError> find_method(
    const std::vector<InterfaceSpec>& interfaces, const IncomingCall& call) {
  for (const InterfaceSpec& spec : interfaces) {
    if (!call.interface.empty() && spec.name != call.interface) continue;
    if (const MemberSpec* m = spec.method(call.member)) {
      return std::pair<std::string, const MemberSpec*>(spec.name, m);
    }
    if (!call.interface.empty()) {
      return error(kErrorUnknownMethod, "No method " + call.member + " in interface " +
                                            call.interface + " of " + call.path);
    }
  }
  if (!call.interface.empty()) {
    return error("org.freedesktop.DBus.Error.UnknownInterface",
                 "Object " + call.path + " has no interface " + call.interface);
  }
  return error(kErrorUnknownMethod, "Object " + call.path + " has no method " + call.member);
}

}  // namespace

Service::Service(Registry& registry, Transport& transport)
    : registry_(registry), transport_(transport) {
  registry_.add_observer(this);
}

Service::~Service() { registry_.remove_observer(this); }

// --- Calls ------------------------------------------------------------------

void Service::handle(const IncomingCall& call) {
  Outcome outcome = dispatch(call);
  if (call.token == 0) return;
  if (auto* failure = std::get_if<CallError>(&outcome)) {
    log::debug("D-Bus call ", call.interface, ".", call.member, " on ", call.path,
               " failed: ", failure->name, ": ", failure->message);
    transport_.error(call.token, std::move(*failure));
    return;
  }
  transport_.reply(call.token, std::move(std::get<std::vector<Value>>(outcome)));
}

Client* Service::client_at(const std::string& path) {
  auto found = clients_by_path_.find(path);
  return found == clients_by_path_.end() ? nullptr : registry_.find(found->second);
}

Service::Outcome Service::dispatch(const IncomingCall& call) {
  if (closed_) return error(kErrorFailed, "The Mandos server is shutting down");
  const bool introspect = call.member == "Introspect" &&
                          (call.interface.empty() || call.interface == kIntrospectableInterface);
  if (call.path == "/clients") {
    // A parent node only: lists the client objects.
    if (introspect && call.signature.empty()) {
      return std::vector<Value>{Value::string(introspect_xml(call.path, {}, child_nodes()))};
    }
    return error(kErrorUnknownObject, "Object " + call.path + " only supports Introspect");
  }
  const bool server = call.path == "/";
  Client* client = server ? nullptr : client_at(call.path);
  if (!server && client == nullptr) {
    return error(kErrorUnknownObject, "No object at path " + call.path);
  }
  const auto& interfaces = server ? server_object_interfaces() : client_object_interfaces();
  auto found = find_method(interfaces, call);
  if (auto* failure = std::get_if<CallError>(&found)) return std::move(*failure);
  auto [interface, member] = std::get<0>(found);
  if (call.signature != member->in_signature()) {
    return error(kErrorInvalidArgs, "Method " + interface + "." + std::string(member->name) +
                                        " takes arguments of type '" + member->in_signature() +
                                        "', got '" + call.signature + "'");
  }
  if (server) return call_server(interface, *member, call);
  return call_client(*client, interface, *member, call);
}

Service::Outcome Service::call_server(const std::string& interface, const MemberSpec& member,
                                      const IncomingCall& call) {
  const std::string_view name = member.name;
  if (interface == kIntrospectableInterface) {
    std::vector<std::string> children;
    if (!clients_by_path_.empty()) children.push_back("clients");
    return std::vector<Value>{
        Value::string(introspect_xml(call.path, server_object_interfaces(), children))};
  }
  if (interface == kObjectManagerInterface) return std::vector<Value>{managed_objects()};
  // se.recompile.Mandos and its legacy twin.
  if (name == "RemoveClient") return remove_client(call.args.at(0).as_string());
  if (name == "GetAllClients") {
    std::vector<Value> paths;
    for (const auto& client : registry_.clients()) {
      paths.push_back(Value::object_path(client_object_path(client->name())));
    }
    return std::vector<Value>{Value::array("o", std::move(paths))};
  }
  if (name == "GetAllClientsWithProperties") {
    std::vector<Value> entries;
    for (const auto& client : registry_.clients()) {
      entries.push_back(Value::dict_entry(Value::object_path(client_object_path(client->name())),
                                          all_properties(*client)));
    }
    return std::vector<Value>{Value::array("{oa{sv}}", std::move(entries))};
  }
  return error(kErrorUnknownMethod, "No method " + std::string(name) + " in " + interface);
}

Service::Outcome Service::remove_client(const std::string& path) {
  Client* client = client_at(path);
  if (client == nullptr) {
    return error(kErrorKey, "No client with object path " + path);
  }
  const std::string name = client->name();
  log::info("Removing client ", name, " (D-Bus RemoveClient)");
  registry_.remove_client(name);  // client_removed() unexports and signals
  return none();
}

Service::Outcome Service::call_client(Client& client, const std::string& interface,
                                      const MemberSpec& member, const IncomingCall& call) {
  const std::string_view name = member.name;
  if (interface == kIntrospectableInterface) {
    return std::vector<Value>{
        Value::string(introspect_xml(call.path, client_object_interfaces(), {}))};
  }
  if (interface == kPropertiesInterface) {
    return properties_call(client, std::string(name), call);
  }
  if (name == "Approve") {
    registry_.approve(client, call.args.at(0).as_bool());
  } else if (name == "CheckedOK") {
    registry_.checked_ok(client);
  } else if (name == "Enable") {
    registry_.set_enabled(client, true);
  } else if (name == "Disable") {
    registry_.set_enabled(client, false);
  } else if (name == "StartChecker") {
    registry_.start_checker(client);
  } else if (name == "StopChecker") {
    registry_.stop_checker(client);
  } else {
    return error(kErrorUnknownMethod, "No method " + std::string(name) + " in " + interface);
  }
  return none();
}

Service::Outcome Service::properties_call(Client& client, const std::string& member,
                                          const IncomingCall& call) {
  const std::string& interface = call.args.at(0).as_string();
  if (member == "GetAll") {
    // The reference answers {} for interfaces without properties; "" = all.
    if (interface.empty() || is_client_interface(interface)) {
      return std::vector<Value>{all_properties(client)};
    }
    return std::vector<Value>{empty_dict()};
  }
  const std::string& name = call.args.at(1).as_string();
  const PropertyInfo* info = is_client_interface(interface) ? find_property(name) : nullptr;
  if (info == nullptr) {
    return error(kErrorNotFound, "No property " + interface + "." + name + " on " + call.path);
  }
  if (member == "Get") {
    if (info->access == Access::Write) {
      return error(kErrorAccess, "Property " + name + " is write-only");
    }
    return std::vector<Value>{Value::variant(property_value(client, info->property))};
  }
  // Set
  const Value& value = call.args.at(2).children().at(0);
  log::debug("D-Bus: setting ", name, " of client ", client.name());
  if (auto failure = set_property(registry_, client, *info, value)) return std::move(*failure);
  return none();
}

// --- Object tree ------------------------------------------------------------

Value Service::interfaces_and_properties(const Client& client) const {
  Value props = all_properties(client);
  std::vector<Value> entries;
  entries.push_back(Value::dict_entry(Value::string(std::string(kClientInterface)), props));
  entries.push_back(Value::dict_entry(Value::string(std::string(kLegacyClientInterface)), props));
  entries.push_back(
      Value::dict_entry(Value::string(std::string(kPropertiesInterface)), empty_dict()));
  entries.push_back(
      Value::dict_entry(Value::string(std::string(kIntrospectableInterface)), empty_dict()));
  return Value::array("{sa{sv}}", std::move(entries));
}

Value Service::managed_objects() const {
  std::vector<Value> entries;
  for (const auto& client : registry_.clients()) {
    const std::string path = client_object_path(client->name());
    if (clients_by_path_.count(path) == 0) continue;
    entries.push_back(
        Value::dict_entry(Value::object_path(path), interfaces_and_properties(*client)));
  }
  return Value::array("{oa{sa{sv}}}", std::move(entries));
}

std::vector<std::string> Service::child_nodes() const {
  std::vector<std::string> children;
  for (const auto& client : registry_.clients()) {
    const std::string path = client_object_path(client->name());
    if (clients_by_path_.count(path) != 0) children.push_back(path.substr(kClientsPrefix.size()));
  }
  return children;
}

// --- Signals ----------------------------------------------------------------

void Service::signal_both(const std::string& path, std::string_view current,
                          std::string_view legacy, const std::string& member,
                          const std::vector<Value>& args) {
  transport_.signal(path, std::string(current), member, args);
  transport_.signal(path, std::string(legacy), member, args);
}

void Service::client_signal(const Client& client, const std::string& member,
                            const std::vector<Value>& args) {
  if (closed_) return;
  const std::string path = client_object_path(client.name());
  if (clients_by_path_.count(path) == 0) return;
  signal_both(path, kClientInterface, kLegacyClientInterface, member, args);
}

void Service::client_added(const Client& client) {
  if (closed_) return;
  const std::string path = client_object_path(client.name());
  clients_by_path_[path] = client.name();
  transport_.signal("/", std::string(kObjectManagerInterface), "InterfacesAdded",
                    {Value::object_path(path), interfaces_and_properties(client)});
  signal_both("/", kServerInterface, kLegacyServerInterface, "ClientAdded",
              {Value::object_path(path)});
}

void Service::announce_removal(const std::string& path, const std::string& name) {
  std::vector<Value> interfaces;
  for (std::string_view i :
       {kClientInterface, kLegacyClientInterface, kPropertiesInterface, kIntrospectableInterface}) {
    interfaces.push_back(Value::string(std::string(i)));
  }
  transport_.signal("/", std::string(kObjectManagerInterface), "InterfacesRemoved",
                    {Value::object_path(path), Value::array("s", std::move(interfaces))});
  signal_both("/", kServerInterface, kLegacyServerInterface, "ClientRemoved",
              {Value::object_path(path), Value::string(name)});
}

void Service::client_removed(const Client& client) {
  if (closed_) return;
  const std::string path = client_object_path(client.name());
  if (clients_by_path_.erase(path) == 0) return;
  announce_removal(path, client.name());
}

void Service::remove_all() {
  if (closed_) return;
  for (const auto& client : registry_.clients()) {
    const std::string path = client_object_path(client->name());
    if (clients_by_path_.erase(path) != 0) announce_removal(path, client->name());
  }
  clients_by_path_.clear();
  closed_ = true;
}

void Service::property_changed(const Client& client, Property property) {
  const PropertyInfo& info = property_info(property);
  if (info.emits == Emits::Const) return;
  if (closed_) return;
  const std::string path = client_object_path(client.name());
  if (clients_by_path_.count(path) == 0) return;
  const std::string name(info.name);
  if (info.emits == Emits::Invalidates) {
    transport_.signal(path, std::string(kPropertiesInterface), "PropertiesChanged",
                      {Value::string(std::string(kClientInterface)), empty_dict(),
                       Value::array("s", {Value::string(name)})});
    return;
  }
  Value value = property_value(client, property);
  signal_both(path, kClientInterface, kLegacyClientInterface, "PropertyChanged",
              {Value::string(name), Value::variant(value)});
  DictBuilder changed;
  changed.add(name, Value::variant(std::move(value)));
  transport_.signal(path, std::string(kPropertiesInterface), "PropertiesChanged",
                    {Value::string(std::string(kClientInterface)), std::move(changed).build(),
                     Value::array("s")});
}

void Service::checker_completed(const Client& client, int exit_code, std::int64_t wait_value,
                                const std::string& command) {
  client_signal(client, "CheckerCompleted",
                {Value::int16(static_cast<std::int16_t>(exit_code)), Value::int64(wait_value),
                 Value::string(command)});
}

void Service::checker_started(const Client& client, const std::string& command) {
  client_signal(client, "CheckerStarted", {Value::string(command)});
}

void Service::got_secret(const Client& client) { client_signal(client, "GotSecret", {}); }

void Service::need_approval(const Client& client, std::uint64_t delay_ms,
                            bool approved_by_default) {
  client_signal(client, "NeedApproval",
                {Value::uint64(delay_ms), Value::boolean(approved_by_default)});
}

void Service::rejected(const Client& client, const std::string& reason) {
  client_signal(client, "Rejected", {Value::string(reason)});
}

void Service::client_not_found(const std::string& key_id, const std::string& address) {
  if (closed_) return;
  signal_both("/", kServerInterface, kLegacyServerInterface, "ClientNotFound",
              {Value::string(key_id), Value::string(address)});
}

}  // namespace mandos::server::dbus
