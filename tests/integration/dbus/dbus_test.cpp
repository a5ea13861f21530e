// The D-Bus API of the real mandos server (dbus-api.md), driven with busctl
// and gdbus on a private system bus, signals watched with busctl monitor.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "dbus_harness.hpp"
#include "mandos/timestamp.hpp"

namespace mandos::test::dbus {
namespace {

using nlohmann::json;

const std::string kSecret = "the disk password\n";
const std::string kSecretBase64 = "dGhlIGRpc2sgcGFzc3dvcmQK";
const char* kClient = "se.recompile.Mandos.Client";
const char* kProperties = "org.freedesktop.DBus.Properties";
const char* kEnabledFalse = "{\"Enabled\":{\"type\":\"b\",\"data\":false}}";

class DbusApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tools_available()) GTEST_SKIP() << "*** SKIPPED: needs dbus-daemon, busctl and gdbus";
    bus = std::make_unique<PrivateBus>(dir.path());
    server = std::make_unique<ServerUnderTest>(dir.path(), *bus);
    foo = server->make_keys("foo");
    bar = server->make_keys("bar");
  }
  void TearDown() override {
    server.reset();
    monitor.reset();
    bus.reset();
  }

  static std::string section(const std::string& name, const client::KeyFiles& keys,
                             const std::string& extra = "", const std::string& checker = "true") {
    return "[" + name + "]\nkey_id = " + keys.key_id + "\nsecret = " + kSecretBase64 +
           "\nchecker = " + checker + "\n" + extra + "\n";
  }
  void write_two_clients(const std::string& foo_extra = "") {
    server->write_clients(section("foo", foo, foo_extra) + section("bar.example", bar));
  }
  void watch() { monitor = std::make_unique<SignalMonitor>(*bus, dir.path()); }

  // busctl --json=short; fails the test on errors.
  json busctl_json(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"--json=short"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = bus->busctl(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0 || r.out.empty()) return json();  // methods without results print nothing
    return json::parse(r.out);
  }
  json call(const std::string& path, const std::string& interface, const std::string& member,
            const std::vector<std::string>& typed_args = {}) {
    std::vector<std::string> args = {"call", kBusName, path, interface, member};
    args.insert(args.end(), typed_args.begin(), typed_args.end());
    return busctl_json(args);
  }
  json get(const std::string& name, const std::string& property) {
    return busctl_json({"get-property", kBusName, client_path(name), kClient, property});
  }
  void set(const std::string& name, const std::string& property,
           const std::vector<std::string>& typed_value) {
    std::vector<std::string> args = {"set-property", kBusName, client_path(name), kClient,
                                     property};
    args.insert(args.end(), typed_value.begin(), typed_value.end());
    auto r = bus->busctl(args);
    EXPECT_EQ(r.exit_code, 0) << property << ": " << r.err;
  }
  // gdbus call expected to fail; returns its error text ("GDBus.Error:NAME: message").
  std::string gdbus_error(const std::string& path, const std::string& method,
                          const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"--dest", kBusName, "--object-path", path, "--method", method};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = bus->gdbus("call", argv);
    EXPECT_NE(r.exit_code, 0) << method << " succeeded: " << r.out;
    return r.err;
  }
  static WallTime timestamp(const json& value) {
    auto parsed = parse_timestamp(value["data"].get<std::string>());
    EXPECT_TRUE(parsed) << value.dump();
    return parsed ? *parsed : WallTime{};
  }

  TempDir dir{"mandos-dbus-test"};
  std::unique_ptr<PrivateBus> bus;
  std::unique_ptr<ServerUnderTest> server;
  std::unique_ptr<SignalMonitor> monitor;
  client::KeyFiles foo;
  client::KeyFiles bar;
};

