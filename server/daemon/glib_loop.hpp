// The GLib main loop as the main process's only event loop: timers
// (Scheduler), checker processes reaped through g_child_watch_add (no
// SIGCHLD handler of our own anywhere) and RAII for GLib sources.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <string>

#include "daemon/registry.hpp"
#include "daemon/scheduler.hpp"

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

class GlibScheduler final : public Scheduler {
 public:
  GlibScheduler() = default;
  ~GlibScheduler() override;
  GlibScheduler(const GlibScheduler&) = delete;
  GlibScheduler& operator=(const GlibScheduler&) = delete;

  WallTime now() const override;
  TimerId schedule(Micros delay, std::function<void()> fn) override;
  void cancel(TimerId id) override;

 private:
  struct Timer {
    GlibScheduler* owner;
    TimerId id;
    guint source;
    std::function<void()> fn;
  };
  static gboolean fire(gpointer data);
  std::map<TimerId, std::unique_ptr<Timer>> timers_;
  TimerId next_ = 1;
};

// How checker processes get their standard streams (server.md §5).
struct CheckerStdio {
  bool stdin_dev_null = true;
  bool output_dev_null = false;
};

class GlibCheckerLauncher final : public CheckerLauncher {
 public:
  explicit GlibCheckerLauncher(CheckerStdio stdio) : stdio_(stdio) {}
  ~GlibCheckerLauncher() override;
  GlibCheckerLauncher(const GlibCheckerLauncher&) = delete;
  GlibCheckerLauncher& operator=(const GlibCheckerLauncher&) = delete;

  Result<int> start(const std::string& command, Done done) override;
  void signal(int id, int sig) override;

 private:
  struct Watch {
    GlibCheckerLauncher* owner;
    int pid;
    guint source;
    Done done;
  };
  static void reaped(GPid pid, gint status, gpointer data);
  CheckerStdio stdio_;
  std::map<int, std::unique_ptr<Watch>> watches_;
};

}  // namespace mandos::server
