// Messages are built in memory with dbus-cpp's writer, exactly as a server
// would send them, and read back by the decoder: no bus involved.
#include "dbus_decode.hpp"

#include <core/dbus/types/object_path.h>
#include <core/dbus/types/signature.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace mandos::monitor {
namespace {

using core::dbus::Message;
using core::dbus::types::ObjectPath;
using core::dbus::types::Signature;

void push_string(Message::Writer& writer, const std::string& text) {
  writer.push_stringn(text.c_str(), text.size());
}

// One {sv} entry with the value written by `value`.
void push_entry(Message::Writer& dict, const std::string& name, const char* signature,
                const std::function<void(Message::Writer&)>& value) {
  auto entry = dict.open_dict_entry();
  push_string(entry, name);
  auto variant = entry.open_variant(Signature(signature));
  value(variant);
  entry.close_variant(std::move(variant));
  dict.close_dict_entry(std::move(entry));
}

// A client's a{sv} with properties of every type the server uses, plus a
// duration sent as int32 (as dbus-python would) and an array (skipped).
void push_client_properties(Message::Writer& writer, const std::string& name) {
  auto dict = writer.open_array(Signature("{sv}"));
  push_entry(dict, "Name", "s", [&](Message::Writer& w) { push_string(w, name); });
  push_entry(dict, "Enabled", "b", [](Message::Writer& w) { w.push_boolean(true); });
  push_entry(dict, "Interval", "t", [](Message::Writer& w) { w.push_uint64(120000); });
  push_entry(dict, "LastCheckerStatus", "n", [](Message::Writer& w) { w.push_int16(-2); });
  push_entry(dict, "ApprovalDelay", "i", [](Message::Writer& w) { w.push_int32(5000); });
  push_entry(dict, "ObjectPath", "o",
             [&](Message::Writer& w) { w.push_object_path(ObjectPath("/clients/" + name)); });
  push_entry(dict, "Secret", "ay", [](Message::Writer& w) {
    auto bytes = w.open_array(Signature("y"));
    bytes.push_byte(1);
    w.close_array(std::move(bytes));
  });
  writer.close_array(std::move(dict));
}

Message::Ptr signal(const std::string& path, const std::string& interface,
                    const std::string& member) {
  return Message::make_signal(path, interface, member);
}

TEST(DecodeClientsReply, ReadsEveryClientWithVariantsOfAnyType) {
  auto call = Message::make_method_call(kBusName, ObjectPath("/"), kServerInterface,
                                        "GetAllClientsWithProperties");
  call->ensure_serial_larger_than_zero_for_testing();
  auto reply = Message::make_method_return(call);
  {
    auto writer = reply->writer();
    auto outer = writer.open_array(Signature("{oa{sv}}"));
    for (const std::string name : {"foo", "bar"}) {
      auto entry = outer.open_dict_entry();
      entry.push_object_path(ObjectPath("/clients/" + name));
      push_client_properties(entry, name);
      outer.close_dict_entry(std::move(entry));
    }
    writer.close_array(std::move(outer));
  }
  auto loaded = decode_clients_reply(reply);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE(loaded->server_found);
  ASSERT_EQ(loaded->clients.size(), 2u);
  EXPECT_EQ(loaded->clients[1].first, "/clients/bar");
  const Properties& foo = loaded->clients[0].second;
  EXPECT_EQ(std::get<std::string>(foo.at("Name")), "foo");
  EXPECT_EQ(std::get<bool>(foo.at("Enabled")), true);
  EXPECT_EQ(std::get<std::uint64_t>(foo.at("Interval")), 120000u);
  EXPECT_EQ(std::get<std::int64_t>(foo.at("LastCheckerStatus")), -2);
  EXPECT_EQ(int_property(foo, "ApprovalDelay", 0), 5000);
  EXPECT_EQ(std::get<std::string>(foo.at("ObjectPath")), "/clients/foo");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(foo.at("Secret")));
}

TEST(DecodeClientsReply, ReportsAnErrorReplyByName) {
  auto call = Message::make_method_call(kBusName, ObjectPath("/"), kServerInterface,
                                        "GetAllClientsWithProperties");
  call->ensure_serial_larger_than_zero_for_testing();
  auto error = Message::make_error(call, "org.freedesktop.DBus.Error.ServiceUnknown", "no");
  auto loaded = decode_clients_reply(error);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("org.freedesktop.DBus.Error.ServiceUnknown"),
            std::string::npos)
      << loaded.error().message;
}

