#include "daemon/glib_loop.hpp"

#include <signal.h>
#include <sys/wait.h>

#include "mandos/child.hpp"
#include "mandos/log.hpp"

namespace mandos::server {

GlibScheduler::~GlibScheduler() {
  for (auto& [id, timer] : timers_) g_source_remove(timer->source);
}

WallTime GlibScheduler::now() const { return wall_now(); }

TimerId GlibScheduler::schedule(Micros delay, std::function<void()> fn) {
  auto timer = std::make_unique<Timer>(Timer{this, next_++, 0, std::move(fn)});
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      delay < Micros::zero() ? Micros::zero() : delay + Micros(999));
  guint interval = ms.count() > G_MAXUINT ? G_MAXUINT : static_cast<guint>(ms.count());
  timer->source = g_timeout_add(interval, &GlibScheduler::fire, timer.get());
  TimerId id = timer->id;
  timers_.emplace(id, std::move(timer));
  return id;
}

void GlibScheduler::cancel(TimerId id) {
  auto found = timers_.find(id);
  if (found == timers_.end()) return;
  g_source_remove(found->second->source);
  timers_.erase(found);
}

gboolean GlibScheduler::fire(gpointer data) {
  auto* timer = static_cast<Timer*>(data);
  GlibScheduler* owner = timer->owner;
  // Take the timer out first: the callback may schedule or cancel timers.
  auto found = owner->timers_.find(timer->id);
  std::unique_ptr<Timer> self = std::move(found->second);
  owner->timers_.erase(found);
  try {
    self->fn();
  } catch (const std::exception& e) {
    log::error("Internal error in timer: ", e.what());
  }
  return G_SOURCE_REMOVE;
}

GlibCheckerLauncher::~GlibCheckerLauncher() {
  for (auto& [pid, watch] : watches_) g_source_remove(watch->source);
}

Result<int> GlibCheckerLauncher::start(const std::string& command, Done done) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", command};
  options.working_directory = "/";
  options.new_process_group = true;  // so stopping it reaches the whole tree
  options.stdin_fd = stdio_.stdin_dev_null ? SpawnOptions::kDevNull : SpawnOptions::kInherit;
  int output = stdio_.output_dev_null ? SpawnOptions::kDevNull : SpawnOptions::kInherit;
  options.stdout_fd = output;
  options.stderr_fd = output;
  auto child = spawn(options);
  if (!child) return child.error();
  int pid = child->release();
  auto watch = std::make_unique<Watch>(Watch{this, pid, 0, std::move(done)});
  watch->source = g_child_watch_add(pid, &GlibCheckerLauncher::reaped, watch.get());
  watches_.emplace(pid, std::move(watch));
  return pid;
}

void GlibCheckerLauncher::signal(int id, int sig) {
  // Only while unreaped: afterwards the process group id may be reused.
  if (watches_.count(id) == 0) return;
  if (::kill(-id, sig) != 0) ::kill(id, sig);
}

void GlibCheckerLauncher::reaped(GPid pid, gint status, gpointer data) {
  auto* watch = static_cast<Watch*>(data);
  GlibCheckerLauncher* owner = watch->owner;
  auto found = owner->watches_.find(pid);
  std::unique_ptr<Watch> self = std::move(found->second);
  owner->watches_.erase(found);
  g_spawn_close_pid(pid);
  try {
    if (self->done) self->done(status);
  } catch (const std::exception& e) {
    log::error("Internal error after checker exit: ", e.what());
  }
}

}  // namespace mandos::server
