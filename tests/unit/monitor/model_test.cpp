#include "model.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <string>
#include <vector>

namespace mandos::monitor {
namespace {

const WallTime kNow = *parse_timestamp("2024-01-02T03:04:05.678");

Properties client(const std::string& name, bool enabled = true) {
  return {{"Name", name},
          {"Enabled", enabled},
          {"ApprovalPending", false},
          {"ApprovedByDefault", true},
          {"LastCheckerStatus", std::int64_t{0}}};
}

std::vector<std::string> texts(const Model& model) {
  std::vector<std::string> out;
  for (const LogLine& line : model.log_lines()) out.push_back(line.text);
  return out;
}

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC0", 1);
    ::tzset();
  }
  void load_two() {
    model.apply(ClientsLoaded{true, {{"/clients/zed", client("zed")},
                                     {"/clients/alpha", client("alpha", false)}}},
                kNow);
  }
  Model model;
};

TEST_F(ModelTest, ListsClientsSortedByName) {
  load_two();
  auto rows = model.rows(kNow);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].path, "/clients/alpha");
  EXPECT_EQ(rows[0].status.text, "alpha: DISABLED");
  EXPECT_EQ(rows[1].status.text, "zed: enabled");
}

TEST_F(ModelTest, KeepsArrivalOrderForEqualNames) {
  model.apply(ClientAdded{"/clients/b", true, client("same")}, kNow);
  model.apply(ClientAdded{"/clients/a", true, client("same")}, kNow);
  auto rows = model.rows(kNow);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].path, "/clients/b");
  EXPECT_EQ(rows[1].path, "/clients/a");
}

TEST_F(ModelTest, WarnsInBoldWhenNoServerAnswers) {
  model.apply(ClientsLoaded{false, {}}, kNow);
  ASSERT_EQ(model.log_lines().size(), 1u);
  EXPECT_EQ(model.log_lines()[0].text, "2024-01-02 03:04:05,678: Note: No Mandos server running.");
  EXPECT_TRUE(model.log_lines()[0].bold);
}

TEST_F(ModelTest, WarnsWhenTheServerHasNoClients) {
  model.apply(ClientsLoaded{true, {}}, kNow);
  EXPECT_EQ(texts(model),
            std::vector<std::string>{"2024-01-02 03:04:05,678: Note: Server has no clients."});
}

TEST_F(ModelTest, AddsAndRemovesClientsFromObjectManagerSignals) {
  load_two();
  model.apply(ClientAdded{"/clients/mid", true, client("mid")}, kNow);
  ASSERT_EQ(model.rows(kNow).size(), 3u);
  EXPECT_EQ(model.rows(kNow)[1].status.text, "mid: enabled");
  model.apply(ClientRemoved{"/clients/alpha", true}, kNow);
  auto rows = model.rows(kNow);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].path, "/clients/mid");
  EXPECT_TRUE(model.log_lines().empty());  // "Created client" is a debug line
}

TEST_F(ModelTest, IgnoresObjectsWithoutTheClientInterface) {
  model.apply(ClientAdded{"/other", false, client("other")}, kNow);
  model.apply(ClientRemoved{"/other", false}, kNow);
  EXPECT_TRUE(model.rows(kNow).empty());
  EXPECT_TRUE(model.log_lines().empty());
}

TEST_F(ModelTest, WarnsAboutRemovalOfAnUnknownClient) {
  model.apply(ClientRemoved{"/clients/ghost", true}, kNow);
  ASSERT_EQ(model.log_lines().size(), 1u);
  EXPECT_EQ(model.log_lines()[0].text,
            "2024-01-02 03:04:05,678: Unknown client /clients/ghost removed");
  EXPECT_TRUE(model.log_lines()[0].bold);
}

TEST_F(ModelTest, ReplacesAClientAnnouncedTwiceInsteadOfListingItTwice) {
  model.apply(ClientAdded{"/clients/foo", true, client("foo")}, kNow);
  model.apply(ClientAdded{"/clients/foo", true, client("foo", false)}, kNow);
  auto rows = model.rows(kNow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status.text, "foo: DISABLED");
}

TEST_F(ModelTest, AppliesPropertiesChangedOfTheClientInterfaceOnly) {
  load_two();
  model.apply(PropertiesChanged{"/clients/alpha", "se.bsnet.fukt.Mandos.Client",
                                {{"Enabled", true}}},
              kNow);
  EXPECT_EQ(model.rows(kNow)[0].status.text, "alpha: DISABLED");
  model.apply(PropertiesChanged{"/clients/alpha", kClientInterface, {{"Enabled", true}}}, kNow);
  EXPECT_EQ(model.rows(kNow)[0].status.text, "alpha: enabled");
  model.apply(PropertiesChanged{"/clients/unknown", kClientInterface, {{"Enabled", true}}},
              kNow);
  EXPECT_EQ(model.rows(kNow).size(), 2u);
}

