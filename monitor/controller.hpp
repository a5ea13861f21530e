// What a key or a bus event does to the monitor (monitor.md §4, §5): the
// glue between the model, the view and the bus, with no terminal or D-Bus
// library in sight, so that tests drive it with a fake bus.
#pragma once

#include <string>
#include <vector>

#include "keys.hpp"
#include "model.hpp"
#include "view.hpp"

namespace mandos::monitor {

class Controller {
 public:
  Controller(Model& model, View& view, ClientBus& bus) : model_(model), view_(view), bus_(bus) {}

  enum class Outcome { Continue, Quit, ClearScreen, Resize };

  // The banner lines the log pane starts with.
  void start();
  Outcome handle(const KeyPress& key, WallTime now);
  void apply(const BusEvent& event, WallTime now) { model_.apply(event, now); }

  struct Frame {
    std::vector<ScreenRow> rows;
    bool ticking = false;  // a countdown is shown: redraw in a second
  };
  [[nodiscard]] Frame frame(WallTime now);

 private:
  std::string client_name(const std::string& path) const;
  void ask_removal(const std::string& path, WallTime now);
  void answer_removal(const KeyPress& key, WallTime now);

  Model& model_;
  View& view_;
  ClientBus& bus_;
  std::string pending_removal_;  // object path awaiting a yes or no
};

}  // namespace mandos::monitor
