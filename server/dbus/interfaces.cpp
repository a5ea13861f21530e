#include "dbus/interfaces.hpp"

#include "dbus/properties.hpp"

namespace mandos::server::dbus {
namespace {

using K = MemberSpec::Kind;

InterfaceSpec introspectable() {
  return {std::string(kIntrospectableInterface),
          {{K::Method, "Introspect", {}, {{"xml_data", "s"}}}},
          false,
          false};
}

InterfaceSpec properties_interface() {
  return {
      std::string(kPropertiesInterface),
      {{K::Method, "Get", {{"interface_name", "s"}, {"property_name", "s"}}, {{"value", "v"}}},
       {K::Method, "Set", {{"interface_name", "s"}, {"property_name", "s"}, {"value", "v"}}, {}},
       {K::Method, "GetAll", {{"interface_name", "s"}}, {{"props", "a{sv}"}}},
       {K::Signal,
        "PropertiesChanged",
        {{"interface_name", "s"},
         {"changed_properties", "a{sv}"},
         {"invalidated_properties", "as"}},
        {}}},
      false,
      false};
}

InterfaceSpec object_manager() {
  return {std::string(kObjectManagerInterface),
          {{K::Method,
            "GetManagedObjects",
            {},
            {{"objpath_interfaces_and_properties", "a{oa{sa{sv}}}"}}},
           {K::Signal,
            "InterfacesAdded",
            {{"object_path", "o"}, {"interfaces_and_properties", "a{sa{sv}}"}},
            {}},
           {K::Signal, "InterfacesRemoved", {{"object_path", "o"}, {"interfaces", "as"}}, {}}},
          false,
          false};
}

InterfaceSpec server_interface(std::string_view name, bool deprecated) {
  return {std::string(name),
          {{K::Signal, "ClientAdded", {{"objpath", "o"}}, {}},
           {K::Signal, "ClientNotFound", {{"key_id", "s"}, {"address", "s"}}, {}},
           {K::Signal, "ClientRemoved", {{"objpath", "o"}, {"name", "s"}}, {}, true},
           {K::Method, "GetAllClients", {}, {{"", "ao"}}, true},
           {K::Method, "GetAllClientsWithProperties", {}, {{"", "a{oa{sv}}"}}, true},
           {K::Method, "RemoveClient", {{"object_path", "o"}}, {}}},
          false,
          deprecated};
}

InterfaceSpec client_interface(std::string_view name, bool deprecated) {
  return {std::string(name),
          {{K::Signal,
            "CheckerCompleted",
            {{"exitcode", "n"}, {"waitstatus", "x"}, {"command", "s"}},
            {}},
           {K::Signal, "CheckerStarted", {{"command", "s"}}, {}},
           {K::Signal, "PropertyChanged", {{"property", "s"}, {"value", "v"}}, {}, true},
           {K::Signal, "GotSecret", {}, {}},
           {K::Signal, "Rejected", {{"reason", "s"}}, {}},
           {K::Signal, "NeedApproval", {{"timeout", "t"}, {"default", "b"}}, {}},
           {K::Method, "Approve", {{"value", "b"}}, {}},
           {K::Method, "CheckedOK", {}, {}},
           {K::Method, "Enable", {}, {}, true},
           {K::Method, "StartChecker", {}, {}, true},
           {K::Method, "Disable", {}, {}, true},
           {K::Method, "StopChecker", {}, {}, true}},
          true,
          deprecated};
}

std::string attribute(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

const char* kDeprecated = "org.freedesktop.DBus.Deprecated";
const char* kEmitsChanged = "org.freedesktop.DBus.Property.EmitsChangedSignal";

std::string annotation(const char* name, const char* value, const std::string& indent) {
  return indent + "<annotation name=\"" + name + "\" value=\"" + value + "\"/>\n";
}

void render_member(const MemberSpec& m, std::string& xml) {
  const bool method = m.kind == K::Method;
  xml += std::string("    <") + (method ? "method" : "signal") + " name=\"" + attribute(m.name) +
         "\">\n";
  auto arg = [&](const ArgSpec& a, const char* direction) {
    xml += "      <arg";
    if (!a.name.empty()) xml += " name=\"" + attribute(a.name) + "\"";
    xml += " type=\"" + attribute(a.type) + "\"";
    if (method) xml += std::string(" direction=\"") + direction + "\"";
    xml += "/>\n";
  };
  for (const ArgSpec& a : m.in) arg(a, "in");
  for (const ArgSpec& a : m.out) arg(a, "out");
  if (m.deprecated) xml += annotation(kDeprecated, "true", "      ");
  xml += std::string("    </") + (method ? "method" : "signal") + ">\n";
}

void render_property(const PropertyInfo& p, std::string& xml) {
  const char* access = p.access == Access::Read    ? "read"
                       : p.access == Access::Write ? "write"
                                                   : "readwrite";
  xml += "    <property name=\"" + std::string(p.name) + "\" type=\"" + std::string(p.signature) +
         "\" access=\"" + access + "\"";
  const bool annotated = p.emits != Emits::Yes || p.deprecated;
  if (!annotated) {
    xml += "/>\n";
    return;
  }
  xml += ">\n";
  if (p.emits == Emits::Const) xml += annotation(kEmitsChanged, "const", "      ");
  if (p.emits == Emits::Invalidates) xml += annotation(kEmitsChanged, "invalidates", "      ");
  if (p.deprecated) xml += annotation(kDeprecated, "true", "      ");
  xml += "    </property>\n";
}

}  // namespace

std::string MemberSpec::in_signature() const {
  std::string s;
  for (const ArgSpec& a : in) s += a.type;
  return s;
}

const MemberSpec* InterfaceSpec::method(std::string_view member) const {
  for (const MemberSpec& m : members) {
    if (m.kind == MemberSpec::Kind::Method && m.name == member) return &m;
  }
  return nullptr;
}

const std::vector<InterfaceSpec>& server_object_interfaces() {
  static const std::vector<InterfaceSpec> specs = {introspectable(), object_manager(),
                                                   server_interface(kServerInterface, false),
                                                   server_interface(kLegacyServerInterface, true)};
  return specs;
}

const std::vector<InterfaceSpec>& client_object_interfaces() {
  static const std::vector<InterfaceSpec> specs = {introspectable(), properties_interface(),
                                                   client_interface(kClientInterface, false),
                                                   client_interface(kLegacyClientInterface, true)};
  return specs;
}

std::string introspect_xml(std::string_view path, const std::vector<InterfaceSpec>& interfaces,
                           const std::vector<std::string>& children) {
  std::string xml =
      "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
      " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n";
  xml += "<node name=\"" + attribute(path) + "\">\n";
  for (const InterfaceSpec& spec : interfaces) {
    xml += "  <interface name=\"" + attribute(spec.name) + "\">\n";
    for (const MemberSpec& m : spec.members) render_member(m, xml);
    if (spec.client_properties) {
      for (const PropertyInfo& p : client_properties()) render_property(p, xml);
    }
    if (spec.deprecated) xml += annotation(kDeprecated, "true", "    ");
    xml += "  </interface>\n";
  }
  for (const std::string& child : children) {
    xml += "  <node name=\"" + attribute(child) + "\"/>\n";
  }
  xml += "</node>\n";
  return xml;
}

}  // namespace mandos::server::dbus