TEST_F(DbusApiTest, ClaimsBothNamesAndExportsEveryClientWithFourInterfaces) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  EXPECT_TRUE(bus->name_has_owner(kBusName));
  EXPECT_TRUE(bus->name_has_owner(kLegacyBusName));
  json managed = call("/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
  ASSERT_EQ(managed["type"], "a{oa{sa{sv}}}");
  const json& objects = managed["data"][0];
  ASSERT_EQ(objects.size(), 2u) << objects.dump();
  for (const char* path : {"/clients/foo", "/clients/bar_example"}) {
    ASSERT_TRUE(objects.contains(path)) << objects.dump();
    const json& interfaces = objects[path];
    EXPECT_EQ(interfaces.size(), 4u);
    EXPECT_EQ(interfaces["org.freedesktop.DBus.Properties"], json::object());
    EXPECT_EQ(interfaces["org.freedesktop.DBus.Introspectable"], json::object());
    const json& props = interfaces[kClient];
    EXPECT_EQ(props, interfaces["se.bsnet.fukt.Mandos.Client"]);
    EXPECT_EQ(props.size(), 21u);
    EXPECT_FALSE(props.contains("Secret"));
    EXPECT_EQ(props["Timeout"]["type"], "t");
    EXPECT_EQ(props["Timeout"]["data"], 300000);
    EXPECT_EQ(props["Interval"]["data"], 120000);
    EXPECT_EQ(props["ExtendedTimeout"]["data"], 900000);
    EXPECT_EQ(props["LastCheckerStatus"]["type"], "n");
    EXPECT_EQ(props["ObjectPath"]["type"], "o");
    EXPECT_EQ(props["ObjectPath"]["data"], path);
    EXPECT_EQ(props["Enabled"]["data"], true);
    EXPECT_EQ(props["LastCheckedOK"]["data"], "");
    EXPECT_EQ(props["ApprovalPending"]["type"], "b");
  }
  EXPECT_EQ(objects["/clients/foo"][kClient]["KeyID"]["data"], foo.key_id);
  EXPECT_EQ(objects["/clients/bar_example"][kClient]["Name"]["data"], "bar.example");
  // Listings follow clients.conf order, not sorted.
  json all = call("/", "se.recompile.Mandos", "GetAllClients");
  EXPECT_EQ(all["data"][0], json({"/clients/foo", "/clients/bar_example"}));
  json with = call("/", "se.bsnet.fukt.Mandos", "GetAllClientsWithProperties");
  EXPECT_EQ(with["type"], "a{oa{sv}}");
  EXPECT_EQ(with["data"][0]["/clients/bar_example"]["Host"]["data"], "");
}

TEST_F(DbusApiTest, StartAndShutdownAnnounceEveryClient) {
  write_two_clients();
  watch();
  ASSERT_NO_FATAL_FAILURE(server->start());
  ASSERT_TRUE(monitor->wait_for("se.bsnet.fukt.Mandos.ClientAdded", 2)) << monitor->text();
  auto added = monitor->lines("ObjectManager.InterfacesAdded");
  ASSERT_EQ(added.size(), 2u) << monitor->text();
  EXPECT_NE(added[0].find("InterfacesAdded [\"/clients/foo\",{"), std::string::npos) << added[0];
  EXPECT_NE(added[0].find("\"se.bsnet.fukt.Mandos.Client\":{\"ApprovalDelay\""), std::string::npos);
  EXPECT_NE(added[0].find("\"org.freedesktop.DBus.Introspectable\":{}"), std::string::npos)
      << added[0];
  EXPECT_NE(added[1].find("[\"/clients/bar_example\""), std::string::npos);
  // InterfacesAdded comes before ClientAdded.
  const std::string text = monitor->text();
  EXPECT_LT(text.find("InterfacesAdded [\"/clients/foo\""),
            text.find("se.recompile.Mandos.ClientAdded [\"/clients/foo\"]"));
  RunResult stopped = server->stop(SIGTERM);
  EXPECT_TRUE(stopped.exited && stopped.exit_code == 0) << server->process().stderr_text();
  ASSERT_TRUE(monitor->wait_for("se.bsnet.fukt.Mandos.ClientRemoved", 2)) << monitor->text();
  auto removed = monitor->lines("ObjectManager.InterfacesRemoved");
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_NE(removed[0].find("[\"/clients/foo\",[\"se.recompile.Mandos.Client\","
                            "\"se.bsnet.fukt.Mandos.Client\",\"org.freedesktop.DBus.Properties\","
                            "\"org.freedesktop.DBus.Introspectable\"]]"),
            std::string::npos)
      << removed[0];
  EXPECT_EQ(monitor->count(
                "se.recompile.Mandos.ClientRemoved [\"/clients/bar_example\",\"bar.example\"]"),
            1u);
}

