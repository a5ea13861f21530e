// Debian's Python mandos-ctl (dbus-python backend) against our server on a
// private system bus: listing, verbose table, JSON dump and the actions that
// set properties (with dbus-python's int32 integers) and call methods.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dbus_harness.hpp"

namespace mandos::test::dbus {
namespace {

using nlohmann::ordered_json;

constexpr const char* kReferenceCtl = "/usr/sbin/mandos-ctl";
const std::string kSecretBase64 = "dGhlIGRpc2sgcGFzc3dvcmQK";

// Empty if Debian's mandos-ctl can be used, else why not.
std::string reference_unavailable() {
  if (!tools_available()) return "dbus-daemon, busctl or gdbus missing";
  RunOptions options;
  options.timeout = 600s;
  auto result = run(
      {"/bin/sh", std::string(MANDOS_SOURCE_DIR) + "/tests/interop/install-reference.sh"}, options);
  if (result.exit_code != 0) return "install-reference.sh failed: " + result.err;
  if (::access(kReferenceCtl, X_OK) != 0) return std::string(kReferenceCtl) + " missing";
  return "";
}

class ReferenceCtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static const std::string why = reference_unavailable();
    if (!why.empty())
      GTEST_SKIP() << "*** SKIPPED: Debian's mandos-ctl 1.8.16 unavailable: " << why;
    bus = std::make_unique<PrivateBus>(dir.path());
    server = std::make_unique<ServerUnderTest>(dir.path(), *bus);
    auto foo = server->make_keys("foo");
    auto bar = server->make_keys("bar");
    // checker = false: no check ever succeeds, so LastCheckedOK stays empty.
    server->write_clients("[foo]\nkey_id = " + foo.key_id + "\nsecret = " + kSecretBase64 +
                          "\nchecker = false\nhost = foo.example.org\n\n"
                          "[bar.example]\nkey_id = " +
                          bar.key_id + "\nsecret = " + kSecretBase64 +
                          "\nchecker = false\ntimeout = PT1H\n");
    ASSERT_NO_FATAL_FAILURE(server->start());
  }
  void TearDown() override {
    server.reset();
    bus.reset();
  }

  RunResult ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kReferenceCtl};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.env_add = {bus->env()};
    options.timeout = 60s;
    return run(argv, options);
  }
  ordered_json property(const std::string& name, const std::string& property) {
    auto r = bus->busctl({"--json=short", "get-property", kBusName, client_path(name),
                          "se.recompile.Mandos.Client", property});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? ordered_json::parse(r.out)["data"] : ordered_json();
  }

  TempDir dir{"mandos-dbus-ctl-interop"};
  std::unique_ptr<PrivateBus> bus;
  std::unique_ptr<ServerUnderTest> server;
};

