#include "dbus/service.hpp"

#include <gtest/gtest.h>

#include <map>

#include "dbus_fixture.hpp"

namespace mandos::server::dbus {
namespace {

using namespace test;

struct Sent {
  std::string path;
  std::string interface;
  std::string member;
  std::vector<Value> args;
  std::string text() const { return path + " " + interface + "." + member; }
};

class RecordingTransport final : public Transport {
 public:
  void reply(std::uint64_t token, std::vector<Value> args) override {
    replies[token] = std::move(args);
  }
  void error(std::uint64_t token, CallError e) override { errors[token] = std::move(e); }
  void signal(std::string path, std::string interface, std::string member,
              std::vector<Value> args) override {
    signals.push_back(
        Sent{std::move(path), std::move(interface), std::move(member), std::move(args)});
  }
  std::vector<std::string> signal_texts() const {
    std::vector<std::string> out;
    for (const Sent& s : signals) out.push_back(s.text());
    return out;
  }
  std::map<std::uint64_t, std::vector<Value>> replies;
  std::map<std::uint64_t, CallError> errors;
  std::vector<Sent> signals;
};

Value lookup(const Value& dict, const std::string& key) {
  for (const Value& entry : dict.children()) {
    if (entry.children().at(0).as_string() == key) return entry.children().at(1);
  }
  ADD_FAILURE() << "no key " << key;
  return Value::string("");
}

class DbusService : public ::testing::Test, protected RegistryFixture {
 protected:
  // Returns the reply, or fails the test if there was an error.
  std::vector<Value> call(const std::string& path, const std::string& interface,
                          const std::string& member, std::vector<Value> args = {}) {
    IncomingCall c = make(path, interface, member, std::move(args));
    service.handle(c);
    if (transport.errors.count(c.token) != 0) {
      ADD_FAILURE() << member << ": " << transport.errors[c.token].name << ": "
                    << transport.errors[c.token].message;
      return {};
    }
    EXPECT_EQ(transport.replies.count(c.token), 1u) << member;
    return transport.replies[c.token];
  }
  CallError call_error(const std::string& path, const std::string& interface,
                       const std::string& member, std::vector<Value> args = {}) {
    IncomingCall c = make(path, interface, member, std::move(args));
    service.handle(c);
    EXPECT_EQ(transport.replies.count(c.token), 0u) << member << " should have failed";
    return transport.errors[c.token];
  }
  IncomingCall make(const std::string& path, const std::string& interface,
                    const std::string& member, std::vector<Value> args) {
    IncomingCall c;
    c.token = next_token++;
    c.path = path;
    c.interface = interface;
    c.member = member;
    for (const Value& a : args) c.signature += a.signature();
    c.args = std::move(args);
    return c;
  }
  Value get(const std::string& path, const std::string& property) {
    auto r = call(path, "org.freedesktop.DBus.Properties", "Get",
                  {Value::string("se.recompile.Mandos.Client"), Value::string(property)});
    return r.empty() ? Value::string("") : r[0].children().at(0);
  }
  std::vector<Value> set(const std::string& path, const std::string& property, Value v) {
    return call(path, "org.freedesktop.DBus.Properties", "Set",
                {Value::string("se.recompile.Mandos.Client"), Value::string(property),
                 Value::variant(std::move(v))});
  }