TEST_F(DbusApiTest, IntrospectionCarriesTheReferenceAnnotations) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  auto client =
      bus->gdbus("introspect", {"--dest", kBusName, "--object-path", "/clients/foo", "--xml"});
  ASSERT_EQ(client.exit_code, 0) << client.err;
  const std::string& xml = client.out;
  EXPECT_NE(xml.find("<property name=\"Secret\" type=\"ay\" access=\"write\">"), std::string::npos);
  EXPECT_NE(xml.find("value=\"invalidates\""), std::string::npos);
  EXPECT_NE(xml.find("<property name=\"KeyID\" type=\"s\" access=\"read\">"), std::string::npos);
  EXPECT_NE(xml.find("name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\""),
            std::string::npos);
  EXPECT_NE(xml.find("name=\"org.freedesktop.DBus.Deprecated\" value=\"true\""), std::string::npos);
  EXPECT_NE(xml.find("<interface name=\"se.bsnet.fukt.Mandos.Client\">"), std::string::npos);
  EXPECT_NE(xml.find("name=\"props\""), std::string::npos);
  auto root = bus->gdbus("introspect", {"--dest", kBusName, "--object-path", "/", "--xml"});
  ASSERT_EQ(root.exit_code, 0) << root.err;
  EXPECT_NE(root.out.find("org.freedesktop.DBus.ObjectManager"), std::string::npos);
  EXPECT_NE(root.out.find("name=\"objpath_interfaces_and_properties\""), std::string::npos);
  EXPECT_NE(root.out.find("<node name=\"clients\"/>"), std::string::npos);
  // The whole tree can be walked.
  auto tree = bus->busctl({"tree", kBusName});
  ASSERT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_NE(tree.out.find("/clients/bar_example"), std::string::npos) << tree.out;
}

TEST_F(DbusApiTest, DisablingAndEnablingSignalOncePerRealChange) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  watch();
  set("foo", "Enabled", {"b", "false"});
  EXPECT_EQ(get("foo", "Enabled")["data"], false);
  EXPECT_EQ(get("foo", "Expires")["data"], "");
  set("foo", "Enabled", {"b", "false"});  // no change: no signal
  ASSERT_TRUE(monitor->wait_for(kEnabledFalse));
  set("foo", "Enabled", {"b", "true"});
  EXPECT_EQ(get("foo", "Enabled")["data"], true);
  ASSERT_TRUE(monitor->wait_for("{\"Enabled\":{\"type\":\"b\",\"data\":true}}"));
  EXPECT_EQ(monitor->count("PropertiesChanged [\"se.recompile.Mandos.Client\"," +
                           std::string(kEnabledFalse) + ",[]]"),
            1u)
      << monitor->text();
  EXPECT_EQ(monitor->count("se.recompile.Mandos.Client.PropertyChanged "
                           "[\"Enabled\",{\"type\":\"b\",\"data\":false}]"),
            1u);
  EXPECT_EQ(monitor->count("se.bsnet.fukt.Mandos.Client.PropertyChanged "
                           "[\"Enabled\",{\"type\":\"b\",\"data\":false}]"),
            1u);
  EXPECT_EQ(monitor->count("{\"LastEnabled\":{\"type\":\"s\""), 1u);
  // The deprecated methods do the same.
  call("/clients/foo", "se.bsnet.fukt.Mandos.Client", "Disable");
  EXPECT_EQ(get("foo", "Enabled")["data"], false);
  call("/clients/foo", kClient, "Enable");
  EXPECT_EQ(get("foo", "Enabled")["data"], true);
}

