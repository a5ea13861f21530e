#include "controller.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdlib.h>
#include <time.h>

#include <string>
#include <vector>

#include "fake_bus.hpp"

namespace mandos::monitor {
namespace {

const WallTime kNow = *parse_timestamp("2024-01-02T03:04:05");

Properties client(const std::string& name) {
  return {{"Name", name},
          {"Enabled", true},
          {"ApprovalPending", false},
          {"ApprovedByDefault", true},
          {"LastCheckerStatus", std::int64_t{0}}};
}

KeyPress key(char32_t c) { return KeyPress{c, Special::None, false}; }

std::string narrow(const std::wstring& text) { return std::string(text.begin(), text.end()); }

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC0", 1);
    ::tzset();
    view.set_size(24, 80);
    controller.start();
    controller.apply(ClientsLoaded{true, {{"/clients/zed", client("zed")},
                                          {"/clients/alpha", client("alpha")}}},
                     kNow);
  }
  Controller::Outcome press(char32_t c) { return controller.handle(key(c), kNow); }
  std::vector<std::string> screen() {
    std::vector<std::string> out;
    for (const ScreenRow& row : controller.frame(kNow).rows) out.push_back(narrow(row.text));
    return out;
  }

  Model model;
  View view{false};
  fake::FakeBus bus;
  Controller controller{model, view, bus};
};

TEST_F(ControllerTest, ClientKeysActOnTheFocusedClient) {
  EXPECT_EQ(press('-'), Controller::Outcome::Continue);
  press('j');
  press('a');
  press('k');
  press('C');
  EXPECT_EQ(bus.calls, (std::vector<std::string>{"Set /clients/alpha Enabled false",
                                                 "Approve /clients/zed true",
                                                 "CheckedOK /clients/alpha"}));
}

TEST_F(ControllerTest, RemoveGoesToTheServerWithTheClientsPathOnceConfirmed) {
  press('j');
  press('R');
  EXPECT_TRUE(bus.calls.empty()) << "removed without asking";
  press('y');
  EXPECT_EQ(bus.calls, std::vector<std::string>{"RemoveClient /clients/zed"});
}

TEST_F(ControllerTest, RemoveAsksInTheLogPaneNamingTheClient) {
  press('j');
  press(U'_');
  const auto rows = screen();
  const bool asked = std::any_of(rows.begin(), rows.end(), [](const std::string& row) {
    return row.find("Remove client zed? Press y") != std::string::npos;
  });
  EXPECT_TRUE(asked);
}

TEST_F(ControllerTest, AnyKeyButYesKeepsTheClientAndIsNotTakenAsACommand) {
  press('R');
  press('-');  // the answer, not "disable"
  press('R');
  press('n');
  EXPECT_TRUE(bus.calls.empty());
  const auto rows = screen();
  const bool kept = std::any_of(rows.begin(), rows.end(), [](const std::string& row) {
    return row.find("Kept client alpha") != std::string::npos;
  });
  EXPECT_TRUE(kept);
  press('-');  // a command again
  EXPECT_EQ(bus.calls, std::vector<std::string>{"Set /clients/alpha Enabled false"});
}

TEST_F(ControllerTest, ATerminalResizeIsNoAnswerToTheRemovalQuestion) {
  press(U'\x0b');  // Ctrl-K
  EXPECT_EQ(controller.handle(KeyPress{0, Special::Resize, false}, kNow),
            Controller::Outcome::Resize);
  press('Y');
  EXPECT_EQ(bus.calls, std::vector<std::string>{"RemoveClient /clients/alpha"});
}

TEST_F(ControllerTest, ClientKeysDoNothingWhileTheLogPaneHasFocus) {
  press('\t');
  press('-');
  press('a');
  press('\t');
  press('+');
  EXPECT_EQ(bus.calls, std::vector<std::string>{"Set /clients/alpha Enabled true"});
}

