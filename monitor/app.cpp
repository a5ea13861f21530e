#include "app.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <clocale>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "controller.hpp"
#include "dbus_client.hpp"
#include "event_queue.hpp"
#include "terminal.hpp"

namespace mandos::monitor {
namespace {

using Steady = std::chrono::steady_clock;

struct Ending {
  bool done = false;
  int status = 0;
  int signal_number = 0;  // re-raised after the terminal is restored
  std::string message;    // printed after the terminal is restored
};

class MainLoop {
 public:
  MainLoop(Terminal& terminal, SignalFd& signals, EventQueue& queue, DBusClient& bus)
      : terminal_(terminal),
        signals_(signals),
        queue_(queue),
        view_(locale_is_utf8()),
        controller_(model_, view_, bus) {}

  Ending run();

 private:
  void redraw();
  int poll_timeout() const;
  void on_signals();
  void on_events();
  void on_keys();

  Terminal& terminal_;
  SignalFd& signals_;
  EventQueue& queue_;
  Model model_;
  View view_;
  Controller controller_;
  Ending ending_;
  bool dirty_ = true;
  bool ticking_ = false;
  Steady::time_point next_tick_{};
};

Ending MainLoop::run() {
  view_.set_size(terminal_.rows(), terminal_.cols());
  controller_.start();
  while (!ending_.done) {
    if (dirty_) redraw();
    pollfd fds[] = {{STDIN_FILENO, POLLIN, 0},
                    {queue_.fd(), POLLIN, 0},
                    {signals_.fd(), POLLIN, 0}};
    const int ready = ::poll(fds, 3, poll_timeout());
    if (ready < 0 && errno != EINTR) {
      ending_ = {true, 1, 0, std::string("poll: ") + std::strerror(errno)};
      break;
    }
    if (ticking_ && Steady::now() >= next_tick_) dirty_ = true;
    if (fds[2].revents != 0) on_signals();
    if (fds[1].revents != 0) on_events();
    if ((fds[0].revents & POLLIN) != 0) {
      on_keys();
    } else if ((fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
      ending_ = {true, 1, 0, "the terminal went away"};
    }
  }
  return ending_;
}

void MainLoop::redraw() {
  Controller::Frame frame = controller_.frame(wall_now());
  terminal_.paint(frame.rows);
  dirty_ = false;
  if (frame.ticking && (!ticking_ || Steady::now() >= next_tick_)) {
    next_tick_ = Steady::now() + std::chrono::seconds(1);
  }
  ticking_ = frame.ticking;
}

int MainLoop::poll_timeout() const {
  if (dirty_) return 0;
  if (!ticking_) return -1;  // nothing changes on screen until something happens
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(next_tick_ - Steady::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

void MainLoop::on_signals() {
  for (int signal_number : signals_.take()) {
    if (signal_number == SIGWINCH) {
      terminal_.resize();
      view_.set_size(terminal_.rows(), terminal_.cols());
      dirty_ = true;
    } else if (signal_number == SIGINT) {
      // The reference treats Ctrl-C as a normal way out.
      ending_ = {true, 0, 0, ""};
    } else {
      ending_ = {true, 1, signal_number, ""};
    }
  }
}

void MainLoop::on_events() {
  EventQueue::Batch batch = queue_.take();
  const WallTime now = wall_now();
  if (batch.dropped != 0) {
    model_.log(Level::Error, "Dropped " + std::to_string(batch.dropped) +
                                 " D-Bus events: too many arrived at once", now);
  }
  for (const BusEvent& event : batch.events) {
    controller_.apply(event, now);
    if (const auto* lost = std::get_if<BusLost>(&event)) {
      ending_ = {true, 1, 0, lost->message};
    }
  }
  dirty_ = true;
}

void MainLoop::on_keys() {
  for (const KeyPress& key : terminal_.read_keys()) {
    switch (controller_.handle(key, wall_now())) {
      case Controller::Outcome::Continue: break;
      case Controller::Outcome::Quit: ending_ = {true, 0, 0, ""}; return;
      case Controller::Outcome::ClearScreen: terminal_.clear(); break;
      case Controller::Outcome::Resize:
        terminal_.resize();
        view_.set_size(terminal_.rows(), terminal_.cols());
        break;
    }
    dirty_ = true;
  }
}

}  // namespace

int run_monitor() {
  std::setlocale(LC_ALL, "");
  ::signal(SIGPIPE, SIG_IGN);
  auto signals = SignalFd::open();  // before any thread starts
  if (!signals) {
    std::cerr << "mandos-monitor: " << signals.error().message << "\n";
    return 1;
  }
  EventQueue queue;
  if (Status opened = queue.open(); !opened) {
    std::cerr << "mandos-monitor: " << opened.error().message << "\n";
    return 1;
  }
  auto bus = DBusClient::connect([&queue](BusEvent event) { queue.push(std::move(event)); });
  if (!bus) {
    std::cerr << "mandos-monitor: " << bus.error().message << "\n";
    return 1;
  }
  Ending ending;
  {
    auto terminal = Terminal::open();
    if (!terminal) {
      std::cerr << "mandos-monitor: " << terminal.error().message << "\n";
      return 1;
    }
    if (Status started = (*bus)->start(); !started) {
      ending = {true, 1, 0, started.error().message};
    } else {
      ending = MainLoop(**terminal, **signals, queue, **bus).run();
    }
  }  // the terminal is restored here, before anything can wait
  (*bus)->stop();
  if (!ending.message.empty()) std::cerr << "mandos-monitor: " << ending.message << "\n";
  if (ending.signal_number != 0) {
    bus->reset();
    signals->reset();  // unblocks: the re-raised signal takes its default action
    ::signal(ending.signal_number, SIG_DFL);
    ::raise(ending.signal_number);
  }
  return ending.status;
}

}  // namespace mandos::monitor