TEST_F(DbusApiTest, DurationPropertiesTakeInt32AndUint64Milliseconds) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  std::uint64_t value = 61000;
  for (const char* property :
       {"Timeout", "Interval", "ApprovalDelay", "ApprovalDuration", "ExtendedTimeout"}) {
    set("foo", property, {"i", std::to_string(value)});  // as dbus-python sends it
    json got = get("foo", property);
    EXPECT_EQ(got["type"], "t");
    EXPECT_EQ(got["data"], value) << property;
    set("foo", property, {"t", std::to_string(value + 1)});  // as pydbus sends it
    EXPECT_EQ(get("foo", property)["data"], value + 1) << property;
    value += 1000;
  }
  set("foo", "Host", {"s", "foo.example.org"});
  EXPECT_EQ(get("foo", "Host")["data"], "foo.example.org");
  set("foo", "Checker", {"s", "test -n %%(host)s"});
  EXPECT_EQ(get("foo", "Checker")["data"], "test -n %%(host)s");
  set("foo", "ApprovedByDefault", {"b", "false"});
  EXPECT_EQ(get("foo", "ApprovedByDefault")["data"], false);
  // A value beyond int32 (about 24.8 days) only works as uint64.
  set("foo", "Timeout", {"t", "2592000000"});
  EXPECT_EQ(get("foo", "Timeout")["data"], 2592000000u);
}

TEST_F(DbusApiTest, SettingLastCheckedOkBumpsTheExpiry) {
  write_two_clients("timeout = PT1H\ninterval = PT1H");
  ASSERT_NO_FATAL_FAILURE(server->start());
  EXPECT_EQ(get("foo", "LastCheckedOK")["data"], "");
  set("foo", "LastCheckedOK", {"s", ""});  // mandos-ctl --bump-timeout
  // One GetAll: both values from the same moment (a checker run in between
  // would set both the same way).
  json props = call("/clients/foo", kProperties, "GetAll", {"s", kClient})["data"][0];
  const json& checked = props["LastCheckedOK"];
  ASSERT_NE(checked["data"], "");
  const json& expires = props["Expires"];
  // Two readings of the clock, microseconds apart.
  const auto difference = timestamp(expires) - timestamp(checked);
  EXPECT_GE(difference, std::chrono::hours(1)) << checked.dump() << " " << expires.dump();
  EXPECT_LT(difference, std::chrono::hours(1) + std::chrono::seconds(1));
  EXPECT_EQ(get("foo", "LastCheckerStatus")["data"], 0);
  // The CheckedOK method does the same.
  call("/clients/bar_example", kClient, "CheckedOK");
  EXPECT_NE(get("bar.example", "LastCheckedOK")["data"], "");
}

// Checker tests use a disabled client: no scheduled checker interferes, and
// StartChecker / CheckerRunning start one anyway (server.md §5).
TEST_F(DbusApiTest, CheckerRunningStartsAndStopsAChecker) {
  server->write_clients(section("foo", foo, "enabled = False", "sleep 60"));
  ASSERT_NO_FATAL_FAILURE(server->start());
  watch();
  set("foo", "CheckerRunning", {"b", "true"});
  ASSERT_TRUE(monitor->wait_for("se.recompile.Mandos.Client.CheckerStarted [\"sleep 60\"]"))
      << monitor->text();
  EXPECT_EQ(monitor->count("se.bsnet.fukt.Mandos.Client.CheckerStarted [\"sleep 60\"]"), 1u);
  EXPECT_EQ(get("foo", "CheckerRunning")["data"], true);
  set("foo", "CheckerRunning", {"b", "false"});
  EXPECT_EQ(get("foo", "CheckerRunning")["data"], false);
  ASSERT_TRUE(monitor->wait_for("{\"CheckerRunning\":{\"type\":\"b\",\"data\":false}}"));
  EXPECT_EQ(monitor->count("{\"CheckerRunning\":{\"type\":\"b\",\"data\":true}}"), 1u);
  // The deprecated methods; the checker that is stopped reports nothing.
  call("/clients/foo", "se.bsnet.fukt.Mandos.Client", "StartChecker");
  EXPECT_TRUE(wait_until([&] { return get("foo", "CheckerRunning")["data"] == true; }, 10s));
  call("/clients/foo", kClient, "StopChecker");
  EXPECT_EQ(get("foo", "CheckerRunning")["data"], false);
}

