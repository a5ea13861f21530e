#include "format.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

namespace mandos::monitor {
namespace {

using namespace std::chrono_literals;

WallTime at(const char* iso) {
  auto parsed = parse_timestamp(iso);
  EXPECT_TRUE(parsed) << iso;
  return parsed ? *parsed : WallTime{};
}

Properties enabled_client() {
  return {{"Name", std::string("foo")},
          {"Enabled", true},
          {"ApprovalPending", false},
          {"ApprovedByDefault", true},
          {"ApprovalDelay", std::uint64_t{30000}},
          {"LastApprovalRequest", std::string("")},
          {"LastCheckerStatus", std::int64_t{0}},
          {"Expires", std::string("")}};
}

TEST(FormatCountdown, PrintsPythonTimedeltaWithoutTheFraction) {
  EXPECT_EQ(format_countdown(27s), "0:00:27");
  EXPECT_EQ(format_countdown(27s + 999999us), "0:00:27");
  EXPECT_EQ(format_countdown(24h + 2h + 3min + 4s + 500ms), "1 day, 2:03:04");
  EXPECT_EQ(format_countdown(72h), "3 days, 0:00:00");
}

TEST(FormatCountdown, ShowsZeroForTimeAlreadyPast) {
  EXPECT_EQ(format_countdown(-5s), "0:00:00");
}

TEST(ClientStatus, ShowsEnabledWithoutTimer) {
  auto status = client_status(enabled_client(), at("2024-01-02T03:04:05"));
  EXPECT_EQ(status.text, "foo: enabled");
  EXPECT_FALSE(status.ticking);
}

TEST(ClientStatus, DisabledWinsOverAPendingApproval) {
  Properties properties = enabled_client();
  properties["Enabled"] = false;
  properties["ApprovalPending"] = true;
  auto status = client_status(properties, at("2024-01-02T03:04:05"));
  EXPECT_EQ(status.text, "foo: DISABLED");
  EXPECT_FALSE(status.ticking);
}

TEST(ClientStatus, CountsDownAnApprovalThatDefaultsToApprove) {
  Properties properties = enabled_client();
  properties["ApprovalPending"] = true;
  properties["LastApprovalRequest"] = std::string("2024-01-02T03:04:02.250000");
  auto status = client_status(properties, at("2024-01-02T03:04:05"));
  EXPECT_EQ(status.text, "foo: Approval in 0:00:27. (d)eny?");
  EXPECT_TRUE(status.ticking);
}

TEST(ClientStatus, CountsDownADenialThatWaitsForApproval) {
  Properties properties = enabled_client();
  properties["ApprovalPending"] = true;
  properties["ApprovedByDefault"] = false;
  properties["ApprovalDelay"] = std::uint64_t{90000};
  properties["LastApprovalRequest"] = std::string("2024-01-02T03:04:05");
  auto status = client_status(properties, at("2024-01-02T03:04:05"));
  EXPECT_EQ(status.text, "foo: Denial in 0:01:30. (a)pprove?");
  EXPECT_TRUE(status.ticking);
}

TEST(ClientStatus, ShowsZeroApprovalTimeWithoutARequestTime) {
  Properties properties = enabled_client();
  properties["ApprovalPending"] = true;
  auto status = client_status(properties, at("2024-01-02T03:04:05"));
  EXPECT_EQ(status.text, "foo: Approval in 0:00:00. (d)eny?");
}

TEST(ClientStatus, AcceptsAnApprovalDelaySentAsASignedInteger) {
  Properties properties = enabled_client();
  properties["ApprovalPending"] = true;
  properties["ApprovalDelay"] = std::int64_t{10000};
  properties["LastApprovalRequest"] = std::string("2024-01-02T03:04:05");
  EXPECT_EQ(client_status(properties, at("2024-01-02T03:04:05")).text,
            "foo: Approval in 0:00:10. (d)eny?");
}

TEST(ClientStatus, CountsDownToExpiryAfterAFailedChecker) {
  Properties properties = enabled_client();
  properties["LastCheckerStatus"] = std::int64_t{1};
  properties["Expires"] = std::string("2024-01-03T03:04:06.500000");
  auto status = client_status(properties, at("2024-01-02T03:04:05"));
  EXPECT_EQ(status.text,
            "foo: A checker has failed! Time until client gets disabled: 1 day, 0:00:01");
  EXPECT_TRUE(status.ticking);
}

TEST(ClientStatus, TreatsNoCheckerYetAsAFailureAsTheReferenceDoes) {
  Properties properties = enabled_client();
  properties["LastCheckerStatus"] = std::int64_t{-2};
  properties["Expires"] = std::string("2024-01-02T03:05:05");  // no fraction: accepted too
  EXPECT_EQ(client_status(properties, at("2024-01-02T03:04:05")).text,
            "foo: A checker has failed! Time until client gets disabled: 0:01:00");
}

TEST(ClientStatus, ShowsZeroWhenNoExpiryIsScheduled) {
  Properties properties = enabled_client();
  properties["LastCheckerStatus"] = std::int64_t{-1};
  EXPECT_EQ(client_status(properties, at("2024-01-02T03:04:05")).text,
            "foo: A checker has failed! Time until client gets disabled: 0:00:00");
}

class LogTimestamp : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = ::getenv("TZ");
    saved_ = old ? old : "";
    had_ = old != nullptr;
  }
  void TearDown() override {
    if (had_) {
      ::setenv("TZ", saved_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  void use_zone(const char* zone) {
    ::setenv("TZ", zone, 1);
    ::tzset();
  }

 private:
  std::string saved_;
  bool had_ = false;
};

TEST_F(LogTimestamp, UsesLocalTimeWithTruncatedMilliseconds) {
  use_zone("UTC0");
  EXPECT_EQ(log_timestamp(at("2024-01-02T03:04:05.678901")), "2024-01-02 03:04:05,678");
  use_zone("CET-1");
  EXPECT_EQ(log_timestamp(at("2024-01-02T03:04:05")), "2024-01-02 04:04:05,000");
}

TEST(LogMessages, NameTheClientAsTheReferenceDoes) {
  EXPECT_EQ(client_not_found_message("ABCD", "::1"),
            "Client with address ::1 and key ID ABCD could not be found");
  EXPECT_EQ(checker_started_message("foo", "fping -q -- foo"),
            "Client foo started checker \"fping -q -- foo\"");
  EXPECT_EQ(got_secret_message("foo"), "Client foo received its secret");
  EXPECT_EQ(rejected_message("foo", "Approval timed out"),
            "Client foo was rejected; reason: Approval timed out");
}

TEST(LogMessages, PrintApprovalDelayInSecondsWithSixDecimals) {
  EXPECT_EQ(need_approval_message("foo", 30000, false),
            "Client foo needs approval within 30.000000 seconds");
  EXPECT_EQ(need_approval_message("foo", 1500, true),
            "Client foo will get its secret in 1.500000 seconds");
  EXPECT_EQ(need_approval_message("foo", 1, false),
            "Client foo needs approval within 0.001000 seconds");
}

TEST(LogMessages, CheckerSuccessIsADebugMessage) {
  LogMessage message;
  ASSERT_TRUE(checker_completed_message("foo", 0, 0, "true", message));
  EXPECT_EQ(message.level, Level::Debug);
  EXPECT_EQ(message.text, "Checker for client foo (command \"true\") succeeded");
}

TEST(LogMessages, CheckerFailureTakesTheExitCodeFromTheWaitStatus) {
  LogMessage message;
  ASSERT_TRUE(checker_completed_message("foo", 3, 3 << 8, "false", message));
  EXPECT_EQ(message.level, Level::Info);
  EXPECT_EQ(message.text, "Checker for client foo (command \"false\") failed with exit code 3");
}

TEST(LogMessages, CheckerKilledBySignalNamesTheSignal) {
  LogMessage message;
  ASSERT_TRUE(checker_completed_message("foo", -1, SIGKILL, "sleep 9", message));
  EXPECT_EQ(message.text, "Checker for client foo (command \"sleep 9\") was killed by signal 9");
}

TEST(LogMessages, CheckerStatusThatIsNeitherExitNorSignalIsNotLogged) {
  LogMessage message;
  const int stopped = (SIGSTOP << 8) | 0x7f;  // WIFSTOPPED
  EXPECT_FALSE(checker_completed_message("foo", -1, stopped, "x", message));
}

TEST(HelpLines, ListTheKeysSeparatedByTwoSpaces) {
  EXPECT_EQ(help_line_global(),
            "q: Quit  ?: Help  l: Log window toggle  TAB: Switch window  "
            "w: Wrap (log lines)  v: Toggle verbose log");
  EXPECT_EQ(help_line_clients(),
            "Clients:  +: Enable  -: Disable  R: Remove  s: Start new checker  "
            "S: Stop checker  C: Checker OK  a: Approve  d: Deny");
}

}  // namespace
}  // namespace mandos::monitor
