#include "daemon/registry_timers.hpp"

#include <exception>

#include "mandos/log.hpp"

namespace mandos::server {
namespace {

// Timers run per main-loop iteration at most: a backlog (a loaded machine,
// thousands of clients) then cannot hold off sockets and signals for long.
constexpr int kMaxTimersPerIteration = 256;

std::int64_t round_up(std::int64_t value, std::int64_t unit) {
  return (value + unit - 1) / unit * unit;
}

}  // namespace

// No prepare/check: GLib dispatches the source once its ready time passed.
GSourceFuncs HeapScheduler::funcs_ = {nullptr, nullptr, &HeapScheduler::dispatch,
                                      nullptr, nullptr, nullptr};

HeapScheduler::HeapScheduler() {
  source_ = g_source_new(&funcs_, sizeof(GSource));
  g_source_set_callback(source_, &HeapScheduler::fire, this, nullptr);
  g_source_set_ready_time(source_, -1);
  g_source_attach(source_, nullptr);
}

HeapScheduler::~HeapScheduler() {
  g_source_destroy(source_);
  g_source_unref(source_);
}

WallTime HeapScheduler::now() const { return wall_now(); }

TimerId HeapScheduler::schedule(Micros delay, std::function<void()> fn) {
  // Whole milliseconds, rounded up, as g_timeout_add has it.
  const std::int64_t us = delay < Micros::zero() ? 0 : round_up(delay.count(), 1000);
  return add(g_get_monotonic_time() + us, std::move(fn));
}

TimerId HeapScheduler::schedule_coarse(Micros delay, std::function<void()> fn) {
  const std::int64_t us = delay < Micros::zero() ? 0 : delay.count();
  return add(round_up(g_get_monotonic_time() + us, 1'000'000), std::move(fn));
}

TimerId HeapScheduler::add(std::int64_t deadline, std::function<void()> fn) {
  const TimerId id = next_++;
  timers_.emplace(Key{deadline, id}, std::move(fn));
  deadline_of_.emplace(id, deadline);
  const std::int64_t ready = g_source_get_ready_time(source_);
  if (ready < 0 || deadline < ready) g_source_set_ready_time(source_, deadline);
  return id;
}

void HeapScheduler::cancel(TimerId id) {
  auto found = deadline_of_.find(id);
  if (found == deadline_of_.end()) return;
  timers_.erase(Key{found->second, id});
  deadline_of_.erase(found);
  // The source may now wake once for nothing; rearm() then sets it right.
}

void HeapScheduler::rearm() {
  g_source_set_ready_time(source_, timers_.empty() ? -1 : timers_.begin()->first.first);
}

gboolean HeapScheduler::dispatch(GSource*, GSourceFunc callback, gpointer data) {
  return callback(data);
}

gboolean HeapScheduler::fire(gpointer data) {
  auto* self = static_cast<HeapScheduler*>(data);
  // Only what is due now: timers that callbacks add with no delay wait for
  // the next iteration, so a callback that keeps rescheduling itself cannot
  // starve sockets and signals.
  const std::int64_t now = g_get_monotonic_time();
  for (int run = 0; run < kMaxTimersPerIteration && !self->timers_.empty() &&
                    self->timers_.begin()->first.first <= now;
       ++run) {
    auto first = self->timers_.begin();
    std::function<void()> fn = std::move(first->second);
    self->deadline_of_.erase(first->first.second);
    self->timers_.erase(first);
    try {
      fn();
    } catch (const std::exception& e) {
      log::error("Internal error in timer: ", e.what());
    }
  }
  self->rearm();
  return G_SOURCE_CONTINUE;
}

}  // namespace mandos::server