TEST_F(DbusApiTest, ACompletedCheckerIsSignalled) {
  server->write_clients(section("foo", foo, "enabled = False", "exit 3"));
  ASSERT_NO_FATAL_FAILURE(server->start());
  watch();
  call("/clients/foo", kClient, "StartChecker");
  ASSERT_TRUE(monitor->wait_for("se.bsnet.fukt.Mandos.Client.CheckerCompleted")) << monitor->text();
  EXPECT_EQ(monitor->count("se.recompile.Mandos.Client.CheckerCompleted [3,768,\"exit 3\"]"), 1u)
      << monitor->text();
  EXPECT_EQ(get("foo", "LastCheckerStatus")["data"], 3);
}

TEST_F(DbusApiTest, ASecretSetOverDbusIsWhatTheClientReceives) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  watch();
  set("foo", "Secret", {"ay", "4", "110", "0", "119", "10"});  // "n\0w\n"
  ASSERT_TRUE(
      monitor->wait_for("PropertiesChanged [\"se.recompile.Mandos.Client\",{},[\"Secret\"]]"))
      << monitor->text();
  auto result = server->exchange(foo);
  ASSERT_EQ(result.outcome, client::Outcome::Received) << result.error;
  EXPECT_EQ(result.data.view(), std::string_view("n\0w\n", 4));
  EXPECT_TRUE(monitor->wait_for("/clients/foo: se.recompile.Mandos.Client.GotSecret []"))
      << monitor->text();
  EXPECT_EQ(monitor->count("/clients/foo: se.bsnet.fukt.Mandos.Client.GotSecret []"), 1u);
  // The other client still has its clients.conf secret.
  auto other = server->exchange(bar);
  ASSERT_EQ(other.outcome, client::Outcome::Received) << other.error;
  EXPECT_EQ(other.data.view(), kSecret);
}

class ApprovalTest : public DbusApiTest {
 protected:
  // Starts a client that waits for approval (60 s, default deny).
  void start_waiting_client() {
    server->write_clients(
        section("foo", foo, "approval_delay = PT60S\napproved_by_default = False"));
    ASSERT_NO_FATAL_FAILURE(server->start());
    watch();
    waiting = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{
            MANDOS_FAKE_CLIENT, "--connect=::1:" + std::to_string(server->port()),
            "--tls-pubkey=" + foo.pubkey_path, "--tls-privkey=" + foo.privkey_path, "--timeout=50"},
        dir.path());
    ASSERT_TRUE(monitor->wait_for("se.recompile.Mandos.Client.NeedApproval [60000,false]"))
        << monitor->text() << server->process().stderr_text();
    EXPECT_EQ(get("foo", "ApprovalPending")["data"], true);
    EXPECT_NE(get("foo", "LastApprovalRequest")["data"], "");
  }
  std::unique_ptr<BackgroundProcess> waiting;
};

TEST_F(ApprovalTest, ApproveTrueLetsAWaitingClientGetItsSecret) {
  ASSERT_NO_FATAL_FAILURE(start_waiting_client());
  call("/clients/foo", kClient, "Approve", {"b", "true"});
  RunResult result = waiting->stop(0, 20s);  // 0: just wait for it
  EXPECT_EQ(result.exit_code, 0) << waiting->stderr_text();
  EXPECT_EQ(waiting->stdout_text(), kSecret);
  EXPECT_TRUE(monitor->wait_for("se.recompile.Mandos.Client.GotSecret []"));
  EXPECT_TRUE(monitor->wait_for("{\"ApprovalPending\":{\"type\":\"b\",\"data\":false}}"));
}

