#include "dbus_decode.hpp"

#include <core/dbus/error.h>

#include <exception>
#include <utility>

namespace mandos::monitor {
namespace {

using core::dbus::ArgumentType;
using core::dbus::Message;

Error bad_signature(const Message::Ptr& message, const char* expected) {
  return fail("D-Bus " + message->member() + " from " + message->path().as_string() +
              " has signature \"" + message->signature() + "\", expected \"" + expected +
              "\"");
}

std::string pop_text(Message::Reader& reader) {
  const ArgumentType type = reader.type();
  if (type == ArgumentType::object_path) return reader.pop_object_path().as_string();
  if (type == ArgumentType::signature) return reader.pop_signature().as_string();
  return reader.pop_string();  // throws on any other type
}

// A dictionary entry's key is a string or object path, checked by the
// caller's signature test; the value must then be decoded by `read`.
template <class Read>
Status for_each_entry(Message::Reader& reader, Read read) {
  if (reader.type() != ArgumentType::array) return fail("expected a dictionary");
  Message::Reader array = reader.pop_array();
  while (array.type() == ArgumentType::dictionary_entry) {
    Message::Reader entry = array.pop_dict_entry();
    std::string key = pop_text(entry);
    if (Status status = read(key, entry); !status) return status;
  }
  return {};
}

Result<std::vector<std::string>> read_strings(Message::Reader& reader) {
  if (reader.type() != ArgumentType::array) return fail("expected an array of strings");
  Message::Reader array = reader.pop_array();
  std::vector<std::string> strings;
  while (array.type() == ArgumentType::string) strings.emplace_back(array.pop_string());
  return strings;
}

Result<BusEvent> decode_interfaces_added(const Message::Ptr& signal) {
  if (signal->signature() != "oa{sa{sv}}") return bad_signature(signal, "oa{sa{sv}}");
  Message::Reader reader = signal->reader();
  ClientAdded added;
  added.path = reader.pop_object_path().as_string();
  Status status = for_each_entry(reader, [&](const std::string& interface,
                                             Message::Reader& entry) -> Status {
    auto properties = read_properties(entry);
    if (!properties) return properties.error();
    if (interface == kClientInterface) {
      added.is_client = true;
      added.properties = std::move(*properties);
    }
    return {};
  });
  if (!status) return status.error();
  return BusEvent(std::move(added));
}

Result<BusEvent> decode_interfaces_removed(const Message::Ptr& signal) {
  if (signal->signature() != "oas") return bad_signature(signal, "oas");
  Message::Reader reader = signal->reader();
  ClientRemoved removed;
  removed.path = reader.pop_object_path().as_string();
  auto interfaces = read_strings(reader);
  if (!interfaces) return interfaces.error();
  for (const std::string& interface : *interfaces) {
    if (interface == kClientInterface) removed.is_client = true;
  }
  return BusEvent(std::move(removed));
}

Result<BusEvent> decode_client_not_found(const Message::Ptr& signal) {
  if (signal->signature() != "ss") return bad_signature(signal, "ss");
  Message::Reader reader = signal->reader();
  ClientNotFound event;
  event.key_id = reader.pop_string();
  event.address = reader.pop_string();
  return BusEvent(std::move(event));
}

Result<BusEvent> decode_properties_changed(const Message::Ptr& signal) {
  if (signal->signature() != "sa{sv}as") return bad_signature(signal, "sa{sv}as");
  Message::Reader reader = signal->reader();
  PropertiesChanged event;
  event.path = signal->path().as_string();
  event.interface = reader.pop_string();
  auto changed = read_properties(reader);
  if (!changed) return changed.error();
  event.changed = std::move(*changed);
  return BusEvent(std::move(event));
}

// The five client-interface signals of monitor.md §1, with their signatures.
const char* expected_signature(const std::string& member) {
  if (member == "CheckerCompleted") return "nxs";
  if (member == "CheckerStarted") return "s";
  if (member == "GotSecret") return "";
  if (member == "NeedApproval") return "tb";
  if (member == "Rejected") return "s";
  return nullptr;
}

Result<std::optional<BusEvent>> decode_client_interface_signal(const Message::Ptr& signal) {
  const std::string member = signal->member();
  const char* expected = expected_signature(member);
  if (expected == nullptr) return std::optional<BusEvent>();  // e.g. PropertyChanged
  if (signal->signature() != expected) return bad_signature(signal, expected);
  const std::string path = signal->path().as_string();
  // dbus-cpp refuses to make a reader for a message without arguments.
  if (member == "GotSecret") return std::optional<BusEvent>(GotSecret{path});
  Message::Reader reader = signal->reader();
  if (member == "CheckerCompleted") {
    CheckerCompleted event;
    event.path = path;
    event.exit_code = reader.pop_int16();
    event.wait_status = reader.pop_int64();
    event.command = reader.pop_string();
    return std::optional<BusEvent>(std::move(event));
  }
  if (member == "CheckerStarted") {
    return std::optional<BusEvent>(CheckerStarted{path, reader.pop_string()});
  }
  if (member == "NeedApproval") {
    NeedApproval event;
    event.path = path;
    event.delay_ms = reader.pop_uint64();
    event.approved_by_default = reader.pop_boolean();
    return std::optional<BusEvent>(std::move(event));
  }
  return std::optional<BusEvent>(Rejected{path, reader.pop_string()});
}

// dbus-cpp reports type mismatches by throwing; the signature checks above
// make that unexpected, but it must still not escape into libdbus.
template <class Decode>
auto guarded(const Message::Ptr& message, Decode decode) -> decltype(decode()) {
  try {
    return decode();
  } catch (const std::exception& e) {
    return fail("cannot decode D-Bus " + message->member() + " from " +
                message->path().as_string() + ": " + e.what());
  }
}

}  // namespace

Result<Value> read_value(Message::Reader& reader) {
  switch (reader.type()) {
    case ArgumentType::boolean: return Value(reader.pop_boolean());
    case ArgumentType::byte:
      return Value(std::uint64_t{static_cast<std::uint8_t>(reader.pop_byte())});
    case ArgumentType::int16: return Value(std::int64_t{reader.pop_int16()});
    case ArgumentType::int32: return Value(std::int64_t{reader.pop_int32()});
    case ArgumentType::int64: return Value(std::int64_t{reader.pop_int64()});
    case ArgumentType::uint16: return Value(std::uint64_t{reader.pop_uint16()});
    case ArgumentType::uint32: return Value(std::uint64_t{reader.pop_uint32()});
    case ArgumentType::uint64: return Value(std::uint64_t{reader.pop_uint64()});
    case ArgumentType::floating_point: return Value(reader.pop_floating_point());
    case ArgumentType::string:
    case ArgumentType::object_path:
    case ArgumentType::signature: return Value(pop_text(reader));
    case ArgumentType::unix_fd:  // skipped: reading it would duplicate the fd
    case ArgumentType::array:
    case ArgumentType::variant:
    case ArgumentType::structure:
    case ArgumentType::dictionary_entry: reader.pop(); return Value();
    case ArgumentType::invalid: return fail("missing value");
  }
  return fail("unknown D-Bus type");
}

Result<Properties> read_properties(Message::Reader& reader) {
  Properties properties;
  Status status = for_each_entry(reader, [&](const std::string& name,
                                             Message::Reader& entry) -> Status {
    if (entry.type() != ArgumentType::variant) return fail("property " + name + ": no variant");
    Message::Reader inner = entry.pop_variant();
    auto value = read_value(inner);
    if (!value) return fail("property " + name + ": " + value.error().message);
    properties[name] = std::move(*value);
    return {};
  });
  if (!status) return status.error();
  return properties;
}

Result<ClientsLoaded> decode_clients_reply(const Message::Ptr& reply) {
  if (reply->type() == Message::Type::error) {
    return fail(reply->error().print());
  }
  // A reply has no member or path; dbus-cpp throws when asked for them.
  if (reply->signature() != "a{oa{sv}}") {
    return fail("GetAllClientsWithProperties reply has signature \"" + reply->signature() +
                "\", expected \"a{oa{sv}}\"");
  }
  try {
    Message::Reader reader = reply->reader();
    ClientsLoaded loaded;
    loaded.server_found = true;
    Status status = for_each_entry(reader, [&](const std::string& path,
                                               Message::Reader& entry) -> Status {
      auto properties = read_properties(entry);
      if (!properties) return fail(path + ": " + properties.error().message);
      loaded.clients.emplace_back(path, std::move(*properties));
      return {};
    });
    if (!status) return status.error();
    return loaded;
  } catch (const std::exception& e) {
    return fail(std::string("cannot decode the GetAllClientsWithProperties reply: ") + e.what());
  }
}

Result<std::optional<BusEvent>> decode_server_signal(const Message::Ptr& signal) {
  return guarded(signal, [&]() -> Result<std::optional<BusEvent>> {
    const std::string interface = signal->interface();
    const std::string member = signal->member();
    Result<BusEvent> event = fail("");
    if (interface == kObjectManagerInterface && member == "InterfacesAdded") {
      event = decode_interfaces_added(signal);
    } else if (interface == kObjectManagerInterface && member == "InterfacesRemoved") {
      event = decode_interfaces_removed(signal);
    } else if (interface == kServerInterface && member == "ClientNotFound") {
      event = decode_client_not_found(signal);
    } else {
      return std::optional<BusEvent>();
    }
    if (!event) return event.error();
    return std::optional<BusEvent>(std::move(*event));
  });
}

Result<std::optional<BusEvent>> decode_client_signal(const Message::Ptr& signal) {
  return guarded(signal, [&]() -> Result<std::optional<BusEvent>> {
    const std::string interface = signal->interface();
    if (interface == kPropertiesInterface && signal->member() == "PropertiesChanged") {
      auto event = decode_properties_changed(signal);
      if (!event) return event.error();
      return std::optional<BusEvent>(std::move(*event));
    }
    if (interface == kClientInterface) return decode_client_interface_signal(signal);
    return std::optional<BusEvent>();
  });
}

}  // namespace mandos::monitor