TEST_F(ControllerTest, ClientKeysDoNothingWithoutClients) {
  controller.apply(ClientRemoved{"/clients/zed", true}, kNow);
  controller.apply(ClientRemoved{"/clients/alpha", true}, kNow);
  press('-');
  EXPECT_TRUE(bus.calls.empty());
}

TEST_F(ControllerTest, MovementKeysAreNeverClientCommands) {
  for (char32_t c : {U'j', U'k', U'f', U'b', U' '}) press(c);
  EXPECT_TRUE(bus.calls.empty());
}

TEST_F(ControllerTest, FocusStaysOnTheSameClientWhenANewOneSortsBeforeIt) {
  press('j');  // zed
  controller.apply(ClientAdded{"/clients/mid", true, client("mid")}, kNow);
  (void)controller.frame(kNow);
  press('d');
  EXPECT_EQ(bus.calls, std::vector<std::string>{"Approve /clients/zed false"});
}

TEST_F(ControllerTest, QuitKeysEndTheMonitor) {
  EXPECT_EQ(press('q'), Controller::Outcome::Quit);
  EXPECT_EQ(press('Q'), Controller::Outcome::Quit);
  EXPECT_EQ(press(12), Controller::Outcome::ClearScreen);
}

TEST_F(ControllerTest, StartsWithTheBannerAndShowsTheListAboveTheDivider) {
  auto rows = screen();
  ASSERT_EQ(rows.size(), 24u);
  EXPECT_EQ(rows[0], "alpha: enabled");
  EXPECT_EQ(rows[1], "zed: enabled");
  EXPECT_EQ(rows[11], std::string(80, '_'));
  EXPECT_EQ(rows[12], "Mandos Monitor version " MANDOS_VERSION);
  EXPECT_EQ(rows[13], "q: Quit  ?: Help");
  EXPECT_EQ(rows[14], "");
}

TEST_F(ControllerTest, HelpAppendsTwoBoldLinesAndShowsAHiddenLog) {
  press('l');
  EXPECT_EQ(screen()[23], std::string(80, '_'));
  press('?');
  auto frame = controller.frame(kNow);
  EXPECT_EQ(narrow(frame.rows[11].text), std::string(80, '_'));
  EXPECT_EQ(narrow(frame.rows[14].text),
            "q: Quit  ?: Help  l: Log window toggle  TAB: Switch window  w: Wrap (log lines) ");
  EXPECT_EQ(narrow(frame.rows[15].text), " v: Toggle verbose log");
  EXPECT_EQ(frame.rows[14].attr, Attr::Bold);
  EXPECT_EQ(model.log_lines().size(), 4u);
}

TEST_F(ControllerTest, VerboseShowsLogAndWrapToggles) {
  press('v');
  press('w');
  press('l');
  press('l');
  std::vector<std::string> lines;
  for (const LogLine& line : model.log_lines()) lines.push_back(line.text);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[2], "2024-01-02 03:04:05,000: Verbose mode: On");
  EXPECT_EQ(lines[3], "2024-01-02 03:04:05,000: Wrap mode: clip");
  EXPECT_EQ(lines[4], "2024-01-02 03:04:05,000: Log visibility changed to: False");
  EXPECT_EQ(lines[5], "2024-01-02 03:04:05,000: Log visibility changed to: True");
}

TEST_F(ControllerTest, FrameTicksOnlyWhileACountdownIsShown) {
  EXPECT_FALSE(controller.frame(kNow).ticking);
  controller.apply(PropertiesChanged{"/clients/zed", kClientInterface,
                                     {{"ApprovalPending", true}}},
                   kNow);
  EXPECT_TRUE(controller.frame(kNow).ticking);
}

TEST_F(ControllerTest, FocusedClientIsInStandoutOnlyWhileTheListHasFocus) {
  EXPECT_EQ(controller.frame(kNow).rows[0].attr, Attr::Standout);
  EXPECT_EQ(controller.frame(kNow).rows[1].attr, Attr::Normal);
  press('\t');
  EXPECT_EQ(controller.frame(kNow).rows[0].attr, Attr::Normal);
}

}  // namespace
}  // namespace mandos::monitor
