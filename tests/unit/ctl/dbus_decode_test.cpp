// Decoding GetManagedObjects replies built with dbus-cpp's own writer, no
// bus needed: the variants carry every type the servers send.
#include <core/dbus/message.h>
#include <core/dbus/types/object_path.h>
#include <core/dbus/types/signature.h>
#include <gtest/gtest.h>

#include "dbus_cpp_bus.hpp"

namespace mandos::ctl {
namespace {

namespace dbus = core::dbus;
using Writer = dbus::Message::Writer;

void push_string(Writer& writer, const std::string& text) {
  writer.push_stringn(text.data(), text.size());
}

template <class Push>
void push_property(Writer& properties, const std::string& name, const char* signature,
                   Push push) {
  auto entry = properties.open_dict_entry();
  push_string(entry, name);
  auto variant = entry.open_variant(dbus::types::Signature(signature));
  push(variant);
  entry.close_variant(std::move(variant));
  properties.close_dict_entry(std::move(entry));
}

// One interface entry of an object: name -> a{sv}.
template <class Fill>
void push_interface(Writer& interfaces, const std::string& name, Fill fill) {
  auto entry = interfaces.open_dict_entry();
  push_string(entry, name);
  auto properties = entry.open_array(dbus::types::Signature("{sv}"));
  fill(properties);
  entry.close_array(std::move(properties));
  interfaces.close_dict_entry(std::move(entry));
}

template <class Fill>
void push_object(Writer& objects, const std::string& path, Fill fill) {
  auto entry = objects.open_dict_entry();
  entry.push_object_path(dbus::types::ObjectPath(path));
  auto interfaces = entry.open_array(dbus::types::Signature("{sa{sv}}"));
  fill(interfaces);
  entry.close_array(std::move(interfaces));
  objects.close_dict_entry(std::move(entry));
}

std::shared_ptr<dbus::Message> managed_objects_message() {
  auto message = dbus::Message::make_method_call("se.recompile.Mandos",
                                                 dbus::types::ObjectPath("/"), "x.y", "Reply");
  auto writer = message->writer();
  auto objects = writer.open_array(dbus::types::Signature("{oa{sa{sv}}}"));
  push_object(objects, "/clients/foo", [](Writer& interfaces) {
    push_interface(interfaces, "org.freedesktop.DBus.Properties", [](Writer&) {});
    push_interface(interfaces, "se.bsnet.fukt.Mandos.Client", [](Writer& p) {
      push_property(p, "Name", "s", [](Writer& v) { push_string(v, "legacy"); });
    });
    push_interface(interfaces, "se.recompile.Mandos.Client", [](Writer& p) {
      push_property(p, "Name", "s", [](Writer& v) { push_string(v, "foo"); });
      push_property(p, "Enabled", "b", [](Writer& v) { v.push_boolean(true); });
      push_property(p, "Timeout", "t", [](Writer& v) { v.push_uint64(1ull << 40); });
      push_property(p, "LastCheckerStatus", "n", [](Writer& v) { v.push_int16(-2); });
      push_property(p, "ObjectPath", "o",
                    [](Writer& v) { v.push_object_path(dbus::types::ObjectPath("/clients/foo")); });
      push_property(p, "Odd", "i", [](Writer& v) { v.push_int32(-7); });
      push_property(p, "List", "as", [](Writer& v) {
        auto array = v.open_array(dbus::types::Signature("s"));
        push_string(array, "x");
        v.close_array(std::move(array));
      });
      push_property(p, "Host", "s", [](Writer& v) { push_string(v, "hôst"); });
    });
  });
  push_object(objects, "/other", [](Writer& interfaces) {
    push_interface(interfaces, "org.example.Other", [](Writer& p) {
      push_property(p, "Name", "s", [](Writer& v) { push_string(v, "not a client"); });
    });
  });
  push_object(objects, "/clients/bar", [](Writer& interfaces) {
    push_interface(interfaces, "se.recompile.Mandos.Client", [](Writer& p) {
      push_property(p, "Name", "s", [](Writer& v) { push_string(v, "bar"); });
    });
  });
  writer.close_array(std::move(objects));
  return message;
}

TEST(DecodeManagedObjects, KeepsOnlyObjectsWithTheClientInterfaceInOrder) {
  auto message = managed_objects_message();
  auto clients = decode_managed_objects(*message);
  ASSERT_TRUE(clients) << clients.error().message;
  ASSERT_EQ(clients->size(), 2u);
  EXPECT_EQ((*clients)[0].path, "/clients/foo");
  EXPECT_EQ((*clients)[0].name(), "foo");
  EXPECT_EQ((*clients)[1].path, "/clients/bar");
  EXPECT_EQ((*clients)[1].name(), "bar");
}

TEST(DecodeManagedObjects, DecodesVariantsOfEveryTypeInServerOrder) {
  auto message = managed_objects_message();
  auto clients = decode_managed_objects(*message);
  ASSERT_TRUE(clients);
  const Client& foo = (*clients)[0];
  ASSERT_EQ(foo.properties.size(), 8u);
  EXPECT_EQ(foo.properties[1].first, "Enabled");
  EXPECT_EQ(*foo.find("Enabled"), PropertyValue(true));
  EXPECT_EQ(*foo.find("Timeout"), PropertyValue(std::uint64_t{1} << 40));
  EXPECT_EQ(*foo.find("LastCheckerStatus"), PropertyValue(std::int64_t{-2}));
  EXPECT_EQ(*foo.find("ObjectPath"), PropertyValue(std::string("/clients/foo")));
  EXPECT_EQ(*foo.find("Odd"), PropertyValue(std::int64_t{-7}));
  EXPECT_TRUE(std::holds_alternative<OtherValue>(*foo.find("List")));
  EXPECT_EQ(*foo.find("Host"), PropertyValue(std::string("hôst")));
}

TEST(DecodeManagedObjects, RejectsAReplyOfAnotherSignature) {
  auto message = dbus::Message::make_method_call("se.recompile.Mandos",
                                                 dbus::types::ObjectPath("/"), "x.y", "Reply");
  {
    auto writer = message->writer();
    writer.push_stringn("x", 1);
  }
  auto clients = decode_managed_objects(*message);
  ASSERT_FALSE(clients);
  EXPECT_NE(clients.error().message.find("signature \"s\""), std::string::npos);
  EXPECT_EQ(bus_error_kind(clients.error()), BusErrorKind::kFailed);
}

TEST(DebugRepr, ShowsValuesAsPythonButNeverTheSecret) {
  EXPECT_EQ(debug_repr(true), "True");
  EXPECT_EQ(debug_repr(std::uint64_t{420000}), "420000");
  EXPECT_EQ(debug_repr(std::string("ü x")), "'ü x'");
  EXPECT_EQ(debug_repr(SecretBytes("hidden")), "<6 bytes, not shown>");
}

}  // namespace
}  // namespace mandos::ctl
