// Checker processes started off the main loop and reaped by GLib child
// watches.
//
// Two costs made the straightforward fork() in the main loop unworkable with
// thousands of clients (10,000 clients at the default 2-minute interval start
// 83 checkers a second):
// * fork() copies the page tables of the whole main process: about 1.7 ms of
//   CPU per checker with 50 MB resident. vfork() runs the child on the
//   parent's memory until exec (posix_spawn() too, but it maps and unmaps a
//   stack per child; vfork cut this thread's CPU by about a third).
// * With vfork the caller waits until the child has exec'd, which
//   on a loaded machine is tens of milliseconds: in the main loop that
//   stalled every connection. So one thread does the spawning; the main loop
//   only queues a command and later gets the pid.
// Checker timers are coarse (whole seconds), so a second's checkers arrive
// together. The thread starts them 3 ms apart (back to back, each vfork
// cost twice the CPU or more) and tells the main loop once per batch, after
// the last has had time to finish: one wake-up takes the pids and reaps most
// of them, instead of two wake-ups per checker.
#pragma once

#include <glib.h>
#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/glib_loop.hpp"
#include "daemon/registry.hpp"
#include "mandos/fd.hpp"

namespace mandos::server {

class SpawningCheckerLauncher final : public CheckerLauncher {
 public:
  explicit SpawningCheckerLauncher(CheckerStdio stdio);
  ~SpawningCheckerLauncher() override;
  SpawningCheckerLauncher(const SpawningCheckerLauncher&) = delete;
  SpawningCheckerLauncher& operator=(const SpawningCheckerLauncher&) = delete;

  // Queues `/bin/sh -c command`: own process group, cwd /, signals at their
  // defaults and unblocked, stdio per CheckerStdio, no other descriptors.
  // Returns an id (not a pid). `done` gets the wait status once reaped; if
  // /bin/sh cannot be started at all, an error is logged and `done` gets
  // exit status 127, as from a shell that cannot find a command.
  Result<int> start(const std::string& command, Done done) override;
  // To the checker's whole process group while it is not reaped; a signal
  // for a checker not started yet is delivered as soon as it is.
  void signal(int id, int sig) override;
  // Checkers queued, starting or running (not reaped yet).
  size_t running() const { return checkers_.size(); }

 private:
  struct Checker {
    SpawningCheckerLauncher* owner;
    int id;
    pid_t pid = 0;      // 0 until spawned
    guint watch = 0;    // child watch source
    int pending_signal = 0;
    Done done;
  };
  struct Request {
    int id;
    std::string command;
  };
  struct Spawned {
    int id;
    pid_t pid;
    int error;  // errno of vfork, or of exec in the child; 0 on success
  };

  void spawn_loop();
  void notify_main_loop();  // with mutex_ held
  void take_spawned();
  static gboolean on_spawned(gint fd, GIOCondition condition, gpointer data);
  static void reaped(GPid pid, gint status, gpointer data);

  CheckerStdio stdio_;
  std::map<int, std::unique_ptr<Checker>> checkers_;  // main loop only
  int next_id_ = 1;
  UniqueFd wakeup_;  // eventfd: the thread has spawned something
  guint wakeup_source_ = 0;

  std::mutex mutex_;  // guards the three below
  std::condition_variable requested_;
  std::deque<Request> requests_;
  std::vector<Spawned> spawned_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace mandos::server
