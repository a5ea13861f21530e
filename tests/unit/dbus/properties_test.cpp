#include "dbus/properties.hpp"

#include <gtest/gtest.h>

#include "common/ipc.hpp"
#include "dbus_fixture.hpp"

namespace mandos::server::dbus {
namespace {

using namespace test;

class DbusProperties : public ::testing::Test, protected RegistryFixture {
 protected:
  Client& add(const std::string& name) { return registry.add_client(client_data(name)); }
  Value get(const Client& c, const char* name) {
    return property_value(c, find_property(name)->property);
  }
  std::optional<CallError> set(Client& c, const char* name, Value v) {
    return set_property(registry, c, *find_property(name), v);
  }
};

TEST_F(DbusProperties, TableIsInTheReferenceOrder) {
  std::vector<std::string> names;
  for (const auto& p : client_properties()) names.emplace_back(p.name);
  const std::vector<std::string> expected = {"ApprovalDelay",
                                             "ApprovalDuration",
                                             "ApprovalPending",
                                             "ApprovedByDefault",
                                             "CheckerRunning",
                                             "Checker",
                                             "Created",
                                             "Enabled",
                                             "Expires",
                                             "ExtendedTimeout",
                                             "Fingerprint",
                                             "Host",
                                             "Interval",
                                             "KeyID",
                                             "LastApprovalRequest",
                                             "LastCheckedOK",
                                             "LastCheckerStatus",
                                             "LastEnabled",
                                             "Name",
                                             "ObjectPath",
                                             "Secret",
                                             "Timeout"};
  EXPECT_EQ(names, expected);
}

TEST_F(DbusProperties, DurationsAreMillisecondsAsUint64) {
  Client& c = add("foo");
  EXPECT_EQ(get(c, "Timeout"), Value::uint64(300000));
  EXPECT_EQ(get(c, "Interval"), Value::uint64(120000));
  EXPECT_EQ(get(c, "ExtendedTimeout"), Value::uint64(900000));
  EXPECT_EQ(get(c, "ApprovalDelay"), Value::uint64(0));
  EXPECT_EQ(get(c, "ApprovalDuration"), Value::uint64(1000));
}

TEST_F(DbusProperties, TimestampsAreNaiveIsoformatAndEmptyWhenUnset) {
  Client& c = add("foo");
  EXPECT_EQ(get(c, "Created"), Value::string("2023-11-14T22:13:20.123456"));
  EXPECT_EQ(get(c, "LastCheckedOK"), Value::string(""));
  EXPECT_EQ(get(c, "LastEnabled"), Value::string(""));
  EXPECT_EQ(get(c, "Expires"), Value::string(""));
  registry.checked_ok(c);
  // The fake clock starts at a whole second: no fraction then.
  EXPECT_EQ(get(c, "LastCheckedOK"), Value::string("2023-11-14T22:13:20"));
}

TEST_F(DbusProperties, OtherReadablesHaveTheirTypes) {
  Client& c = add("foo.bar-1");
  EXPECT_EQ(get(c, "LastCheckerStatus"), Value::int16(-2));
  EXPECT_EQ(get(c, "ObjectPath"), Value::object_path("/clients/foo_bar_1"));
  EXPECT_EQ(get(c, "Name"), Value::string("foo.bar-1"));
  EXPECT_EQ(get(c, "KeyID"), Value::string(std::string(64, 'A')));
  EXPECT_EQ(get(c, "Enabled"), Value::boolean(true));
  EXPECT_EQ(get(c, "CheckerRunning"), Value::boolean(false));
  EXPECT_EQ(get(c, "Checker"), Value::string("fping -q -- %%(host)s"));
}

TEST_F(DbusProperties, GetAllOmitsTheSecretAndKeepsTableOrder) {
  Client& c = add("foo");
  Value all = all_properties(c);
  EXPECT_EQ(all.signature(), "a{sv}");
  ASSERT_EQ(all.children().size(), client_properties().size() - 1);
  EXPECT_EQ(all.children().front().children().at(0), Value::string("ApprovalDelay"));
  EXPECT_EQ(all.children().back().children().at(0), Value::string("Timeout"));
  for (const Value& entry : all.children()) {
    EXPECT_NE(entry.children().at(0), Value::string("Secret"));
    EXPECT_EQ(entry.children().at(1).kind(), Kind::Variant);
  }
}

TEST_F(DbusProperties, DurationSetsAcceptEveryIntegerType) {
  Client& c = add("foo");
  for (const Value& v :
       {Value::int32(60000), Value::uint64(60000), Value::int64(60000), Value::uint32(60000)}) {
    registry.set_timeout(c, 1s);
    EXPECT_FALSE(set(c, "Timeout", v)) << describe(v);
    EXPECT_EQ(c.data().timeout, 60s) << describe(v);
  }
  EXPECT_FALSE(set(c, "Interval", Value::int16(500)));
  EXPECT_EQ(c.data().interval, 500ms);
  EXPECT_FALSE(set(c, "ApprovalDelay", Value::byte(3)));
  EXPECT_EQ(c.data().approval_delay, 3ms);
}

TEST_F(DbusProperties, BadDurationsAreRefusedAndChangeNothing) {
  Client& c = add("foo");
  auto negative = set(c, "Timeout", Value::int32(-5));
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->name, "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_NE(negative->message.find("Timeout"), std::string::npos) << negative->message;
  EXPECT_NE(negative->message.find("int32 -5"), std::string::npos) << negative->message;
  EXPECT_NE(negative->message.find("nothing was changed"), std::string::npos);
  auto text = set(c, "Interval", Value::string("5m"));
  ASSERT_TRUE(text);
  EXPECT_NE(text->message.find("non-negative integer (milliseconds), got string"),
            std::string::npos)
      << text->message;
  auto huge = set(c, "ExtendedTimeout", Value::uint64(UINT64_MAX));
  ASSERT_TRUE(huge);
  auto too_big_for_micros = set(c, "ExtendedTimeout", Value::int64(INT64_MAX / 10));
  ASSERT_TRUE(too_big_for_micros);
  EXPECT_EQ(c.data().timeout, 5min);
  EXPECT_EQ(c.data().interval, 2min);
  EXPECT_EQ(c.data().extended_timeout, 15min);
}

TEST_F(DbusProperties, ReadOnlyPropertiesRefuseSetsWithTheAccessError) {
  Client& c = add("foo");
  for (const char* name :
       {"Name", "KeyID", "Fingerprint", "Created", "ObjectPath", "Expires", "LastEnabled",
        "ApprovalPending", "LastCheckerStatus", "LastApprovalRequest"}) {
    auto error = set(c, name, Value::string("x"));
    ASSERT_TRUE(error) << name;
    EXPECT_EQ(error->name, "org.freedesktop.DBus.Python.DBusPropertyAccessException");
    EXPECT_EQ(error->message, std::string("Property ") + name + " is read-only");
  }
  EXPECT_EQ(c.data().name, "foo");
}

TEST_F(DbusProperties, BooleansAcceptBooleansAndZeroOrOne) {
  Client& c = add("foo");
  EXPECT_FALSE(set(c, "ApprovedByDefault", Value::boolean(false)));
  EXPECT_FALSE(c.data().approved_by_default);
  EXPECT_FALSE(set(c, "ApprovedByDefault", Value::int32(1)));
  EXPECT_TRUE(c.data().approved_by_default);
  auto error = set(c, "Enabled", Value::string("no"));
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("must be a boolean, got string"), std::string::npos);
  EXPECT_TRUE(set(c, "Enabled", Value::int32(2)));
  EXPECT_TRUE(c.enabled());
}

TEST_F(DbusProperties, EnabledFalseDisablesAndTrueEnables) {
  registry.start();
  Client& c = add("foo");
  EXPECT_FALSE(set(c, "Enabled", Value::boolean(false)));
  EXPECT_FALSE(c.enabled());
  EXPECT_FALSE(c.data().expires.has_value());
  EXPECT_FALSE(set(c, "Enabled", Value::boolean(true)));
  EXPECT_TRUE(c.enabled());
  EXPECT_TRUE(c.data().last_enabled.has_value());
}

TEST_F(DbusProperties, CheckerRunningStartsAndStopsTheChecker) {
  Client& c = add("foo");
  EXPECT_FALSE(set(c, "CheckerRunning", Value::boolean(true)));
  EXPECT_TRUE(c.checker_running());
  EXPECT_EQ(launcher.started.size(), 1u);
  EXPECT_FALSE(set(c, "CheckerRunning", Value::boolean(false)));
  EXPECT_FALSE(c.checker_running());
}

TEST_F(DbusProperties, AnySetOfLastCheckedOkMeansCheckedNow) {
  registry.start();
  Client& c = add("foo");
  scheduler.advance(10s);
  EXPECT_FALSE(set(c, "LastCheckedOK", Value::string("")));
  EXPECT_EQ(c.data().last_checked_ok, scheduler.now());
  EXPECT_EQ(c.data().expires, scheduler.now() + 5min);
  scheduler.advance(1s);
  EXPECT_FALSE(set(c, "LastCheckedOK", Value::int32(7)));
  EXPECT_EQ(c.data().last_checked_ok, scheduler.now());
}

TEST_F(DbusProperties, SecretTakesRawBytesAndNothingElse) {
  Client& c = add("foo");
  EXPECT_FALSE(set(c, "Secret", Value::bytes(SecretBytes(std::string_view("new\0pass", 8)))));
  EXPECT_EQ(c.data().secret.view(), std::string_view("new\0pass", 8));
  EXPECT_FALSE(set(c, "Secret", Value::bytes({})));
  EXPECT_TRUE(c.data().secret.empty());
  auto text = set(c, "Secret", Value::string("x"));
  ASSERT_TRUE(text);
  EXPECT_NE(text->message.find("a byte array (ay), got string"), std::string::npos);
  auto wrong_array = set(c, "Secret", Value::array("s"));
  ASSERT_TRUE(wrong_array);
  std::string big(ipc::kMaxSecretSize + 1, 'x');
  auto too_big = set(c, "Secret", Value::bytes(SecretBytes(std::string_view(big))));
  ASSERT_TRUE(too_big);
  EXPECT_NE(too_big->message.find("limited to"), std::string::npos);
}

TEST_F(DbusProperties, StringPropertiesTakeStringsWithALengthLimit) {
  Client& c = add("foo");
  EXPECT_FALSE(set(c, "Host", Value::string("other.example.org")));
  EXPECT_EQ(c.data().host, "other.example.org");
  EXPECT_FALSE(set(c, "Checker", Value::string("true")));
  EXPECT_EQ(c.data().checker, "true");
  EXPECT_TRUE(set(c, "Host", Value::int32(5)));
  EXPECT_TRUE(set(c, "Checker", Value::string(std::string(kMaxStringProperty + 1, 'x'))));
  EXPECT_EQ(c.data().checker, "true");
}

}  // namespace
}  // namespace mandos::server::dbus
