// Time for the main process: the wall clock (timestamps shown over D-Bus and
// kept in the state file) and one-shot timers. Registry logic depends only
// on this interface, so unit tests drive it with a virtual clock (no real
// sleeps) and the daemon with the GLib main loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

#include "mandos/timestamp.hpp"

namespace mandos::server {

using Micros = std::chrono::microseconds;
using TimerId = std::uint64_t;  // 0 is never a valid timer

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual WallTime now() const = 0;
  // Calls fn once, `delay` from now (negative delays count as zero). The
  // callback may schedule and cancel timers, including its own id (no-op).
  virtual TimerId schedule(Micros delay, std::function<void()> fn) = 0;
  // Like schedule(), but the call may come up to a second late, so that
  // timers due around the same time run in one wake-up (as GLib's
  // g_timeout_add_seconds does). For minute-scale timers of many clients:
  // checker starts and expiry.
  virtual TimerId schedule_coarse(Micros delay, std::function<void()> fn) {
    return schedule(delay, std::move(fn));
  }
  // Cancelling an unknown, fired or zero id is a no-op.
  virtual void cancel(TimerId id) = 0;
};

// Cancels a timer and zeroes the id, so "id != 0" means "armed".
inline void cancel_timer(Scheduler& scheduler, TimerId& id) {
  if (id != 0) scheduler.cancel(id);
  id = 0;
}

}  // namespace mandos::server