  RecordingTransport transport;
  Service service{registry, transport};
  std::uint64_t next_token = 1;
};

TEST_F(DbusService, AddingAClientSignalsInterfacesAddedThenClientAddedOnBothInterfaces) {
  registry.add_client(client_data("foo.example"));
  ASSERT_EQ(transport.signal_texts(),
            (std::vector<std::string>{"/ org.freedesktop.DBus.ObjectManager.InterfacesAdded",
                                      "/ se.recompile.Mandos.ClientAdded",
                                      "/ se.bsnet.fukt.Mandos.ClientAdded"}));
  const Sent& added = transport.signals[0];
  EXPECT_EQ(added.args.at(0), Value::object_path("/clients/foo_example"));
  EXPECT_EQ(added.args.at(1).signature(), "a{sa{sv}}");
  EXPECT_EQ(transport.signals[1].args,
            std::vector<Value>{Value::object_path("/clients/foo_example")});
}

TEST_F(DbusService, GetManagedObjectsHasEveryClientWithFourInterfacesInRegistryOrder) {
  registry.add_client(client_data("zeta", 'A'));
  registry.add_client(client_data("alpha", 'B'));
  auto r = call("/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].signature(), "a{oa{sa{sv}}}");
  ASSERT_EQ(r[0].children().size(), 2u);
  EXPECT_EQ(r[0].children()[0].children()[0], Value::object_path("/clients/zeta"));
  EXPECT_EQ(r[0].children()[1].children()[0], Value::object_path("/clients/alpha"));
  const Value& interfaces = r[0].children()[0].children()[1];
  ASSERT_EQ(interfaces.children().size(), 4u);
  Value current = lookup(interfaces, "se.recompile.Mandos.Client");
  Value legacy = lookup(interfaces, "se.bsnet.fukt.Mandos.Client");
  EXPECT_EQ(current, legacy);
  EXPECT_EQ(current.children().size(), 21u);
  EXPECT_EQ(lookup(current, "Name"), Value::variant(Value::string("zeta")));
  EXPECT_TRUE(lookup(interfaces, "org.freedesktop.DBus.Properties").children().empty());
  EXPECT_TRUE(lookup(interfaces, "org.freedesktop.DBus.Introspectable").children().empty());
}

TEST_F(DbusService, DeprecatedListingsWorkOnBothServerInterfaces) {
  registry.add_client(client_data("b", 'A'));
  registry.add_client(client_data("a", 'B'));
  for (const char* iface : {"se.recompile.Mandos", "se.bsnet.fukt.Mandos"}) {
    auto all = call("/", iface, "GetAllClients");
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0], Value::array("o", {Value::object_path("/clients/b"),
                                         Value::object_path("/clients/a")}));
    auto with = call("/", iface, "GetAllClientsWithProperties");
    ASSERT_EQ(with.size(), 1u);
    EXPECT_EQ(with[0].signature(), "a{oa{sv}}");
    ASSERT_EQ(with[0].children().size(), 2u);
    EXPECT_EQ(lookup(with[0].children()[1].children()[1], "Name"),
              Value::variant(Value::string("a")));
  }
}

TEST_F(DbusService, GetAllAnswersBothClientInterfacesTheEmptyNameAndOthersWithNothing) {
  registry.add_client(client_data("foo"));
  for (const char* iface : {"se.recompile.Mandos.Client", "se.bsnet.fukt.Mandos.Client", ""}) {
    auto r =
        call("/clients/foo", "org.freedesktop.DBus.Properties", "GetAll", {Value::string(iface)});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].children().size(), 21u) << iface;
  }
  for (const char* iface : {"org.freedesktop.DBus.Properties", "no.such.Interface"}) {
    auto r =
        call("/clients/foo", "org.freedesktop.DBus.Properties", "GetAll", {Value::string(iface)});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0], Value::array("{sv}")) << iface;
  }
}

TEST_F(DbusService, GetOfSecretUnknownAndForeignPropertiesFail) {
  registry.add_client(client_data("foo"));
  auto secret = call_error("/clients/foo", "org.freedesktop.DBus.Properties", "Get",
                           {Value::string("se.recompile.Mandos.Client"), Value::string("Secret")});
  EXPECT_EQ(secret.name, "org.freedesktop.DBus.Python.DBusPropertyAccessException");
  EXPECT_EQ(secret.message, "Property Secret is write-only");
  auto unknown = call_error("/clients/foo", "org.freedesktop.DBus.Properties", "Get",
                            {Value::string("se.recompile.Mandos.Client"), Value::string("Nope")});
  EXPECT_EQ(unknown.name, "org.freedesktop.DBus.Python.DBusPropertyNotFound");
  EXPECT_NE(unknown.message.find("se.recompile.Mandos.Client.Nope"), std::string::npos);
  auto foreign = call_error("/clients/foo", "org.freedesktop.DBus.Properties", "Get",
                            {Value::string("se.recompile.Mandos"), Value::string("Name")});
  EXPECT_EQ(foreign.name, "org.freedesktop.DBus.Python.DBusPropertyNotFound");
  auto set_unknown = call_error("/clients/foo", "org.freedesktop.DBus.Properties", "Set",
                                {Value::string("se.recompile.Mandos.Client"), Value::string("Nope"),
                                 Value::variant(Value::string("x"))});
  EXPECT_EQ(set_unknown.name, "org.freedesktop.DBus.Python.DBusPropertyNotFound");
}

