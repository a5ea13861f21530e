// The monitor's state, free of curses and D-Bus: the known clients with
// their cached properties, and the log pane's lines. The UI thread applies
// bus events to it and renders what it says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "events.hpp"
#include "format.hpp"
#include "mandos/timestamp.hpp"
#include "value.hpp"

namespace mandos::monitor {

struct LogLine {
  std::string text;
  bool bold = false;
};

struct ClientRow {
  std::string path;
  ClientStatus status;
};

class Model {
 public:
  static constexpr std::size_t kDefaultLogLimit = 1000;

  explicit Model(std::size_t log_limit = kDefaultLogLimit);

  // Applies one event from the bus; log lines it causes carry `now`.
  void apply(const BusEvent& event, WallTime now);

  // A timestamped log line, dropped when below the current level.
  void log(Level level, const std::string& message, WallTime now);
  // A line without timestamp (the banner and the help lines), always bold.
  void add_bold_line(const std::string& text);
  // `v`: between INFO (the default) and everything.
  void toggle_verbose(WallTime now);
  bool verbose() const { return verbose_; }

  // Clients sorted by Name (ties keep their arrival order).
  [[nodiscard]] std::vector<ClientRow> rows(WallTime now) const;
  [[nodiscard]] bool has_client(const std::string& path) const;
  [[nodiscard]] const Properties* properties(const std::string& path) const;
  // The client's Name property, null when unknown.
  [[nodiscard]] const std::string* name_of(const std::string& path) const;

  const std::deque<LogLine>& log_lines() const { return log_; }
  // Lines added since construction, including those since dropped: lets the
  // UI notice new lines even when the pane is full.
  std::uint64_t log_serial() const { return log_serial_; }

 private:
  struct Client {
    Properties properties;
    std::uint64_t order = 0;
  };

  void add_client(const std::string& path, Properties properties, WallTime now);
  void remove_client(const ClientRemoved& removed, WallTime now);
  void load(const ClientsLoaded& loaded, WallTime now);
  void update(const PropertiesChanged& changed);
  void append(LogLine line);

  // One overload per event kind: std::visit picks them.
  struct Applier;

  std::map<std::string, Client> clients_;
  std::uint64_t next_order_ = 0;
  std::deque<LogLine> log_;
  std::size_t log_limit_;
  std::uint64_t log_serial_ = 0;
  bool verbose_ = false;
};

}  // namespace mandos::monitor
