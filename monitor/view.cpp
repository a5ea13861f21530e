#include "view.hpp"

#include <algorithm>
#include <numeric>

#include "text.hpp"

namespace mandos::monitor {

View::Split View::split(int rows, bool log_visible) {
  Split split;
  if (rows < 1) return split;
  if (!log_visible) {
    split.list_rows = rows - 1;
    return split;
  }
  const int upper = (rows + 1) / 2;
  split.list_rows = upper - 1;
  split.log_rows = rows - upper;
  return split;
}

void View::set_size(int rows, int cols) {
  rows_ = std::max(rows, 0);
  cols_ = std::max(cols, 1);
}

void View::toggle_log() {
  log_visible_ = !log_visible_;
  log_focused_ = false;
}

void View::show_log() {
  if (log_visible_) return;
  log_visible_ = true;
  log_focused_ = false;
}

void View::switch_pane() {
  if (log_visible_) log_focused_ = !log_focused_;
}

std::string View::toggle_wrap() {
  wrap_any_ = !wrap_any_;
  return wrap_any_ ? "any" : "clip";
}

void View::sync(const std::vector<ClientRow>& clients, std::uint64_t log_serial) {
  if (log_serial != log_serial_) {
    // The reference moves the log's focus to the newest line on every line.
    log_serial_ = log_serial;
    log_from_bottom_ = 0;
  }
  if (clients.empty()) {
    focus_ = 0;
    focus_path_.clear();
    return;
  }
  auto same = std::find_if(clients.begin(), clients.end(),
                           [&](const ClientRow& row) { return row.path == focus_path_; });
  if (same != clients.end()) {
    focus_ = static_cast<std::size_t>(same - clients.begin());
  } else {
    focus_ = std::min(focus_, clients.size() - 1);
  }
  focus_path_ = clients[focus_].path;
}

std::optional<std::string> View::focused_client(const std::vector<ClientRow>& clients) const {
  if (log_focused_ || clients.empty()) return std::nullopt;
  return clients[std::min(focus_, clients.size() - 1)].path;
}

std::vector<int> View::client_heights(const std::vector<ClientRow>& clients) const {
  std::vector<int> heights;
  heights.reserve(clients.size());
  for (const ClientRow& row : clients) {
    heights.push_back(
        static_cast<int>(wrap(to_display(row.status.text, unicode_), cols_, true).size()));
  }
  return heights;
}

void View::keep_focus_visible(const std::vector<int>& heights, int height) {
  if (heights.empty()) {
    top_ = 0;
    return;
  }
  const auto rows_between = [&](std::size_t from, std::size_t to) {  // inclusive
    return std::accumulate(heights.begin() + static_cast<std::ptrdiff_t>(from),
                           heights.begin() + static_cast<std::ptrdiff_t>(to) + 1, 0);
  };
  top_ = std::min(top_, heights.size() - 1);
  if (focus_ < top_) top_ = focus_;
  while (top_ < focus_ && rows_between(top_, focus_) > height) ++top_;
  // No blank rows at the bottom while clients above are hidden.
  while (top_ > 0 && rows_between(top_ - 1, heights.size() - 1) <= height) --top_;
}

void View::move(Command command, const std::vector<ClientRow>& clients,
                const std::deque<LogLine>& log) {
  if (log_focused_) {
    move_log(command, log);
  } else {
    move_list(command, clients);
  }
}

void View::move_list(Command command, const std::vector<ClientRow>& clients) {
  if (clients.empty()) return;
  const std::vector<int> heights = client_heights(clients);
  const std::size_t last = clients.size() - 1;
  // A page is what fits in the list area less one row of overlap.
  const int page = std::max(split(rows_, log_visible_).list_rows - 1, 1);
  if (command == Command::Up && focus_ > 0) --focus_;
  if (command == Command::Down && focus_ < last) ++focus_;
  if (command == Command::PageDown) {
    int used = 0;
    while (focus_ < last && used + heights[focus_ + 1] <= page) used += heights[++focus_];
    if (used == 0 && focus_ < last) ++focus_;
  }
  if (command == Command::PageUp) {
    int used = 0;
    while (focus_ > 0 && used + heights[focus_ - 1] <= page) used += heights[--focus_];
    if (used == 0 && focus_ > 0) --focus_;
  }
  focus_path_ = clients[focus_].path;
}

void View::move_log(Command command, const std::deque<LogLine>& log) {
  const int height = split(rows_, log_visible_).log_rows;
  const int total = static_cast<int>(log_rows(log).size());
  const int most = std::max(total - height, 0);
  const int page = std::max(height - 1, 1);
  if (command == Command::Up) ++log_from_bottom_;
  if (command == Command::Down) --log_from_bottom_;
  if (command == Command::PageUp) log_from_bottom_ += page;
  if (command == Command::PageDown) log_from_bottom_ -= page;
  log_from_bottom_ = std::clamp(log_from_bottom_, 0, most);
}

std::vector<ScreenRow> View::log_rows(const std::deque<LogLine>& log) const {
  std::vector<ScreenRow> rows;
  for (const LogLine& line : log) {
    const Attr attr = line.bold ? Attr::Bold : Attr::Normal;
    const std::wstring text = to_display(line.text, unicode_);
    if (!wrap_any_) {
      rows.push_back({clip(text, cols_), attr});
      continue;
    }
    for (std::wstring& part : wrap(text, cols_, false)) rows.push_back({std::move(part), attr});
  }
  return rows;
}

std::vector<ScreenRow> View::render(const std::vector<ClientRow>& clients,
                                    const std::deque<LogLine>& log) {
  std::vector<ScreenRow> screen;
  screen.reserve(static_cast<std::size_t>(rows_));
  if (rows_ == 0) return screen;
  const Split shares = split(rows_, log_visible_);

  // Client list: from top_, the focused client in standout while the list
  // has the focus; a client taller than the rest of the area is cut.
  const std::vector<int> heights = client_heights(clients);
  keep_focus_visible(heights, shares.list_rows);
  for (std::size_t i = top_; i < clients.size(); ++i) {
    const bool focused = i == focus_ && !log_focused_;
    for (std::wstring& part : wrap(to_display(clients[i].status.text, unicode_), cols_, true)) {
      if (static_cast<int>(screen.size()) == shares.list_rows) break;
      screen.push_back({std::move(part), focused ? Attr::Standout : Attr::Normal});
    }
  }
  screen.resize(static_cast<std::size_t>(shares.list_rows));
  screen.push_back({std::wstring(static_cast<std::size_t>(cols_), unicode_ ? L'\u2500' : L'_'),
                    Attr::Normal});

  // Log pane: the newest lines at the bottom once it is full.
  std::vector<ScreenRow> lines = log_rows(log);
  const int total = static_cast<int>(lines.size());
  const int most = std::max(total - shares.log_rows, 0);
  log_from_bottom_ = std::clamp(log_from_bottom_, 0, most);
  const int first = most - log_from_bottom_;
  for (int i = first; i < total && i < first + shares.log_rows; ++i) {
    screen.push_back(std::move(lines[static_cast<std::size_t>(i)]));
  }
  screen.resize(static_cast<std::size_t>(rows_));
  return screen;
}

}  // namespace mandos::monitor