TEST(DecodeClientsReply, RejectsAReplyOfTheWrongSignature) {
  auto call = Message::make_method_call(kBusName, ObjectPath("/"), kServerInterface,
                                        "GetAllClientsWithProperties");
  call->ensure_serial_larger_than_zero_for_testing();
  auto reply = Message::make_method_return(call);
  {
    auto writer = reply->writer();
    push_string(writer, "surprise");
  }
  auto loaded = decode_clients_reply(reply);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("reply has signature \"s\", expected \"a{oa{sv}}\""),
            std::string::npos)
      << loaded.error().message;
}

TEST(DecodeServerSignal, ReadsInterfacesAddedForAClient) {
  auto message = signal("/", kObjectManagerInterface, "InterfacesAdded");
  {
    auto writer = message->writer();
    writer.push_object_path(ObjectPath("/clients/foo"));
    auto interfaces = writer.open_array(Signature("{sa{sv}}"));
    for (const std::string interface : {"se.bsnet.fukt.Mandos.Client", kClientInterface,
                                        "org.freedesktop.DBus.Introspectable"}) {
      auto entry = interfaces.open_dict_entry();
      push_string(entry, interface);
      if (interface == "org.freedesktop.DBus.Introspectable") {
        auto empty = entry.open_array(Signature("{sv}"));
        entry.close_array(std::move(empty));
      } else {
        push_client_properties(entry, interface == kClientInterface ? "foo" : "legacy");
      }
      interfaces.close_dict_entry(std::move(entry));
    }
    writer.close_array(std::move(interfaces));
  }
  auto decoded = decode_server_signal(message);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_TRUE(decoded->has_value());
  const auto& added = std::get<ClientAdded>(**decoded);
  EXPECT_EQ(added.path, "/clients/foo");
  EXPECT_TRUE(added.is_client);
  EXPECT_EQ(std::get<std::string>(added.properties.at("Name")), "foo");
}

TEST(DecodeServerSignal, ReadsInterfacesRemoved) {
  auto message = signal("/", kObjectManagerInterface, "InterfacesRemoved");
  {
    auto writer = message->writer();
    writer.push_object_path(ObjectPath("/clients/foo"));
    auto names = writer.open_array(Signature("s"));
    push_string(names, "org.freedesktop.DBus.Properties");
    push_string(names, kClientInterface);
    writer.close_array(std::move(names));
  }
  auto decoded = decode_server_signal(message);
  ASSERT_TRUE(decoded) << decoded.error().message;
  const auto& removed = std::get<ClientRemoved>(**decoded);
  EXPECT_EQ(removed.path, "/clients/foo");
  EXPECT_TRUE(removed.is_client);
}

TEST(DecodeServerSignal, ReadsClientNotFound) {
  auto message = signal("/", kServerInterface, "ClientNotFound");
  {
    auto writer = message->writer();
    push_string(writer, "ABCD");
    push_string(writer, "::ffff:127.0.0.1");
  }
  auto decoded = decode_server_signal(message);
  ASSERT_TRUE(decoded) << decoded.error().message;
  const auto& event = std::get<ClientNotFound>(**decoded);
  EXPECT_EQ(event.key_id, "ABCD");
  EXPECT_EQ(event.address, "::ffff:127.0.0.1");
}

TEST(DecodeServerSignal, IgnoresOtherSignals) {
  auto message = signal("/", kServerInterface, "ClientAdded");
  {
    auto writer = message->writer();
    writer.push_object_path(ObjectPath("/clients/foo"));
  }
  auto decoded = decode_server_signal(message);
  ASSERT_TRUE(decoded);
  EXPECT_FALSE(decoded->has_value());
}

TEST(DecodeServerSignal, RejectsAMalformedSignalNamingIt) {
  auto message = signal("/", kServerInterface, "ClientNotFound");
  {
    auto writer = message->writer();
    push_string(writer, "only one");
  }
  auto decoded = decode_server_signal(message);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message,
            "D-Bus ClientNotFound from / has signature \"s\", expected \"ss\"");
}

