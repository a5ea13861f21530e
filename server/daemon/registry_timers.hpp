// HeapScheduler: the Scheduler of the registry's per-client timers (and any
// other main-process timer) on ONE GLib source.
//
// A GLib timeout source per timer would not scale: the registry keeps two
// timers per client (next checker, expiry), and GLib walks every attached
// source in each main-loop iteration (g_main_context_prepare/check), so
// with 10,000 clients each wake-up --
// every checker start, checker exit, worker message -- cost 20,000 source
// visits: with the default checker interval that was most of the server's
// idle CPU. Here the timers sit in an ordered map keyed by monotonic
// deadline and a single source's ready time is the earliest of them.
//
// Contract (as g_timeout_add would give): wall-clock now(), delays rounded up to
// whole milliseconds, monotonic timing (wall-clock jumps do not move
// timers), callbacks may schedule and cancel (also their own id).
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>

#include "daemon/scheduler.hpp"

namespace mandos::server {

class HeapScheduler final : public Scheduler {
 public:
  HeapScheduler();
  ~HeapScheduler() override;
  HeapScheduler(const HeapScheduler&) = delete;
  HeapScheduler& operator=(const HeapScheduler&) = delete;

  WallTime now() const override;
  TimerId schedule(Micros delay, std::function<void()> fn) override;
  // The deadline rounded up to a whole second of monotonic time: with
  // 10,000 clients, 83 checkers a second then start in one wake-up rather
  // than 83.
  TimerId schedule_coarse(Micros delay, std::function<void()> fn) override;
  void cancel(TimerId id) override;
  size_t pending() const { return timers_.size(); }

 private:
  using Key = std::pair<std::int64_t, TimerId>;  // monotonic deadline (µs), id
  static GSourceFuncs funcs_;
  static gboolean dispatch(GSource* source, GSourceFunc callback, gpointer data);
  static gboolean fire(gpointer data);
  void rearm();
  TimerId add(std::int64_t deadline, std::function<void()> fn);

  std::map<Key, std::function<void()>> timers_;
  std::unordered_map<TimerId, std::int64_t> deadline_of_;
  TimerId next_ = 1;
  GSource* source_ = nullptr;
};

}  // namespace mandos::server