TEST_F(ApprovalTest, ApproveFalseRejectsAWaitingClientAsDenied) {
  ASSERT_NO_FATAL_FAILURE(start_waiting_client());
  call("/clients/foo", "se.bsnet.fukt.Mandos.Client", "Approve", {"b", "false"});
  RunResult result = waiting->stop(0, 20s);
  EXPECT_EQ(result.exit_code, 1) << waiting->stderr_text();
  ASSERT_TRUE(monitor->wait_for("se.recompile.Mandos.Client.Rejected [\"Denied\"]"))
      << monitor->text();
  EXPECT_EQ(monitor->count("se.bsnet.fukt.Mandos.Client.Rejected [\"Denied\"]"), 1u);
  EXPECT_EQ(monitor->count("GotSecret"), 0u);
}

TEST_F(DbusApiTest, RemoveClientForgetsTheClientForGood) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  watch();
  call("/", "se.recompile.Mandos", "RemoveClient", {"o", "/clients/bar_example"});
  ASSERT_TRUE(monitor->wait_for("se.bsnet.fukt.Mandos.ClientRemoved")) << monitor->text();
  EXPECT_EQ(monitor->count("InterfacesRemoved [\"/clients/bar_example\","
                           "[\"se.recompile.Mandos.Client\""),
            1u);
  EXPECT_EQ(monitor->count("se.recompile.Mandos.ClientRemoved "
                           "[\"/clients/bar_example\",\"bar.example\"]"),
            1u);
  json all = call("/", "se.recompile.Mandos", "GetAllClients");
  EXPECT_EQ(all["data"][0], json({"/clients/foo"}));
  auto gone = gdbus_error("/clients/bar_example", "org.freedesktop.DBus.Properties.GetAll", {""});
  EXPECT_NE(gone.find("org.freedesktop.DBus.Error.UnknownObject"), std::string::npos) << gone;
  auto again = gdbus_error("/", "se.recompile.Mandos.RemoveClient", {"/clients/bar_example"});
  EXPECT_NE(again.find("org.freedesktop.DBus.Python.KeyError"), std::string::npos) << again;
  // Its key is unknown now.
  auto refused = server->exchange(bar);
  EXPECT_EQ(refused.outcome, client::Outcome::Refused) << refused.error;
  EXPECT_TRUE(monitor->wait_for("ClientNotFound [\"" + bar.key_id + "\",\"::1\"]"))
      << monitor->text();
  // Not re-created from clients.conf at the next start (server.md §9 rule 6).
  server->stop(SIGTERM);
  ASSERT_NO_FATAL_FAILURE(server->start());
  all = call("/", "se.recompile.Mandos", "GetAllClients");
  EXPECT_EQ(all["data"][0], json({"/clients/foo"}));
}