TEST(DecodeClientSignal, ReadsPropertiesChanged) {
  auto message = signal("/clients/foo", kPropertiesInterface, "PropertiesChanged");
  {
    auto writer = message->writer();
    push_string(writer, kClientInterface);
    auto dict = writer.open_array(Signature("{sv}"));
    push_entry(dict, "Enabled", "b", [](Message::Writer& w) { w.push_boolean(false); });
    push_entry(dict, "Expires", "s", [](Message::Writer& w) { push_string(w, ""); });
    writer.close_array(std::move(dict));
    auto invalidated = writer.open_array(Signature("s"));
    writer.close_array(std::move(invalidated));
  }
  auto decoded = decode_client_signal(message);
  ASSERT_TRUE(decoded) << decoded.error().message;
  const auto& changed = std::get<PropertiesChanged>(**decoded);
  EXPECT_EQ(changed.path, "/clients/foo");
  EXPECT_EQ(changed.interface, kClientInterface);
  EXPECT_EQ(std::get<bool>(changed.changed.at("Enabled")), false);
  EXPECT_EQ(std::get<std::string>(changed.changed.at("Expires")), "");
}

TEST(DecodeClientSignal, ReadsTheFiveClientSignals) {
  auto completed = signal("/clients/foo", kClientInterface, "CheckerCompleted");
  {
    auto writer = completed->writer();
    writer.push_int16(-1);
    writer.push_int64(9);
    push_string(writer, "fping foo");
  }
  auto started = signal("/clients/foo", kClientInterface, "CheckerStarted");
  {
    auto writer = started->writer();
    push_string(writer, "fping foo");
  }
  auto approval = signal("/clients/foo", kClientInterface, "NeedApproval");
  {
    auto writer = approval->writer();
    writer.push_uint64(30000);
    writer.push_boolean(false);
  }
  auto rejected = signal("/clients/foo", kClientInterface, "Rejected");
  {
    auto writer = rejected->writer();
    push_string(writer, "Denied");
  }
  auto secret = signal("/clients/foo", kClientInterface, "GotSecret");

  auto c = decode_client_signal(completed);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(std::get<CheckerCompleted>(**c).exit_code, -1);
  EXPECT_EQ(std::get<CheckerCompleted>(**c).wait_status, 9);
  EXPECT_EQ(std::get<CheckerCompleted>(**c).command, "fping foo");
  auto s = decode_client_signal(started);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(std::get<CheckerStarted>(**s).command, "fping foo");
  auto a = decode_client_signal(approval);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(std::get<NeedApproval>(**a).delay_ms, 30000u);
  EXPECT_FALSE(std::get<NeedApproval>(**a).approved_by_default);
  auto r = decode_client_signal(rejected);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(std::get<Rejected>(**r).reason, "Denied");
  auto g = decode_client_signal(secret);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(std::get<GotSecret>(**g).path, "/clients/foo");
}

TEST(DecodeClientSignal, IgnoresTheDeprecatedPropertyChangedAndLegacyInterface) {
  auto deprecated = signal("/clients/foo", kClientInterface, "PropertyChanged");
  {
    auto writer = deprecated->writer();
    push_string(writer, "Enabled");
    auto variant = writer.open_variant(Signature("b"));
    variant.push_boolean(true);
    writer.close_variant(std::move(variant));
  }
  auto legacy = signal("/clients/foo", "se.bsnet.fukt.Mandos.Client", "GotSecret");
  auto d = decode_client_signal(deprecated);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->has_value());
  auto l = decode_client_signal(legacy);
  ASSERT_TRUE(l);
  EXPECT_FALSE(l->has_value());
}

TEST(DecodeClientSignal, RejectsWrongSignaturesNamingSignalPathAndSignature) {
  auto approval = signal("/clients/foo", kClientInterface, "NeedApproval");
  {
    auto writer = approval->writer();
    writer.push_uint32(30000);
    writer.push_boolean(false);
  }
  auto a = decode_client_signal(approval);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().message,
            "D-Bus NeedApproval from /clients/foo has signature \"ub\", expected \"tb\"");
  auto secret = signal("/clients/foo", kClientInterface, "GotSecret");
  {
    auto writer = secret->writer();
    push_string(writer, "unexpected");
  }
  auto g = decode_client_signal(secret);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message,
            "D-Bus GotSecret from /clients/foo has signature \"s\", expected \"\"");
}

TEST(ReadValue, FailsAtTheEndOfTheArguments) {
  auto message = signal("/clients/foo", kClientInterface, "Rejected");
  {
    auto writer = message->writer();
    push_string(writer, "x");
  }
  auto reader = message->reader();
  auto first = read_value(reader);
  ASSERT_TRUE(first);
  auto second = read_value(reader);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message, "missing value");
}

}  // namespace
}  // namespace mandos::monitor
