#include "dbus_cpp_bus.hpp"

#include <chrono>
#include <core/dbus/bus.h>
#include <core/dbus/message.h>
#include <core/dbus/types/object_path.h>
#include <core/dbus/types/signature.h>
#include <exception>
#include <ostream>
#include <set>

#include "text.hpp"

namespace mandos::ctl {
namespace {

namespace dbus = core::dbus;
using dbus::ArgumentType;

// libdbus's default for blocking calls, as dbus-python uses.
constexpr std::chrono::milliseconds kCallTimeout{25'000};
constexpr const char* kObjectManager = "org.freedesktop.DBus.ObjectManager";
constexpr const char* kProperties = "org.freedesktop.DBus.Properties";

// dbus-cpp reports a DBusError as an exception whose text is
// "org.freedesktop.DBus.Error.Name: message". Splits it and classifies it.
Error bus_error(const std::string& what, BusErrorKind otherwise) {
  std::string name;
  std::string message = what;
  const std::size_t colon = what.find(": ");
  if (colon != std::string::npos && colon > 0 &&
      what.find_first_of(" \n") > colon && what.find('.') < colon) {
    name = what.substr(0, colon);
    message = what.substr(colon + 2);
  }
  BusErrorKind kind = otherwise;
  if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
      name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
    kind = BusErrorKind::kNoServer;
  } else if (name == "org.freedesktop.DBus.Error.AccessDenied") {
    kind = BusErrorKind::kAccessDenied;
  }
  return fail(message, static_cast<int>(kind));
}

PropertyValue decode_value(dbus::Message::Reader& reader) {
  switch (reader.type()) {
    case ArgumentType::boolean: return reader.pop_boolean();
    case ArgumentType::byte:
      return static_cast<std::uint64_t>(static_cast<std::uint8_t>(reader.pop_byte()));
    case ArgumentType::int16: return static_cast<std::int64_t>(reader.pop_int16());
    case ArgumentType::int32: return static_cast<std::int64_t>(reader.pop_int32());
    case ArgumentType::int64: return static_cast<std::int64_t>(reader.pop_int64());
    case ArgumentType::uint16: return static_cast<std::uint64_t>(reader.pop_uint16());
    case ArgumentType::uint32: return static_cast<std::uint64_t>(reader.pop_uint32());
    case ArgumentType::uint64: return static_cast<std::uint64_t>(reader.pop_uint64());
    case ArgumentType::floating_point: return reader.pop_floating_point();
    case ArgumentType::string: return std::string(reader.pop_string());
    case ArgumentType::object_path: return reader.pop_object_path().as_string();
    case ArgumentType::signature: return reader.pop_signature().as_string();
    case ArgumentType::unix_fd: reader.pop(); return OtherValue{"<unix fd>"};
    case ArgumentType::array: reader.pop(); return OtherValue{"<array>"};
    case ArgumentType::structure: reader.pop(); return OtherValue{"<struct>"};
    case ArgumentType::variant: reader.pop(); return OtherValue{"<variant>"};
    case ArgumentType::dictionary_entry: reader.pop(); return OtherValue{"<dict entry>"};
    case ArgumentType::invalid: break;
  }
  return OtherValue{"<none>"};
}

Client decode_client(const std::string& path, dbus::Message::Reader properties) {
  Client client{path, {}};
  while (properties.type() == ArgumentType::dictionary_entry) {
    auto entry = properties.pop_dict_entry();
    std::string name = entry.pop_string();
    auto variant = entry.pop_variant();
    client.properties.emplace_back(std::move(name), decode_value(variant));
  }
  return client;
}

void push_string(dbus::Message::Writer& writer, const std::string& text) {
  writer.push_stringn(text.data(), text.size());
}

void push_variant(dbus::Message::Writer& writer, const SetValue& value) {
  struct Visitor {
    dbus::Message::Writer& writer;
    void operator()(bool b) const {
      auto inner = writer.open_variant(dbus::types::Signature("b"));
      inner.push_boolean(b);
      writer.close_variant(std::move(inner));
    }
    void operator()(std::uint64_t u) const {
      auto inner = writer.open_variant(dbus::types::Signature("t"));
      inner.push_uint64(u);
      writer.close_variant(std::move(inner));
    }
    void operator()(const std::string& s) const {
      auto inner = writer.open_variant(dbus::types::Signature("s"));
      push_string(inner, s);
      writer.close_variant(std::move(inner));
    }
    void operator()(const SecretBytes& bytes) const {
      auto inner = writer.open_variant(dbus::types::Signature("ay"));
      auto array = inner.open_array(dbus::types::Signature("y"));
      for (char byte : bytes.view()) array.push_byte(static_cast<std::int8_t>(byte));
      inner.close_array(std::move(array));
      writer.close_variant(std::move(inner));
    }
  };
  std::visit(Visitor{writer}, value);
}

class DbusCppBus final : public MandosBus {
 public:
  DbusCppBus(std::shared_ptr<dbus::Bus> bus, std::ostream* debug)
      : bus_(std::move(bus)), debug_(debug) {}

  Result<std::vector<Client>> clients() override;
  Status set_property(const std::string& path, const std::string& property,
                      const SetValue& value) override;
  Status approve(const std::string& path, bool approve) override;
  Status remove_client(const std::string& path) override;

 private:
  // The reference logs "Connect to" once per object path it uses.
  void log_call(const std::string& path, const std::string& interface, const std::string& method,
                const std::string& arguments);
  Result<std::shared_ptr<dbus::Message>> call(const std::shared_ptr<dbus::Message>& message);

