// Screen layout (monitor.md §2): the client list, a divider and the log
// pane, split as the reference's urwid Pile splits them; focus, scrolling
// and wrapping state. Produces rows of text with one attribute each; the
// terminal layer only paints them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "keys.hpp"
#include "model.hpp"

namespace mandos::monitor {

enum class Attr { Normal, Bold, Standout };

struct ScreenRow {
  std::wstring text;  // at most the screen width
  Attr attr = Attr::Normal;
};

class View {
 public:
  explicit View(bool unicode) : unicode_(unicode) {}

  void set_size(int rows, int cols);
  int rows() const { return rows_; }
  int cols() const { return cols_; }

  // `l` / `D`: hiding or showing the log rebuilds the layout, which puts
  // the focus back on the client list.
  void toggle_log();
  // `?`: shows the log pane if hidden (the caller adds the help lines).
  void show_log();
  // Tab: between the client list and the log pane (only while it shows).
  void switch_pane();
  // `w` / `i`; returns the new mode's name ("any" or "clip").
  std::string toggle_wrap();
  bool log_visible() const { return log_visible_; }
  bool log_focused() const { return log_focused_; }

  // Keeps the focus on the same client when the list changes; when that
  // client is gone, on the one now at its place.
  void sync(const std::vector<ClientRow>& clients, std::uint64_t log_serial);
  // The client the client keys act on: none while the log pane has focus.
  [[nodiscard]] std::optional<std::string> focused_client(
      const std::vector<ClientRow>& clients) const;

  // Up, Down, PageUp, PageDown on the focused pane.
  void move(Command command, const std::vector<ClientRow>& clients,
            const std::deque<LogLine>& log);

  // Exactly rows() rows.
  [[nodiscard]] std::vector<ScreenRow> render(const std::vector<ClientRow>& clients,
                                              const std::deque<LogLine>& log);

  struct Split {
    int list_rows = 0;  // client rows above the divider
    int log_rows = 0;   // 0 while the log is hidden
  };
  // Two equal shares, the upper one rounded up, as urwid's Pile does; the
  // divider is the last row of the upper share.
  [[nodiscard]] static Split split(int rows, bool log_visible);

 private:
  std::vector<int> client_heights(const std::vector<ClientRow>& clients) const;
  std::vector<ScreenRow> log_rows(const std::deque<LogLine>& log) const;
  void keep_focus_visible(const std::vector<int>& heights, int height);
  void move_list(Command command, const std::vector<ClientRow>& clients);
  void move_log(Command command, const std::deque<LogLine>& log);

  bool unicode_;
  int rows_ = 24;
  int cols_ = 80;
  bool log_visible_ = true;
  bool log_focused_ = false;
  bool wrap_any_ = true;
  std::size_t focus_ = 0;
  std::string focus_path_;
  std::size_t top_ = 0;        // first client shown
  int log_from_bottom_ = 0;    // log rows scrolled back from the newest
  std::uint64_t log_serial_ = 0;
};

}  // namespace mandos::monitor