TEST_F(DbusService, GetWorksOnTheLegacyInterfaceToo) {
  registry.add_client(client_data("foo"));
  auto r = call("/clients/foo", "org.freedesktop.DBus.Properties", "Get",
                {Value::string("se.bsnet.fukt.Mandos.Client"), Value::string("Timeout")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], Value::variant(Value::uint64(300000)));
}

TEST_F(DbusService, ARealChangeSignalsPropertyChangedTwiceThenPropertiesChangedOnce) {
  registry.add_client(client_data("foo"));
  transport.signals.clear();
  set("/clients/foo", "Timeout", Value::int32(60000));
  ASSERT_EQ(
      transport.signal_texts(),
      (std::vector<std::string>{"/clients/foo se.recompile.Mandos.Client.PropertyChanged",
                                "/clients/foo se.bsnet.fukt.Mandos.Client.PropertyChanged",
                                "/clients/foo org.freedesktop.DBus.Properties.PropertiesChanged"}));
  EXPECT_EQ(transport.signals[0].args,
            (std::vector<Value>{Value::string("Timeout"), Value::variant(Value::uint64(60000))}));
  const auto& changed = transport.signals[2].args;
  ASSERT_EQ(changed.size(), 3u);
  EXPECT_EQ(changed[0], Value::string("se.recompile.Mandos.Client"));
  EXPECT_EQ(lookup(changed[1], "Timeout"), Value::variant(Value::uint64(60000)));
  EXPECT_EQ(changed[2], Value::array("s"));
  transport.signals.clear();
  set("/clients/foo", "Timeout", Value::uint64(60000));  // same value: no signal
  EXPECT_TRUE(transport.signals.empty());
}

TEST_F(DbusService, SecretChangesOnlyInvalidate) {
  registry.add_client(client_data("foo"));
  transport.signals.clear();
  set("/clients/foo", "Secret", Value::bytes(SecretBytes(std::string_view("new"))));
  ASSERT_EQ(
      transport.signal_texts(),
      std::vector<std::string>{"/clients/foo org.freedesktop.DBus.Properties.PropertiesChanged"});
  EXPECT_EQ(transport.signals[0].args,
            (std::vector<Value>{Value::string("se.recompile.Mandos.Client"), Value::array("{sv}"),
                                Value::array("s", {Value::string("Secret")})}));
  EXPECT_EQ(registry.find("foo")->data().secret.view(), "new");
}

