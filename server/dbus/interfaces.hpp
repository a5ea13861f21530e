// The interfaces of the D-Bus API, declared once (dbus-api.md §3, §4, §7):
// members with argument names and types, deprecation and the client
// properties. Method dispatch checks incoming signatures against these
// declarations and Introspect renders them as XML.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mandos::server::dbus {

struct ArgSpec {
  std::string_view name;  // empty: unnamed, as the reference has some
  std::string_view type;
};

struct MemberSpec {
  enum class Kind { Method, Signal };
  Kind kind;
  std::string_view name;
  std::vector<ArgSpec> in;   // method input or signal arguments
  std::vector<ArgSpec> out;  // method output
  bool deprecated = false;

  // Concatenated input types: what a call must carry.
  std::string in_signature() const;
};

struct InterfaceSpec {
  std::string name;
  std::vector<MemberSpec> members;
  bool client_properties = false;  // carries the client property table
  bool deprecated = false;

  const MemberSpec* method(std::string_view member) const;
};

// Interfaces of `/` and of each client object, in introspection order.
const std::vector<InterfaceSpec>& server_object_interfaces();
const std::vector<InterfaceSpec>& client_object_interfaces();

// Introspection XML of an object with `interfaces` (may be empty for a pure
// parent node) and child node names.
std::string introspect_xml(std::string_view path, const std::vector<InterfaceSpec>& interfaces,
                           const std::vector<std::string>& children);

}  // namespace mandos::server::dbus
