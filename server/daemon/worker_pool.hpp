// The pool of `mandos-tls-worker` processes: fork+exec'd with fd 3 = their
// end of a socketpair and fd 4 = the listening socket, watched through the
// GLib loop, killed on any protocol violation, respawned with back-off when
// they die. Workers exit by themselves when the main process dies (they see
// EOF on fd 3).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/ipc.hpp"
#include "daemon/glib_loop.hpp"
#include "daemon/registry.hpp"
#include "daemon/worker_session.hpp"
#include "mandos/fd.hpp"

namespace mandos::server {

struct WorkerPoolOptions {
  std::string program;             // path of mandos-tls-worker
  std::vector<std::string> args;   // after argv[0]
  int count = 2;
  int listen_fd = -1;
  Micros min_backoff = std::chrono::seconds(1);
  Micros max_backoff = std::chrono::seconds(60);
  // A worker that lived this long restarts with min_backoff again.
  Micros healthy_lifetime = std::chrono::seconds(60);
  // Unsent replies beyond this mean the worker stopped reading: kill it.
  size_t max_pending_output = size_t{64} << 20;
};

// Where mandos-tls-worker is: next to our own executable (build tree), else
// at ../lib/<multiarch>/mandos or ../lib/mandos from it (installed, whatever
// prefix the build was configured for), else the compile-time
// MANDOS_WORKER_PATH. Empty if none is executable.
std::string find_worker_program();

// Number of workers by default: online CPUs, at least 2.
int default_worker_count();

class WorkerPool {
 public:
  WorkerPool(Registry& registry, Scheduler& scheduler, WorkerPoolOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  [[nodiscard]] Status start();
  // Closes every channel, asks workers to exit and reaps them (bounded wait).
  void stop();
  // pids of live workers (for tests and logs).
  std::vector<pid_t> pids() const;

 private:
  struct Worker;
  struct Slot {
    std::unique_ptr<Worker> worker;
    Micros backoff;
    TimerId respawn = 0;
  };
  Status spawn(size_t slot);
  void on_readable(Worker& worker);
  void on_writable(Worker& worker);
  void send(Worker& worker, const ipc::MainMessage& message);
  void flush(Worker& worker);
  void kill_worker(Worker& worker, const std::string& reason);
  void close_channel(Worker& worker);
  void on_exit(size_t slot, pid_t pid, int status);
  static gboolean readable_cb(gint fd, GIOCondition condition, gpointer data);
  static gboolean writable_cb(gint fd, GIOCondition condition, gpointer data);
  static void exit_cb(GPid pid, gint status, gpointer data);

  Registry& registry_;
  Scheduler& scheduler_;
  WorkerPoolOptions options_;
  std::vector<Slot> slots_;
  bool stopping_ = false;
};

}  // namespace mandos::server
