#include "dbus/interfaces.hpp"

#include <gio/gio.h>
#include <gtest/gtest.h>

#include <memory>

#include "dbus/properties.hpp"

namespace mandos::server::dbus {
namespace {

// Parses with GDBus's own introspection parser: well-formed and complete.
struct NodeInfo {
  explicit NodeInfo(const std::string& xml) {
    GError* error = nullptr;
    info = g_dbus_node_info_new_for_xml(xml.c_str(), &error);
    if (error != nullptr) {
      message = error->message;
      g_error_free(error);
    }
  }
  ~NodeInfo() {
    if (info != nullptr) g_dbus_node_info_unref(info);
  }
  GDBusInterfaceInfo* interface(const char* name) const {
    return g_dbus_node_info_lookup_interface(info, name);
  }
  GDBusNodeInfo* info = nullptr;
  std::string message;
};

std::string annotation(GDBusAnnotationInfo** annotations, const char* name) {
  const gchar* value = g_dbus_annotation_info_lookup(annotations, name);
  return value == nullptr ? "" : value;
}

TEST(DbusIntrospection, ClientObjectXmlParsesAndHasAllFourInterfaces) {
  NodeInfo node(introspect_xml("/clients/foo", client_object_interfaces(), {}));
  ASSERT_NE(node.info, nullptr) << node.message;
  EXPECT_STREQ(node.info->path, "/clients/foo");
  for (auto name :
       {kClientInterface, kLegacyClientInterface, kPropertiesInterface, kIntrospectableInterface}) {
    EXPECT_NE(node.interface(std::string(name).c_str()), nullptr) << name;
  }
}

TEST(DbusIntrospection, LegacyInterfacesAreDeprecatedAndCurrentOnesAreNot) {
  NodeInfo client(introspect_xml("/clients/foo", client_object_interfaces(), {}));
  NodeInfo server(introspect_xml("/", server_object_interfaces(), {"clients"}));
  ASSERT_NE(client.info, nullptr) << client.message;
  ASSERT_NE(server.info, nullptr) << server.message;
  const char* deprecated = "org.freedesktop.DBus.Deprecated";
  EXPECT_EQ(annotation(client.interface("se.bsnet.fukt.Mandos.Client")->annotations, deprecated),
            "true");
  EXPECT_EQ(annotation(server.interface("se.bsnet.fukt.Mandos")->annotations, deprecated), "true");
  EXPECT_EQ(annotation(client.interface("se.recompile.Mandos.Client")->annotations, deprecated),
            "");
  EXPECT_EQ(annotation(server.interface("se.recompile.Mandos")->annotations, deprecated), "");
}

TEST(DbusIntrospection, PropertiesCarryTypeAccessAndChangeAnnotations) {
  NodeInfo node(introspect_xml("/clients/foo", client_object_interfaces(), {}));
  ASSERT_NE(node.info, nullptr) << node.message;
  for (const char* iface : {"se.recompile.Mandos.Client", "se.bsnet.fukt.Mandos.Client"}) {
    GDBusInterfaceInfo* info = node.interface(iface);
    ASSERT_NE(info, nullptr);
    const char* emits = "org.freedesktop.DBus.Property.EmitsChangedSignal";
    auto* secret = g_dbus_interface_info_lookup_property(info, "Secret");
    ASSERT_NE(secret, nullptr);
    EXPECT_STREQ(secret->signature, "ay");
    EXPECT_EQ(secret->flags, G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE);
    EXPECT_EQ(annotation(secret->annotations, emits), "invalidates");
    for (const char* name : {"Name", "KeyID", "Fingerprint", "Created", "ObjectPath"}) {
      auto* p = g_dbus_interface_info_lookup_property(info, name);
      ASSERT_NE(p, nullptr) << name;
      EXPECT_EQ(p->flags, G_DBUS_PROPERTY_INFO_FLAGS_READABLE) << name;
      EXPECT_EQ(annotation(p->annotations, emits), "const") << name;
    }
    auto* path = g_dbus_interface_info_lookup_property(info, "ObjectPath");
    EXPECT_STREQ(path->signature, "o");
    EXPECT_EQ(annotation(path->annotations, "org.freedesktop.DBus.Deprecated"), "true");
    auto* timeout = g_dbus_interface_info_lookup_property(info, "Timeout");
    EXPECT_STREQ(timeout->signature, "t");
    EXPECT_EQ(timeout->flags,
              G_DBUS_PROPERTY_INFO_FLAGS_READABLE | G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE);
    EXPECT_EQ(annotation(timeout->annotations, emits), "");
    auto* status = g_dbus_interface_info_lookup_property(info, "LastCheckerStatus");
    EXPECT_STREQ(status->signature, "n");
    size_t count = 0;
    while (info->properties[count] != nullptr) ++count;
    EXPECT_EQ(count, client_properties().size());
  }
}

TEST(DbusIntrospection, DeprecatedMembersAreAnnotated) {
  NodeInfo client(introspect_xml("/clients/foo", client_object_interfaces(), {}));
  NodeInfo server(introspect_xml("/", server_object_interfaces(), {}));
  const char* deprecated = "org.freedesktop.DBus.Deprecated";
  GDBusInterfaceInfo* c = client.interface("se.recompile.Mandos.Client");
  for (const char* m : {"Enable", "Disable", "StartChecker", "StopChecker"}) {
    EXPECT_EQ(annotation(g_dbus_interface_info_lookup_method(c, m)->annotations, deprecated),
              "true")
        << m;
  }
  EXPECT_EQ(annotation(g_dbus_interface_info_lookup_method(c, "Approve")->annotations, deprecated),
            "");
  EXPECT_EQ(annotation(g_dbus_interface_info_lookup_signal(c, "PropertyChanged")->annotations,
                       deprecated),
            "true");
  GDBusInterfaceInfo* s = server.interface("se.recompile.Mandos");
  for (const char* m : {"GetAllClients", "GetAllClientsWithProperties"}) {
    EXPECT_EQ(annotation(g_dbus_interface_info_lookup_method(s, m)->annotations, deprecated),
              "true")
        << m;
  }
  EXPECT_EQ(
      annotation(g_dbus_interface_info_lookup_signal(s, "ClientRemoved")->annotations, deprecated),
      "true");
  EXPECT_EQ(
      annotation(g_dbus_interface_info_lookup_method(s, "RemoveClient")->annotations, deprecated),
      "");
}

TEST(DbusIntrospection, ArgumentsHaveTheReferenceNamesAndTypes) {
  NodeInfo client(introspect_xml("/clients/foo", client_object_interfaces(), {}));
  NodeInfo server(introspect_xml("/", server_object_interfaces(), {}));
  auto* introspect = g_dbus_interface_info_lookup_method(
      server.interface("org.freedesktop.DBus.Introspectable"), "Introspect");
  EXPECT_STREQ(introspect->out_args[0]->name, "xml_data");
  auto* get = g_dbus_interface_info_lookup_method(
      client.interface("org.freedesktop.DBus.Properties"), "Get");
  EXPECT_STREQ(get->out_args[0]->name, "value");
  EXPECT_STREQ(get->out_args[0]->signature, "v");
  auto* get_all = g_dbus_interface_info_lookup_method(
      client.interface("org.freedesktop.DBus.Properties"), "GetAll");
  EXPECT_STREQ(get_all->out_args[0]->name, "props");
  auto* managed = g_dbus_interface_info_lookup_method(
      server.interface("org.freedesktop.DBus.ObjectManager"), "GetManagedObjects");
  EXPECT_STREQ(managed->out_args[0]->name, "objpath_interfaces_and_properties");
  EXPECT_STREQ(managed->out_args[0]->signature, "a{oa{sa{sv}}}");
  auto* completed = g_dbus_interface_info_lookup_signal(
      client.interface("se.recompile.Mandos.Client"), "CheckerCompleted");
  EXPECT_STREQ(completed->args[0]->signature, "n");
  EXPECT_STREQ(completed->args[1]->signature, "x");
  EXPECT_STREQ(completed->args[2]->signature, "s");
  auto* need = g_dbus_interface_info_lookup_signal(client.interface("se.recompile.Mandos.Client"),
                                                   "NeedApproval");
  EXPECT_STREQ(need->args[0]->signature, "t");
  EXPECT_STREQ(need->args[1]->signature, "b");
  auto* removed = g_dbus_interface_info_lookup_signal(
      server.interface("org.freedesktop.DBus.ObjectManager"), "InterfacesRemoved");
  EXPECT_STREQ(removed->args[1]->signature, "as");
}

TEST(DbusIntrospection, ListsChildNodes) {
  NodeInfo root(introspect_xml("/", server_object_interfaces(), {"clients"}));
  ASSERT_NE(root.info, nullptr) << root.message;
  ASSERT_NE(root.info->nodes[0], nullptr);
  EXPECT_STREQ(root.info->nodes[0]->path, "clients");
  NodeInfo parent(introspect_xml("/clients", {}, {"foo", "bar_baz"}));
  ASSERT_NE(parent.info, nullptr) << parent.message;
  EXPECT_STREQ(parent.info->nodes[0]->path, "foo");
  EXPECT_STREQ(parent.info->nodes[1]->path, "bar_baz");
  EXPECT_EQ(parent.info->interfaces[0], nullptr);
}

TEST(DbusInterfaces, MethodsKnowTheirInputSignature) {
  const auto& client = client_object_interfaces();
  const InterfaceSpec* properties = nullptr;
  for (const auto& spec : client) {
    if (spec.name == kPropertiesInterface) properties = &spec;
  }
  ASSERT_NE(properties, nullptr);
  EXPECT_EQ(properties->method("Set")->in_signature(), "ssv");
  EXPECT_EQ(properties->method("GetAll")->in_signature(), "s");
  EXPECT_EQ(properties->method("PropertiesChanged"), nullptr);  // a signal, not a method
}

}  // namespace
}  // namespace mandos::server::dbus
