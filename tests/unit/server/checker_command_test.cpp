#include "daemon/checker_command.hpp"

#include <gtest/gtest.h>

namespace mandos::server {
namespace {

using namespace std::chrono_literals;

ClientData fixture() {
  ClientData d;
  d.name = "foo-bar.example";
  d.host = "foo.example";
  d.key_id = "ABCD";
  d.fingerprint = "";
  d.timeout = 5min;
  d.interval = 24h + 5s;
  d.approval_delay = 0s;
  d.approval_duration = 1s;
  d.created = WallTime(std::chrono::seconds(1672628645) + 120000us);
  d.last_enabled = WallTime(std::chrono::seconds(1672628645));
  return d;
}

std::string expand(const std::string& command, ClientData d = fixture()) {
  d.checker = command;
  auto result = expand_checker_command(d, true);
  return result ? *result : "ERROR: " + result.error().message;
}

TEST(ShellQuote, LeavesSafeTextAlone) {
  EXPECT_EQ(shell_quote("abc-DEF_0.9/x@y%z+=:,"), "abc-DEF_0.9/x@y%z+=:,");
}

TEST(ShellQuote, QuotesEmptyAndUnsafeText) {
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\"'\"'s'");
  EXPECT_EQ(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
}

TEST(CheckerExpansion, QuotesEveryValue) {
  EXPECT_EQ(expand("fping -q -- %(host)s"), "fping -q -- foo.example");
  ClientData d = fixture();
  d.host = "a; reboot";
  EXPECT_EQ(expand("ping %(host)s", d), "ping 'a; reboot'");
}

TEST(CheckerExpansion, FormatsDurationsAsPythonTimedeltas) {
  EXPECT_EQ(expand("%(timeout)s"), "0:05:00");
  EXPECT_EQ(expand("%(interval)s"), "'1 day, 0:00:05'");
  EXPECT_EQ(expand("%(approval_delay)s %(approval_duration)s"), "0:00:00 0:00:01");
}

TEST(CheckerExpansion, FormatsTimestampsAsPythonStrAndUnsetAsNone) {
  EXPECT_EQ(expand("%(created)s"), "'2023-01-02 03:04:05.120000'");
  EXPECT_EQ(expand("%(last_enabled)s"), "'2023-01-02 03:04:05'");
  EXPECT_EQ(expand("%(expires)s %(last_checked_ok)s %(last_approval_request)s"),
            "None None None");
}

TEST(CheckerExpansion, OffersNamesIdsBooleansAndTheObjectPath) {
  EXPECT_EQ(expand("%(name)s %(key_id)s %(fingerprint)s %(enabled)s"),
            "foo-bar.example ABCD '' True");
  EXPECT_EQ(expand("%(dbus_object_path)s"), "/clients/foo_bar_example");
}

TEST(CheckerExpansion, DoublePercentIsALiteralPercent) {
  EXPECT_EQ(expand("echo 100%% %(name)s"), "echo 100% foo-bar.example");
}

TEST(CheckerExpansion, UnknownKeyIsAnError) {
  EXPECT_EQ(expand("ping %(hots)s"), "ERROR: unknown key 'hots'");
}

TEST(CheckerExpansion, NumericConversionOfAStringIsAnError) {
  EXPECT_NE(expand("%(host)d").find("a real number is required"), std::string::npos);
}

TEST(CheckerExpansion, PositionalAndIncompleteSpecifiersAreErrors) {
  EXPECT_EQ(expand("%s").substr(0, 6), "ERROR:");
  EXPECT_EQ(expand("50%").substr(0, 6), "ERROR:");
  EXPECT_EQ(expand("%(host").substr(0, 6), "ERROR:");
  EXPECT_NE(expand("%(host)q").find("unsupported format character 'q'"), std::string::npos);
}

TEST(CheckerExpansion, SupportsReprWidthAndPrecision) {
  EXPECT_EQ(expand("%(host)r"), "'foo.example'");
  EXPECT_EQ(expand("[%(key_id)6s][%(key_id)-6s][%(key_id).2s]"), "[  ABCD][ABCD  ][AB]");
}

TEST(CheckerExpansion, ObjectPathIsOnlyOfferedWithDBus) {
  ClientData d = fixture();
  d.checker = "%(dbus_object_path)s";
  EXPECT_FALSE(expand_checker_command(d, false));
}

TEST(PythonRepr, ChoosesQuotesAndEscapesLikePython) {
  EXPECT_EQ(python_repr("a'b"), "\"a'b\"");
  EXPECT_EQ(python_repr("a'b\""), "'a\\'b\"'");
  EXPECT_EQ(python_repr("t\tn\n\x01"), "'t\\tn\\n\\x01'");
  EXPECT_EQ(python_repr("\xc3\xa9"), "'\xc3\xa9'");
  EXPECT_EQ(python_repr("\xc3\xa9", true), "'\\xe9'");
}

TEST(ObjectPath, ReplacesDotsAndDashes) {
  EXPECT_EQ(client_object_path("a.b-c_d"), "/clients/a_b_c_d");
}

}  // namespace
}  // namespace mandos::server