TEST_F(ReferenceCtlTest, DefaultTableListsEveryClientInServerOrder) {
  auto r = ctl({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Name        Enabled Timeout  Last Successful Check\n"
            "foo         Yes     00:05:00                      \n"
            "bar.example Yes     01:00:00                      \n");
}

TEST_F(ReferenceCtlTest, VerboseTableHasEveryColumn) {
  auto r = ctl({"-v"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string header = r.out.substr(0, r.out.find('\n'));
  std::string expected_order;
  size_t position = 0;
  for (const char* column : {"Name",
                             "Enabled",
                             "Timeout",
                             "Last Successful Check",
                             "Created",
                             "Interval",
                             "Host",
                             "Key ID",
                             "Fingerprint",
                             "Check Is Running",
                             "Last Enabled",
                             "Approval Is Pending",
                             "Approved By Default",
                             "Last Approval Request",
                             "Approval Delay",
                             "Approval Duration",
                             "Checker",
                             "Extended Timeout",
                             "Expires",
                             "Last Checker Status"}) {
    size_t found = header.find(column, position);
    ASSERT_NE(found, std::string::npos) << column << " in " << header;
    position = found + 1;
  }
  EXPECT_NE(r.out.find("foo.example.org"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("00:15:00"), std::string::npos);  // extended timeout
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3);
}

TEST_F(ReferenceCtlTest, JsonDumpHasTheTwentyKeysWithTheirTypes) {
  auto r = ctl({"--dump-json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ordered_json dump = ordered_json::parse(r.out);
  ASSERT_EQ(dump.size(), 2u);
  EXPECT_EQ(dump.begin().key(), "foo");
  const ordered_json& foo = dump["foo"];
  EXPECT_EQ(foo.size(), 20u);
  EXPECT_EQ(foo["Name"], "foo");
  EXPECT_EQ(foo["Enabled"], true);
  EXPECT_EQ(foo["Timeout"], 300000);
  EXPECT_EQ(foo["Interval"], 120000);
  EXPECT_EQ(foo["ExtendedTimeout"], 900000);
  EXPECT_EQ(foo["ApprovalDelay"], 0);
  EXPECT_EQ(foo["ApprovalDuration"], 1000);
  EXPECT_EQ(foo["ApprovedByDefault"], true);
  EXPECT_EQ(foo["Host"], "foo.example.org");
  EXPECT_EQ(foo["KeyID"].get<std::string>().size(), 64u);
  EXPECT_EQ(foo["LastCheckedOK"], "");
  EXPECT_TRUE(foo["LastCheckerStatus"].is_number_integer());
  EXPECT_TRUE(foo["Created"].is_string());
  EXPECT_FALSE(foo.contains("Secret"));
  EXPECT_FALSE(foo.contains("ObjectPath"));
  EXPECT_EQ(dump["bar.example"]["Timeout"], 3600000);
}

TEST_F(ReferenceCtlTest, DisableAndEnableChangeTheClient) {
  auto disabled = ctl({"--disable", "foo"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_EQ(property("foo", "Enabled"), false);
  EXPECT_EQ(ctl({"--is-enabled", "foo"}).exit_code, 1);
  auto table = ctl({"foo"});
  EXPECT_EQ(table.out,
            "Name Enabled Timeout  Last Successful Check\n"
            "foo  No      00:05:00                      \n");
  auto enabled = ctl({"--enable", "foo"});
  ASSERT_EQ(enabled.exit_code, 0) << enabled.err;
  EXPECT_EQ(property("foo", "Enabled"), true);
  EXPECT_EQ(ctl({"--is-enabled", "foo"}).exit_code, 0);
  EXPECT_EQ(property("bar.example", "Enabled"), true);
}

TEST_F(ReferenceCtlTest, SettingsSentAsInt32AreAccepted) {
  auto r = ctl({"--timeout", "PT10M", "--interval", "PT30S", "--extended-timeout", "PT1H",
                "--approval-delay", "PT5S", "--approval-duration", "PT2S", "--host",
                "elsewhere.example", "--checker", "true", "--deny-by-default", "bar.example"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(property("bar.example", "Timeout"), 600000);
  EXPECT_EQ(property("bar.example", "Interval"), 30000);
  EXPECT_EQ(property("bar.example", "ExtendedTimeout"), 3600000);
  EXPECT_EQ(property("bar.example", "ApprovalDelay"), 5000);
  EXPECT_EQ(property("bar.example", "ApprovalDuration"), 2000);
  EXPECT_EQ(property("bar.example", "Host"), "elsewhere.example");
  EXPECT_EQ(property("bar.example", "Checker"), "true");
  EXPECT_EQ(property("bar.example", "ApprovedByDefault"), false);
}

TEST_F(ReferenceCtlTest, BumpSecretApproveAndRemoveWork) {
  auto bumped = ctl({"--bump-timeout", "foo"});
  ASSERT_EQ(bumped.exit_code, 0) << bumped.err;
  EXPECT_NE(property("foo", "LastCheckedOK"), "");
  write_file(dir.file("new-secret"), "new secret");
  auto secret = ctl({"--secret", dir.file("new-secret"), "foo"});
  ASSERT_EQ(secret.exit_code, 0) << secret.err;
  auto approve = ctl({"--approve", "foo"});
  EXPECT_EQ(approve.exit_code, 0) << approve.err;
  auto removed = ctl({"--remove", "bar.example"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  auto table = ctl({});
  EXPECT_EQ(table.out.find("bar.example"), std::string::npos) << table.out;
  auto missing = ctl({"bar.example"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("Client not found on server: 'bar.example'"), std::string::npos)
      << missing.err;
}

}  // namespace
}  // namespace mandos::test::dbus