TEST_F(DbusApiTest, BadValuesAndCallsGiveErrorsAndChangeNothing) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  const std::string path = "/clients/foo";
  const std::string set = std::string(kProperties) + ".Set";
  const std::string get_method = std::string(kProperties) + ".Get";
  auto text = gdbus_error(path, set, {kClient, "Timeout", "<'five minutes'>"});
  EXPECT_NE(text.find("org.freedesktop.DBus.Error.InvalidArgs"), std::string::npos) << text;
  EXPECT_NE(text.find("Timeout must be a non-negative integer"), std::string::npos) << text;
  auto negative = gdbus_error(path, set, {kClient, "Interval", "<int32 -5>"});
  EXPECT_NE(negative.find("int32 -5"), std::string::npos) << negative;
  auto wrong_bool = gdbus_error(path, set, {kClient, "Enabled", "<'no'>"});
  EXPECT_NE(wrong_bool.find("must be a boolean"), std::string::npos) << wrong_bool;
  auto secret = gdbus_error(path, get_method, {kClient, "Secret"});
  EXPECT_NE(secret.find("org.freedesktop.DBus.Python.DBusPropertyAccessException"),
            std::string::npos)
      << secret;
  auto read_only = gdbus_error(path, set, {kClient, "Name", "<'bar'>"});
  EXPECT_NE(read_only.find("DBusPropertyAccessException: Property Name is read-only"),
            std::string::npos)
      << read_only;
  auto unknown = gdbus_error(path, get_method, {kClient, "Colour"});
  EXPECT_NE(unknown.find("org.freedesktop.DBus.Python.DBusPropertyNotFound"), std::string::npos)
      << unknown;
  auto object = gdbus_error("/clients/nobody", get_method, {kClient, "Name"});
  EXPECT_NE(object.find("org.freedesktop.DBus.Error.UnknownObject"), std::string::npos) << object;
  auto method = gdbus_error(path, "se.recompile.Mandos.Client.Explode", {});
  EXPECT_NE(method.find("org.freedesktop.DBus.Error.UnknownMethod"), std::string::npos) << method;
  auto signature = bus->busctl({"call", kBusName, path, kClient, "Approve", "s", "yes"});
  EXPECT_NE(signature.exit_code, 0);
  EXPECT_NE(signature.err.find("takes arguments of type 'b', got 's'"), std::string::npos)
      << signature.err;
  // Nothing changed.
  EXPECT_EQ(get("foo", "Timeout")["data"], 300000);
  EXPECT_EQ(get("foo", "Interval")["data"], 120000);
  EXPECT_EQ(get("foo", "Enabled")["data"], true);
  EXPECT_EQ(get("foo", "Name")["data"], "foo");
  EXPECT_TRUE(server->running());
}

TEST_F(DbusApiTest, AnUnknownKeyIsSignalledAsClientNotFound) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  watch();
  auto stranger = server->make_keys("stranger");
  auto result = server->exchange(stranger);
  EXPECT_EQ(result.outcome, client::Outcome::Refused) << result.error;
  ASSERT_TRUE(monitor->wait_for("se.bsnet.fukt.Mandos.ClientNotFound")) << monitor->text();
  EXPECT_EQ(
      monitor->count("/: se.recompile.Mandos.ClientNotFound [\"" + stranger.key_id + "\",\"::1\"]"),
      1u)
      << monitor->text();
}

TEST_F(DbusApiTest, GetAllAndSetWorkOnTheLegacyInterfaceToo) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  json current = call("/clients/foo", kProperties, "GetAll", {"s", kClient});
  json legacy = call("/clients/foo", kProperties, "GetAll", {"s", "se.bsnet.fukt.Mandos.Client"});
  json everything = call("/clients/foo", kProperties, "GetAll", {"s", ""});
  EXPECT_EQ(current["data"][0].size(), 21u);
  EXPECT_EQ(current["data"][0]["Name"], legacy["data"][0]["Name"]);
  EXPECT_EQ(everything["data"][0].size(), 21u);
  json none = call("/clients/foo", kProperties, "GetAll", {"s", "org.freedesktop.DBus.Properties"});
  EXPECT_EQ(none["data"][0], json::object());
  auto r = bus->busctl({"set-property", kBusName, "/clients/foo", "se.bsnet.fukt.Mandos.Client",
                        "Host", "s", "legacy.example"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(get("foo", "Host")["data"], "legacy.example");
}

TEST_F(DbusApiTest, ATakenBusNameDisablesDbusButTheServerRuns) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start());
  const std::string second_dir = dir.file("second");
  ::mkdir(second_dir.c_str(), 0755);
  ServerUnderTest second(second_dir, *bus);
  auto keys = second.make_keys("solo");
  second.write_clients(section("solo", keys));
  ASSERT_NO_FATAL_FAILURE(second.start({}, /*expect_bus=*/false));
  EXPECT_TRUE(
      second.process().wait_for_stderr("Disabling D-Bus: cannot claim the bus name "
                                       "se.recompile.Mandos",
                                       5s))
      << second.process().stderr_text();
  auto result = second.exchange(keys);
  EXPECT_EQ(result.outcome, client::Outcome::Received) << result.error;
  // The first server still owns the names and serves its own clients.
  json all = call("/", "se.recompile.Mandos", "GetAllClients");
  EXPECT_EQ(all["data"][0].size(), 2u);
}