TEST_F(ModelTest, LogsClientSignalsWithTheClientName) {
  load_two();
  model.apply(NeedApproval{"/clients/zed", 30000, false}, kNow);
  model.apply(GotSecret{"/clients/zed"}, kNow);
  model.apply(Rejected{"/clients/alpha", "Disabled"}, kNow);
  model.apply(CheckerCompleted{"/clients/zed", 1, 1 << 8, "false"}, kNow);
  model.apply(ClientNotFound{"ABCDEF", "::1"}, kNow);
  EXPECT_EQ(texts(model),
            (std::vector<std::string>{
                "2024-01-02 03:04:05,678: Client zed needs approval within 30.000000 seconds",
                "2024-01-02 03:04:05,678: Client zed received its secret",
                "2024-01-02 03:04:05,678: Client alpha was rejected; reason: Disabled",
                "2024-01-02 03:04:05,678: Checker for client zed (command \"false\") failed "
                "with exit code 1",
                "2024-01-02 03:04:05,678: Client with address ::1 and key ID ABCDEF could not "
                "be found"}));
  for (const LogLine& line : model.log_lines()) EXPECT_FALSE(line.bold);
}

TEST_F(ModelTest, IgnoresSignalsOfUnknownClients) {
  model.apply(GotSecret{"/clients/nobody"}, kNow);
  model.apply(NeedApproval{"/clients/nobody", 1000, true}, kNow);
  EXPECT_TRUE(model.log_lines().empty());
}

TEST_F(ModelTest, ShowsDebugMessagesOnlyInVerboseMode) {
  load_two();
  model.apply(CheckerStarted{"/clients/zed", "true"}, kNow);
  EXPECT_TRUE(model.log_lines().empty());
  model.toggle_verbose(kNow);
  model.apply(CheckerStarted{"/clients/zed", "true"}, kNow);
  model.apply(CheckerCompleted{"/clients/zed", 0, 0, "true"}, kNow);
  model.toggle_verbose(kNow);
  model.apply(CheckerStarted{"/clients/zed", "true"}, kNow);
  EXPECT_EQ(texts(model),
            (std::vector<std::string>{
                "2024-01-02 03:04:05,678: Verbose mode: On",
                "2024-01-02 03:04:05,678: Client zed started checker \"true\"",
                "2024-01-02 03:04:05,678: Checker for client zed (command \"true\") succeeded",
                "2024-01-02 03:04:05,678: Verbose mode: Off"}));
}

TEST_F(ModelTest, LogsCreatedClientsInVerboseMode) {
  model.toggle_verbose(kNow);
  model.apply(ClientAdded{"/clients/foo", true, client("foo")}, kNow);
  EXPECT_EQ(model.log_lines().back().text, "2024-01-02 03:04:05,678: Created client foo");
}

TEST_F(ModelTest, BusProblemsAreBoldErrors) {
  model.apply(BusProblem{"cannot decode"}, kNow);
  ASSERT_EQ(model.log_lines().size(), 1u);
  EXPECT_TRUE(model.log_lines()[0].bold);
  EXPECT_EQ(model.log_lines()[0].text, "2024-01-02 03:04:05,678: cannot decode");
}

TEST_F(ModelTest, BoldLinesHaveNoTimestamp) {
  model.add_bold_line("Mandos Monitor version 1.8.16");
  EXPECT_EQ(model.log_lines()[0].text, "Mandos Monitor version 1.8.16");
  EXPECT_TRUE(model.log_lines()[0].bold);
}

TEST(ModelLog, KeepsOnlyTheNewestLinesAndCountsAllOfThem) {
  Model model(3);
  for (int i = 0; i < 5; ++i) model.add_bold_line(std::to_string(i));
  EXPECT_EQ(texts(model), (std::vector<std::string>{"2", "3", "4"}));
  EXPECT_EQ(model.log_serial(), 5u);
}

TEST(ModelLog, DefaultsToTheReferencesThousandLines) {
  Model model;
  for (int i = 0; i < 1005; ++i) model.add_bold_line(std::to_string(i));
  EXPECT_EQ(model.log_lines().size(), 1000u);
  EXPECT_EQ(model.log_lines().front().text, "5");
}

}  // namespace
}  // namespace mandos::monitor
