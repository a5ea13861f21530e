// The client properties of the D-Bus API (dbus-api.md §4-§6): one table with
// name, type, access and change-signal behaviour, the getters (registry data
// -> D-Bus value, in the reference's units and formats) and the setters
// (D-Bus value -> registry setter, validated first so that a bad value
// changes nothing).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/registry.hpp"
#include "dbus/value.hpp"

namespace mandos::server::dbus {

inline constexpr std::string_view kServerInterface = "se.recompile.Mandos";
inline constexpr std::string_view kLegacyServerInterface = "se.bsnet.fukt.Mandos";
inline constexpr std::string_view kClientInterface = "se.recompile.Mandos.Client";
inline constexpr std::string_view kLegacyClientInterface = "se.bsnet.fukt.Mandos.Client";
inline constexpr std::string_view kPropertiesInterface = "org.freedesktop.DBus.Properties";
inline constexpr std::string_view kIntrospectableInterface = "org.freedesktop.DBus.Introspectable";
inline constexpr std::string_view kObjectManagerInterface = "org.freedesktop.DBus.ObjectManager";

// Error names. The property errors keep the reference's names (dbus-python
// derives them from its exception classes), so existing tools that look at
// them keep working; the messages are our own.
inline constexpr std::string_view kErrorAccess =
    "org.freedesktop.DBus.Python.DBusPropertyAccessException";
inline constexpr std::string_view kErrorNotFound =
    "org.freedesktop.DBus.Python.DBusPropertyNotFound";
inline constexpr std::string_view kErrorKey = "org.freedesktop.DBus.Python.KeyError";
inline constexpr std::string_view kErrorInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
inline constexpr std::string_view kErrorUnknownMethod = "org.freedesktop.DBus.Error.UnknownMethod";
inline constexpr std::string_view kErrorUnknownObject = "org.freedesktop.DBus.Error.UnknownObject";
inline constexpr std::string_view kErrorLimitsExceeded =
    "org.freedesktop.DBus.Error.LimitsExceeded";
inline constexpr std::string_view kErrorFailed = "org.freedesktop.DBus.Error.Failed";

// A D-Bus error reply: name and human-readable message.
struct CallError {
  std::string name;
  std::string message;
};

enum class Access { Read, Write, ReadWrite };
// org.freedesktop.DBus.Property.EmitsChangedSignal.
enum class Emits { Yes, Const, Invalidates };

struct PropertyInfo {
  Property property;
  std::string_view name;
  std::string_view signature;
  Access access;
  Emits emits;
  bool deprecated;
};

// Longest string accepted for Checker and Host (D-Bus limits the message,
// this limits what ends up in the state file and in checker commands).
inline constexpr size_t kMaxStringProperty = 64 * 1024;

// Every property, in the reference's order (its GetAll and Introspect order).
const std::vector<PropertyInfo>& client_properties();
const PropertyInfo* find_property(std::string_view name);
const PropertyInfo& property_info(Property property);

// The value a Get returns. Not for Secret (write-only).
Value property_value(const Client& client, Property property);

// GetAll: every readable property in table order.
Value all_properties(const Client& client);

// Checks `value` for a Set of `info` without changing anything. Integer
// properties accept every D-Bus integer type (dbus-python sends int32).
[[nodiscard]] std::optional<CallError> validate_set(const PropertyInfo& info, const Value& value);

// Validates, then applies a Set through the registry's setters.
[[nodiscard]] std::optional<CallError> set_property(Registry& registry, Client& client,
                                                    const PropertyInfo& info, const Value& value);

// Durations in ms and timestamps as the reference shows them.
std::uint64_t duration_ms(Micros duration);
std::string timestamp_text(const std::optional<WallTime>& time);

}  // namespace mandos::server::dbus