TEST_F(DbusService, InvalidSetReturnsAnErrorAndNoSignal) {
  registry.add_client(client_data("foo"));
  transport.signals.clear();
  auto e = call_error("/clients/foo", "org.freedesktop.DBus.Properties", "Set",
                      {Value::string("se.recompile.Mandos.Client"), Value::string("Interval"),
                       Value::variant(Value::int32(-1))});
  EXPECT_EQ(e.name, "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_TRUE(transport.signals.empty());
  auto ro = call_error("/clients/foo", "org.freedesktop.DBus.Properties", "Set",
                       {Value::string("se.recompile.Mandos.Client"), Value::string("Name"),
                        Value::variant(Value::string("bar"))});
  EXPECT_EQ(ro.name, "org.freedesktop.DBus.Python.DBusPropertyAccessException");
  EXPECT_EQ(registry.find("foo")->data().interval, 2min);
}

TEST_F(DbusService, ClientMethodsReachTheRegistry) {
  registry.start();
  Client& c = registry.add_client(client_data("foo"));
  call("/clients/foo", "se.recompile.Mandos.Client", "Disable");
  EXPECT_FALSE(c.enabled());
  call("/clients/foo", "se.bsnet.fukt.Mandos.Client", "Enable");
  EXPECT_TRUE(c.enabled());
  call("/clients/foo", "se.recompile.Mandos.Client", "StartChecker");
  EXPECT_TRUE(c.checker_running());
  call("/clients/foo", "se.recompile.Mandos.Client", "StopChecker");
  EXPECT_FALSE(c.checker_running());
  scheduler.advance(3s);
  call("/clients/foo", "se.recompile.Mandos.Client", "CheckedOK");
  EXPECT_EQ(c.data().last_checked_ok, scheduler.now());
  call("/clients/foo", "se.recompile.Mandos.Client", "Approve", {Value::boolean(false)});
  EXPECT_EQ(c.approved(), std::optional<bool>(false));
}

TEST_F(DbusService, CheckerAndApprovalEventsBecomeClientSignalsOnBothInterfaces) {
  ClientData d = client_data("foo");
  d.approval_delay = 10s;
  d.approved_by_default = false;
  Client& c = registry.add_client(std::move(d));
  transport.signals.clear();
  registry.start_checker(c);
  launcher.exit_with(launcher.only_pid(), 3);
  std::vector<std::string> members;
  for (const Sent& s : transport.signals) {
    if (s.interface == "se.bsnet.fukt.Mandos.Client") members.push_back(s.member);
  }
  EXPECT_EQ(members,
            (std::vector<std::string>{"PropertyChanged", "CheckerStarted", "PropertyChanged",
                                      "PropertyChanged", "CheckerCompleted"}));
  const Sent& completed = transport.signals.back();
  EXPECT_EQ(completed.member, "CheckerCompleted");
  EXPECT_EQ(completed.args, (std::vector<Value>{Value::int16(3), Value::int64(3 << 8),
                                                Value::string("fping -q -- %(host)s")}));
  transport.signals.clear();
  registry.begin_request(c.data().key_id, "::1", [](SecretReply) {});
  bool need = false;
  for (const Sent& s : transport.signals) {
    if (s.member == "NeedApproval" && s.interface == "se.recompile.Mandos.Client") {
      need = true;
      EXPECT_EQ(s.args, (std::vector<Value>{Value::uint64(10000), Value::boolean(false)}));
    }
  }
  EXPECT_TRUE(need);
  transport.signals.clear();
  call("/clients/foo", "se.recompile.Mandos.Client", "Approve", {Value::boolean(false)});
  ASSERT_FALSE(transport.signals.empty());
  bool rejected = false;
  for (const Sent& s : transport.signals) {
    if (s.member == "Rejected") {
      rejected = true;
      EXPECT_EQ(s.args, std::vector<Value>{Value::string("Denied")});
    }
  }
  EXPECT_TRUE(rejected);
}

TEST_F(DbusService, UnknownKeyIdSignalsClientNotFoundOnBothServerInterfaces) {
  registry.add_client(client_data("foo"));
  transport.signals.clear();
  registry.begin_request(std::string(64, 'F'), "::ffff:127.0.0.1", [](SecretReply) {});
  ASSERT_EQ(transport.signal_texts(),
            (std::vector<std::string>{"/ se.recompile.Mandos.ClientNotFound",
                                      "/ se.bsnet.fukt.Mandos.ClientNotFound"}));
  EXPECT_EQ(transport.signals[0].args, (std::vector<Value>{Value::string(std::string(64, 'F')),
                                                           Value::string("::ffff:127.0.0.1")}));
}

TEST_F(DbusService, RemoveClientUnexportsAndSignalsRemoval) {
  registry.add_client(client_data("foo.x"));
  registry.add_client(client_data("bar", 'B'));
  transport.signals.clear();
  call("/", "se.recompile.Mandos", "RemoveClient", {Value::object_path("/clients/foo_x")});
  EXPECT_EQ(registry.find("foo.x"), nullptr);
  ASSERT_EQ(transport.signal_texts(),
            (std::vector<std::string>{"/ org.freedesktop.DBus.ObjectManager.InterfacesRemoved",
                                      "/ se.recompile.Mandos.ClientRemoved",
                                      "/ se.bsnet.fukt.Mandos.ClientRemoved"}));
  EXPECT_EQ(transport.signals[0].args.at(1),
            Value::array("s", {Value::string("se.recompile.Mandos.Client"),
                               Value::string("se.bsnet.fukt.Mandos.Client"),
                               Value::string("org.freedesktop.DBus.Properties"),
                               Value::string("org.freedesktop.DBus.Introspectable")}));
  EXPECT_EQ(transport.signals[1].args,
            (std::vector<Value>{Value::object_path("/clients/foo_x"), Value::string("foo.x")}));
  auto gone = call_error("/clients/foo_x", "org.freedesktop.DBus.Properties", "GetAll",
                         {Value::string("")});
  EXPECT_EQ(gone.name, "org.freedesktop.DBus.Error.UnknownObject");
  auto again = call_error("/", "se.recompile.Mandos", "RemoveClient",
                          {Value::object_path("/clients/foo_x")});
  EXPECT_EQ(again.name, "org.freedesktop.DBus.Python.KeyError");
  EXPECT_NE(again.message.find("/clients/foo_x"), std::string::npos);
}

TEST_F(DbusService, RemoveAllSignalsEveryClientAndThenStaysQuiet) {
  Client& foo = registry.add_client(client_data("foo"));
  registry.add_client(client_data("bar", 'B'));
  transport.signals.clear();
  service.remove_all();
  EXPECT_EQ(transport.signal_texts(),
            (std::vector<std::string>{
                "/ org.freedesktop.DBus.ObjectManager.InterfacesRemoved",
                "/ se.recompile.Mandos.ClientRemoved", "/ se.bsnet.fukt.Mandos.ClientRemoved",
                "/ org.freedesktop.DBus.ObjectManager.InterfacesRemoved",
                "/ se.recompile.Mandos.ClientRemoved", "/ se.bsnet.fukt.Mandos.ClientRemoved"}));
  transport.signals.clear();
  registry.set_host(foo, "elsewhere");
  EXPECT_TRUE(transport.signals.empty());
  auto closed = call_error("/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
  EXPECT_EQ(closed.name, "org.freedesktop.DBus.Error.Failed");
}

TEST_F(DbusService, ConstPropertiesNeverSignal) {
  Client& c = registry.add_client(client_data("foo"));
  transport.signals.clear();
  service.property_changed(c, Property::Name);
  service.property_changed(c, Property::ObjectPath);
  EXPECT_TRUE(transport.signals.empty());
}

TEST_F(DbusService, BadPathsMethodsAndSignaturesGiveClearErrors) {
  registry.add_client(client_data("foo"));
  auto object =
      call_error("/clients/nope", "org.freedesktop.DBus.Properties", "GetAll", {Value::string("")});
  EXPECT_EQ(object.name, "org.freedesktop.DBus.Error.UnknownObject");
  EXPECT_NE(object.message.find("/clients/nope"), std::string::npos);
  auto method = call_error("/clients/foo", "se.recompile.Mandos.Client", "Explode");
  EXPECT_EQ(method.name, "org.freedesktop.DBus.Error.UnknownMethod");
  auto interface =
      call_error("/clients/foo", "no.such.Interface", "Approve", {Value::boolean(true)});
  EXPECT_EQ(interface.name, "org.freedesktop.DBus.Error.UnknownInterface");
  auto signature =
      call_error("/clients/foo", "se.recompile.Mandos.Client", "Approve", {Value::int32(1)});
  EXPECT_EQ(signature.name, "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_NE(signature.message.find("'b', got 'i'"), std::string::npos) << signature.message;
  auto server_props =
      call_error("/", "org.freedesktop.DBus.Properties", "GetAll", {Value::string("")});
  EXPECT_EQ(server_props.name, "org.freedesktop.DBus.Error.UnknownInterface");
}

TEST_F(DbusService, CallsWithoutAnInterfaceFindTheMethod) {
  Client& c = registry.add_client(client_data("foo"));
  call("/clients/foo", "", "Approve", {Value::boolean(true)});
  EXPECT_EQ(c.approved(), std::optional<bool>(true));
  auto r = call("/", "", "GetManagedObjects");
  EXPECT_EQ(r.size(), 1u);
}

TEST_F(DbusService, IntrospectionListsChildrenAndAnnotations) {
  registry.add_client(client_data("foo.a"));
  auto root = call("/", "org.freedesktop.DBus.Introspectable", "Introspect");
  ASSERT_EQ(root.size(), 1u);
  EXPECT_NE(root[0].as_string().find("<node name=\"clients\"/>"), std::string::npos);
  auto parent = call("/clients", "org.freedesktop.DBus.Introspectable", "Introspect");
  ASSERT_EQ(parent.size(), 1u);
  EXPECT_NE(parent[0].as_string().find("<node name=\"foo_a\"/>"), std::string::npos);
  auto client = call("/clients/foo_a", "org.freedesktop.DBus.Introspectable", "Introspect");
  ASSERT_EQ(client.size(), 1u);
  EXPECT_NE(client[0].as_string().find(
                "name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"invalidates\""),
            std::string::npos);
}

TEST_F(DbusService, NoReplyIsSentWhenNoneIsWanted) {
  Client& c = registry.add_client(client_data("foo"));
  IncomingCall call = make("/clients/foo", "se.recompile.Mandos.Client", "Disable", {});
  call.token = 0;
  service.handle(call);
  EXPECT_FALSE(c.enabled());
  EXPECT_TRUE(transport.replies.empty());
  EXPECT_TRUE(transport.errors.empty());
}

}  // namespace
}  // namespace mandos::server::dbus