TEST_F(DbusApiTest, AnUnreachableBusDisablesDbusButTheServerRuns) {
  write_two_clients();
  RunOptions options;
  options.env_add = {"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + dir.file("no-such-socket")};
  BackgroundProcess lonely(server->command({}), dir.path(), options);
  ASSERT_TRUE(lonely.wait_for_stderr("Now listening on", 15s)) << lonely.stderr_text();
  EXPECT_NE(lonely.stderr_text().find("Disabling D-Bus: cannot connect to the system bus"),
            std::string::npos)
      << lonely.stderr_text();
  auto result = server->exchange(foo);
  EXPECT_EQ(result.outcome, client::Outcome::Received) << result.error;
  RunResult stopped = lonely.stop(SIGTERM, 15s);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
}

TEST_F(DbusApiTest, NoDbusClaimsNothing) {
  write_two_clients();
  ASSERT_NO_FATAL_FAILURE(server->start({"--no-dbus"}));
  EXPECT_FALSE(bus->name_has_owner(kBusName));
  EXPECT_FALSE(bus->name_has_owner(kLegacyBusName));
  auto result = server->exchange(foo);
  EXPECT_EQ(result.outcome, client::Outcome::Received) << result.error;
}

TEST_F(DbusApiTest, ClientNamesThatCollideAsObjectPathsStopTheStart) {
  server->write_clients(section("a.b", foo) + section("a-b", bar));
  RunOptions options;
  options.env_add = {bus->env()};
  options.timeout = 30s;
  RunResult result = run(server->command({}), options);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("clients \"a.b\" and \"a-b\" both map to the D-Bus object path "
                            "/clients/a_b"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(bus->name_has_owner(kBusName));
  // Without D-Bus the same clients are fine.
  ASSERT_NO_FATAL_FAILURE(server->start({"--no-dbus"}));
}

// systemd/mandos-dbus-policy.conf on a bus with the system bus defaults.
TEST(DbusPolicy, OnlyRootAndTheMandosGroupMayUseTheBusNames) {
  if (!tools_available() || ::geteuid() != 0 || ::getpwnam("_mandos") == nullptr) {
    GTEST_SKIP() << "*** SKIPPED: needs root, the _mandos user and the D-Bus tools";
  }
  TempDir dir("mandos-dbus-policy");
  PrivateBus bus(dir.path(), source_path("systemd/mandos-dbus-policy.conf"));
  ServerUnderTest server(dir.path(), bus);
  auto keys = server.make_keys("foo");
  server.write_clients("[foo]\nkey_id = " + keys.key_id + "\nsecret = " + kSecretBase64 + "\n");
  ASSERT_NO_FATAL_FAILURE(server.start());  // as _mandos: may own both names
  EXPECT_TRUE(bus.name_has_owner(kLegacyBusName));
  EXPECT_EQ(server.process().stderr_text().find("Disabling D-Bus"), std::string::npos);
  auto as_root = bus.busctl({"call", kBusName, "/", "se.recompile.Mandos", "GetAllClients"});
  EXPECT_EQ(as_root.exit_code, 0) << as_root.err;
  RunOptions nobody;
  nobody.run_as = UserIds{65534, 65534};
  nobody.timeout = 30s;
  for (const char* name : {kBusName, kLegacyBusName}) {
    auto refused = run({"/usr/bin/busctl", "--address=" + bus.address(), "call", name, "/",
                        "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"},
                       nobody);
    EXPECT_NE(refused.exit_code, 0) << name;
    EXPECT_NE(refused.err.find("ccess denied"), std::string::npos) << name << ": " << refused.err;
  }
}

}  // namespace
}  // namespace mandos::test::dbus
