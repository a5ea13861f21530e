// Plays the server's main process for mandos-tls-worker: makes the loopback
// listening socket and the channel, fork+execs the worker with them as fd 4
// and fd 3, and speaks the codec of server/common/ipc.hpp.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ipc.hpp"
#include "mandos/fd.hpp"
#include "mandos/privileges.hpp"
#include "mandos/result.hpp"

namespace mandos::test::worker {

struct Listener {
  UniqueFd fd;
  std::string host;  // what clients connect to
  int port = 0;
};

// A listening TCP socket on a loopback address: "::1", "127.0.0.1" (an
// AF_INET socket) or "::ffff:127.0.0.1" (AF_INET6, reached over IPv4).
// Port 0: any free port.
[[nodiscard]] Result<Listener> listen_on_loopback(const std::string& address = "::1",
                                                  int port = 0);

// Starts `binary` with fd 3 = channel_fd and fd 4 = listen_fd, stderr to
// stderr_fd (or /dev/null if -1), as `run_as` if set. Only async-signal-safe
// calls happen between fork and exec.
[[nodiscard]] Result<pid_t> spawn_worker(const std::string& binary,
                                         const std::vector<std::string>& args, int channel_fd,
                                         int listen_fd, int stderr_fd,
                                         std::optional<UserIds> run_as);

// The identity workers run as in tests: the server's user when the test
// runs as root, else the test's own.
std::optional<UserIds> unprivileged_identity();

class WorkerProcess {
 public:
  struct Options {
    std::string binary;
    std::vector<std::string> args;
    std::string stderr_path;  // empty: /dev/null
    bool drop_root = true;    // run as unprivileged_identity()
  };

  [[nodiscard]] static Result<std::unique_ptr<WorkerProcess>> start(const Options& options,
                                                                    int listen_fd);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  [[nodiscard]] Status send(const server::ipc::MainMessage& message);
  [[nodiscard]] Status send_raw(std::string_view bytes);
  // The next message; fails on timeout, EOF or a malformed frame.
  [[nodiscard]] Result<server::ipc::WorkerMessage> receive(std::chrono::milliseconds timeout);
  // True if a message or EOF is waiting right now.
  bool channel_readable();
  void close_channel() { channel_.reset(); }
  // The raw wait status once the worker exited, nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();

 private:
  WorkerProcess(pid_t pid, UniqueFd channel) : pid_(pid), channel_(std::move(channel)) {}

  pid_t pid_;
  UniqueFd channel_;
  server::ipc::WorkerMessageDecoder decoder_;
  std::optional<int> status_;
};

}  // namespace mandos::test::worker
