#include "view.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

namespace mandos::monitor {
namespace {

std::vector<ClientRow> clients(int count) {
  std::vector<ClientRow> rows;
  for (int i = 0; i < count; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "c%02d", i);
    rows.push_back({std::string("/clients/") + name, {std::string(name) + ": enabled", false}});
  }
  return rows;
}

std::deque<LogLine> log_of(int count) {
  std::deque<LogLine> log;
  for (int i = 0; i < count; ++i) log.push_back({"line " + std::to_string(i), i == 0});
  return log;
}

std::string narrow(const std::wstring& text) { return std::string(text.begin(), text.end()); }

int standout_row(const std::vector<ScreenRow>& rows) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].attr == Attr::Standout) return static_cast<int>(i);
  }
  return -1;
}

TEST(ViewSplit, SharesRowsAsUrwidsPileDoes) {
  EXPECT_EQ(View::split(24, true).list_rows, 11);
  EXPECT_EQ(View::split(24, true).log_rows, 12);
  EXPECT_EQ(View::split(25, true).list_rows, 12);
  EXPECT_EQ(View::split(25, true).log_rows, 12);
  EXPECT_EQ(View::split(24, false).list_rows, 23);
  EXPECT_EQ(View::split(24, false).log_rows, 0);
  EXPECT_EQ(View::split(1, true).list_rows, 0);
}

TEST(ViewRender, FillsTheScreenWithListDividerAndLog) {
  View view(true);
  view.set_size(24, 80);
  auto list = clients(2);
  auto log = log_of(2);
  view.sync(list, 2);
  auto rows = view.render(list, log);
  ASSERT_EQ(rows.size(), 24u);
  EXPECT_EQ(narrow(rows[0].text), "c00: enabled");
  EXPECT_EQ(rows[0].attr, Attr::Standout);
  EXPECT_EQ(rows[11].text, std::wstring(80, L'\u2500'));
  EXPECT_EQ(narrow(rows[12].text), "line 0");
  EXPECT_EQ(rows[12].attr, Attr::Bold);
  EXPECT_EQ(rows[13].attr, Attr::Normal);
}

TEST(ViewRender, ShowsTheNewestLogLinesAtTheBottom) {
  View view(false);
  view.set_size(24, 80);
  auto log = log_of(30);
  view.sync({}, 30);
  auto rows = view.render({}, log);
  EXPECT_EQ(narrow(rows[12].text), "line 18");
  EXPECT_EQ(narrow(rows[23].text), "line 29");
}

TEST(ViewRender, ScrollsTheLogWhenItHasFocusAndFollowsNewLines) {
  View view(false);
  view.set_size(24, 80);
  auto log = log_of(30);
  view.sync({}, 30);
  view.switch_pane();
  view.move(Command::Up, {}, log);
  view.move(Command::Up, {}, log);
  EXPECT_EQ(narrow(view.render({}, log)[23].text), "line 27");
  view.move(Command::PageUp, {}, log);
  EXPECT_EQ(narrow(view.render({}, log)[12].text), "line 5");
  for (int i = 0; i < 10; ++i) view.move(Command::PageUp, {}, log);
  EXPECT_EQ(narrow(view.render({}, log)[12].text), "line 0");
  log.push_back({"line 30", false});
  view.sync({}, 31);
  EXPECT_EQ(narrow(view.render({}, log)[23].text), "line 30");
}

TEST(ViewRender, WrapsOrClipsLongLogLines) {
  View view(false);
  view.set_size(24, 10);
  std::deque<LogLine> log{{"0123456789abcde", false}, {"x", false}};
  view.sync({}, 2);
  auto rows = view.render({}, log);
  EXPECT_EQ(narrow(rows[12].text), "0123456789");
  EXPECT_EQ(narrow(rows[13].text), "abcde");
  EXPECT_EQ(view.toggle_wrap(), "clip");
  rows = view.render({}, log);
  EXPECT_EQ(narrow(rows[12].text), "0123456789");
  EXPECT_EQ(narrow(rows[13].text), "x");
  EXPECT_EQ(view.toggle_wrap(), "any");
}

TEST(ViewRender, KeepsTheFocusedClientVisible) {
  View view(false);
  view.set_size(24, 80);
  auto list = clients(30);
  view.sync(list, 0);
  for (int i = 0; i < 20; ++i) view.move(Command::Down, list, {});
  auto rows = view.render(list, {});
  EXPECT_EQ(narrow(rows[10].text), "c20: enabled");
  EXPECT_EQ(standout_row(rows), 10);
  view.move(Command::Up, list, {});
  EXPECT_EQ(standout_row(view.render(list, {})), 9);
  EXPECT_EQ(view.focused_client(list), "/clients/c19");
}

TEST(ViewRender, PagesThroughTheClientList) {
  View view(false);
  view.set_size(24, 80);
  auto list = clients(30);
  view.sync(list, 0);
  view.move(Command::PageDown, list, {});
  EXPECT_EQ(view.focused_client(list), "/clients/c10");
  view.move(Command::PageDown, list, {});
  view.move(Command::PageDown, list, {});
  EXPECT_EQ(view.focused_client(list), "/clients/c29");
  view.move(Command::PageUp, list, {});
  EXPECT_EQ(view.focused_client(list), "/clients/c19");
}

TEST(ViewRender, WrapsLongClientLinesAtSpaces) {
  View view(false);
  view.set_size(24, 20);
  std::vector<ClientRow> list{{"/clients/a", {"a: A checker has failed! Time", true}},
                              {"/clients/b", {"b: enabled", false}}};
  view.sync(list, 0);
  auto rows = view.render(list, {});
  EXPECT_EQ(narrow(rows[0].text), "a: A checker has");
  EXPECT_EQ(narrow(rows[1].text), "failed! Time");
  EXPECT_EQ(rows[1].attr, Attr::Standout);
  EXPECT_EQ(narrow(rows[2].text), "b: enabled");
}

TEST(ViewFocus, MovesToTheClientAtTheSamePlaceWhenTheFocusedOneGoes) {
  View view(false);
  auto list = clients(3);
  view.sync(list, 0);
  view.move(Command::Down, list, {});
  list.erase(list.begin() + 1);
  view.sync(list, 0);
  EXPECT_EQ(view.focused_client(list), "/clients/c02");
  list.pop_back();
  view.sync(list, 0);
  EXPECT_EQ(view.focused_client(list), "/clients/c00");
}

TEST(ViewFocus, TabSwitchesPanesOnlyWhileTheLogIsShown) {
  View view(false);
  auto list = clients(1);
  view.sync(list, 0);
  view.switch_pane();
  EXPECT_TRUE(view.log_focused());
  EXPECT_FALSE(view.focused_client(list).has_value());
  view.toggle_log();  // hiding the log returns the focus to the list
  EXPECT_FALSE(view.log_focused());
  view.switch_pane();
  EXPECT_FALSE(view.log_focused());
  EXPECT_EQ(view.focused_client(list), "/clients/c00");
}

TEST(ViewRender, HandlesATinyTerminal) {
  View view(false);
  view.set_size(1, 1);
  auto rows = view.render(clients(3), log_of(3));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(narrow(rows[0].text), "_");
}

}  // namespace
}  // namespace mandos::monitor
