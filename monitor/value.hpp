// Property values as mandos-monitor receives them over D-Bus, decoupled from
// the D-Bus library so that the state model and its tests need no bus.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace mandos::monitor {

// Integers are widened by signedness (D-Bus n/i/x → int64, y/q/u/t →
// uint64) so that a server sending `i` where the reference sends `t`
// still works. Types the monitor never reads (arrays, structs) become
// monostate.
using Value = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double,
                           std::string>;
using Properties = std::map<std::string, Value>;

// Typed reads with the fallback used when a property is missing or of an
// unexpected type: the reference would crash on those; we show something.
[[nodiscard]] bool bool_property(const Properties& properties, const std::string& name,
                                 bool fallback);
[[nodiscard]] std::int64_t int_property(const Properties& properties, const std::string& name,
                                        std::int64_t fallback);
[[nodiscard]] std::string string_property(const Properties& properties,
                                          const std::string& name);

// Well-known names of the Mandos D-Bus API (dbus-api.md).
inline constexpr const char* kBusName = "se.recompile.Mandos";
inline constexpr const char* kServerInterface = "se.recompile.Mandos";
inline constexpr const char* kClientInterface = "se.recompile.Mandos.Client";
inline constexpr const char* kPropertiesInterface = "org.freedesktop.DBus.Properties";
inline constexpr const char* kObjectManagerInterface = "org.freedesktop.DBus.ObjectManager";

}  // namespace mandos::monitor
