#include "event_queue.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace mandos::monitor {

EventQueue::EventQueue(std::size_t limit) : limit_(limit) {}

Status EventQueue::open() {
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) return fail(std::string("eventfd: ") + std::strerror(errno), errno);
  return {};
}

void EventQueue::push(BusEvent event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (events_.size() >= limit_) {
      ++dropped_;
      return;
    }
    events_.push_back(std::move(event));
  }
  if (wake_) {
    const std::uint64_t one = 1;
    // Cannot fail short of a counter overflow, which a drain resets.
    [[maybe_unused]] ssize_t written = ::write(wake_.get(), &one, sizeof one);
  }
}

EventQueue::Batch EventQueue::take() {
  if (wake_) {
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t got = ::read(wake_.get(), &count, sizeof count);
  }
  Batch batch;
  std::lock_guard<std::mutex> lock(mutex_);
  batch.events.reserve(events_.size());
  for (BusEvent& event : events_) batch.events.push_back(std::move(event));
  events_.clear();
  batch.dropped = std::exchange(dropped_, 0);
  return batch;
}

}  // namespace mandos::monitor
