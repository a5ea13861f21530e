// Helpers for tests that run real programs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mandos/child.hpp"
#include "mandos/privileges.hpp"

namespace mandos::test {

using namespace std::chrono_literals;

// A fresh directory (mode 0755, so unprivileged test processes can enter it),
// removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "mandos-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);
std::string read_file(const std::string& path);
void remove_tree(const std::string& path);

struct RunOptions {
  std::vector<std::string> env_add;                     // "K=V" added to the inherited env
  std::optional<std::vector<std::string>> environment;  // replaces the env entirely
  std::string input;                                    // written to stdin, then closed
  std::chrono::milliseconds timeout = 60s;              // then SIGKILL
  std::optional<UserIds> run_as;
  std::string working_directory;
  bool new_process_group = true;
};

struct RunResult {
  int wait_status = 0;
  bool exited = false;
  int exit_code = -1;
  int signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
};

RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// A long-running program (e.g. a server) with stdout/stderr going to files.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_dir,
                    const RunOptions& options = {});
  ~BackgroundProcess();
  pid_t pid() const { return child_.pid(); }
  bool running();
  // Sends sig and waits up to timeout; then SIGKILL.
  RunResult stop(int sig = 15, std::chrono::milliseconds timeout = 10s);
  std::string stdout_text() const;
  std::string stderr_text() const;
  // Polls stderr until it contains text.
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout = 10s);

 private:
  ChildProcess child_;
  std::string out_path_;
  std::string err_path_;
  std::optional<RunResult> result_;
};

std::string build_path(const std::string& relative);
std::string source_path(const std::string& relative);

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = 20ms);
bool wait_for_tcp_port(const std::string& address, int port,
                       std::chrono::milliseconds timeout = 10s);
// A TCP port that was free on loopback a moment ago.
int free_tcp_port();

// Combined environment "inherited + additions" for SpawnOptions.
std::vector<std::string> environment_with(const std::vector<std::string>& additions);

}  // namespace mandos::test
