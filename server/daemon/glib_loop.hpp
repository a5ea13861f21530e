// The GLib main loop is the main process's only event loop: RAII for its
// sources, and how checkers get their standard streams. Timers are
// HeapScheduler (registry_timers.hpp); checkers are started by
// SpawningCheckerLauncher (checker_launcher.hpp) and reaped only through
// g_child_watch_add (no SIGCHLD handler of our own anywhere).
#pragma once

#include <glib.h>


namespace mandos::server {

// Removes a GLib source on destruction.
class SourceGuard {
 public:
  SourceGuard() = default;
  explicit SourceGuard(guint id) : id_(id) {}
  ~SourceGuard() { reset(); }
  SourceGuard(SourceGuard&& other) noexcept : id_(other.release()) {}
  SourceGuard& operator=(SourceGuard&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.release();
    }
    return *this;
  }
  SourceGuard(const SourceGuard&) = delete;
  SourceGuard& operator=(const SourceGuard&) = delete;
  void reset(guint id = 0) {
    if (id_ != 0) g_source_remove(id_);
    id_ = id;
  }
  guint release() {
    guint id = id_;
    id_ = 0;
    return id;
  }
  guint get() const { return id_; }

 private:
  guint id_ = 0;
};

// How checker processes get their standard streams (server.md §5).
struct CheckerStdio {
  bool stdin_dev_null = true;
  bool output_dev_null = false;
};

}  // namespace mandos::server