  std::shared_ptr<dbus::Bus> bus_;
  std::ostream* debug_;
  std::set<std::string> known_paths_;
};

void DbusCppBus::log_call(const std::string& path, const std::string& interface,
                          const std::string& method, const std::string& arguments) {
  if (debug_ == nullptr) return;
  if (known_paths_.insert(path).second) {
    *debug_ << "D-Bus: Connect to: (busname=" << python_repr(kBusName)
            << ", path=" << python_repr(path) << ")\n";
  }
  *debug_ << "D-Bus: " << kBusName << ":" << path << ":" << interface << "." << method << "("
          << arguments << ")\n";
  debug_->flush();
}

Result<std::shared_ptr<dbus::Message>> DbusCppBus::call(
    const std::shared_ptr<dbus::Message>& message) {
  try {
    return bus_->send_with_reply_and_block_for_at_most(message, kCallTimeout);
  } catch (const std::exception& error) {
    if (debug_ != nullptr) *debug_ << "D-Bus: error: " << error.what() << "\n";
    return bus_error(error.what(), BusErrorKind::kFailed);
  }
}

Result<std::vector<Client>> DbusCppBus::clients() {
  log_call(kServerPath, kObjectManager, "GetManagedObjects", "");
  try {
    auto message = dbus::Message::make_method_call(kBusName, dbus::types::ObjectPath(kServerPath),
                                                   kObjectManager, "GetManagedObjects");
    auto reply = call(message);
    if (!reply) return reply.error();
    return decode_managed_objects(**reply);
  } catch (const std::exception& error) {
    return bus_error(error.what(), BusErrorKind::kFailed);
  }
}

Status DbusCppBus::set_property(const std::string& path, const std::string& property,
                                const SetValue& value) {
  log_call(path, kProperties, "Set",
           python_repr(kClientInterface) + ", " + python_repr(property) + ", " +
               debug_repr(value));
  try {
    auto message = dbus::Message::make_method_call(kBusName, dbus::types::ObjectPath(path),
                                                   kProperties, "Set");
    {
      auto writer = message->writer();
      push_string(writer, kClientInterface);
      push_string(writer, property);
      push_variant(writer, value);
    }
    auto reply = call(message);
    if (!reply) return reply.error();
    return {};
  } catch (const std::exception& error) {
    return bus_error(error.what(), BusErrorKind::kFailed);
  }
}

Status DbusCppBus::approve(const std::string& path, bool approve) {
  log_call(path, kClientInterface, "Approve", approve ? "True" : "False");
  try {
    auto message = dbus::Message::make_method_call(kBusName, dbus::types::ObjectPath(path),
                                                   kClientInterface, "Approve");
    {
      auto writer = message->writer();
      writer.push_boolean(approve);
    }
    auto reply = call(message);
    if (!reply) return reply.error();
    return {};
  } catch (const std::exception& error) {
    return bus_error(error.what(), BusErrorKind::kFailed);
  }
}

Status DbusCppBus::remove_client(const std::string& path) {
  log_call(kServerPath, kServerInterface, "RemoveClient", python_repr(path));
  try {
    auto message = dbus::Message::make_method_call(
        kBusName, dbus::types::ObjectPath(kServerPath), kServerInterface, "RemoveClient");
    {
      auto writer = message->writer();
      writer.push_object_path(dbus::types::ObjectPath(path));
    }
    auto reply = call(message);
    if (!reply) return reply.error();
    return {};
  } catch (const std::exception& error) {
    return bus_error(error.what(), BusErrorKind::kFailed);
  }
}

}  // namespace

Result<std::vector<Client>> decode_managed_objects(dbus::Message& reply) {
  const std::string signature = reply.signature();
  if (signature != "a{oa{sa{sv}}}") {
    return fail("GetManagedObjects replied with signature \"" + signature +
                    "\", expected \"a{oa{sa{sv}}}\"",
                static_cast<int>(BusErrorKind::kFailed));
  }
  std::vector<Client> clients;
  auto objects = reply.reader().pop_array();
  while (objects.type() == ArgumentType::dictionary_entry) {
    auto object = objects.pop_dict_entry();
    const std::string path = object.pop_object_path().as_string();
    auto interfaces = object.pop_array();
    while (interfaces.type() == ArgumentType::dictionary_entry) {
      auto interface = interfaces.pop_dict_entry();
      if (std::string(interface.pop_string()) != kClientInterface) continue;
      clients.push_back(decode_client(path, interface.pop_array()));
    }
  }
  return clients;
}

std::string debug_repr(const SetValue& value) {
  struct Visitor {
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(std::uint64_t u) const { return std::to_string(u); }
    std::string operator()(const std::string& s) const { return python_repr(s); }
    std::string operator()(const SecretBytes& bytes) const {
      return "<" + std::to_string(bytes.size()) + " bytes, not shown>";
    }
  };
  return std::visit(Visitor{}, value);
}

Result<std::unique_ptr<MandosBus>> connect_system_bus(std::ostream* debug) {
  try {
    auto bus = std::make_shared<dbus::Bus>(dbus::WellKnownBus::system);
    return std::unique_ptr<MandosBus>(std::make_unique<DbusCppBus>(std::move(bus), debug));
  } catch (const std::exception& error) {
    return bus_error(error.what(), BusErrorKind::kNoBus);
  }
}

}  // namespace mandos::ctl
