// The hand-over from the D-Bus thread to the UI thread: a locked queue and
// an eventfd that becomes readable while events wait, so that the UI can
// poll it together with the terminal.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "events.hpp"
#include "mandos/fd.hpp"
#include "mandos/result.hpp"

namespace mandos::monitor {

class EventQueue {
 public:
  // A misbehaving bus peer must not exhaust memory while the UI is busy:
  // beyond this many waiting events new ones are counted and dropped.
  static constexpr std::size_t kDefaultLimit = 100000;

  explicit EventQueue(std::size_t limit = kDefaultLimit);
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Opens the eventfd; before this, push() only queues.
  [[nodiscard]] Status open();
  int fd() const { return wake_.get(); }

  // Any thread.
  void push(BusEvent event);
  // UI thread: everything waiting, oldest first, and how many were dropped
  // since the last call.
  struct Batch {
    std::vector<BusEvent> events;
    std::size_t dropped = 0;
  };
  [[nodiscard]] Batch take();

 private:
  std::mutex mutex_;
  std::deque<BusEvent> events_;
  std::size_t limit_;
  std::size_t dropped_ = 0;
  UniqueFd wake_;
};

}  // namespace mandos::monitor
