// Child processes: spawn with explicit fds, environment, process group and
// identity; ChildProcess owns the pid and kills + reaps it if it is dropped
// while still running. Programs that reap through an event loop (the
// server's GLib child watches) take the pid over with release().
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "mandos/privileges.hpp"
#include "mandos/result.hpp"

namespace mandos {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the path executed (no PATH search)
  std::optional<std::vector<std::string>> environment;  // "K=V" list; nullopt inherits
  std::string working_directory;                        // empty: unchanged
  static constexpr int kInherit = -2;
  static constexpr int kDevNull = -1;
  int stdin_fd = kDevNull;
  int stdout_fd = kInherit;
  int stderr_fd = kInherit;
  bool new_process_group = false;  // so a kill reaches the whole tree
  std::optional<UserIds> run_as;   // drop to this identity before exec
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(pid_t pid, bool own_group) : pid_(pid), own_group_(own_group) {}
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Sends sig to the child, or to its whole process group if it has one.
  void signal(int sig) const;
  // Blocks until the child exits; returns the raw wait status.
  Result<int> wait();
  // Gives up ownership (someone else reaps); returns the pid.
  pid_t release();

 private:
  pid_t pid_ = -1;
  bool own_group_ = false;
};

Result<ChildProcess> spawn(const SpawnOptions& options);

// "exited with status N" / "killed by signal SIGTERM" for logs.
std::string describe_wait_status(int status);

}  // namespace mandos
