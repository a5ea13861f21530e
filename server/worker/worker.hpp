// The worker's single-threaded event loop: the channel to the main process,
// the shared listening socket and every connection, multiplexed with epoll.
// Fate sharing: when the channel closes or fails, the worker stops at once;
// a malformed message from the main process stops it with an error.
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "common/ipc.hpp"
#include "mandos/fd.hpp"
#include "mandos/result.hpp"
#include "worker/connection.hpp"

namespace mandos::server::worker {

struct WorkerSettings {
  ConnectionSettings connection;
  size_t max_connections = 1024;
};

class Worker {
 public:
  // Takes the channel and the listening socket (both made non-blocking).
  [[nodiscard]] static Result<std::unique_ptr<Worker>> create(const WorkerSettings& settings,
                                                              UniqueFd channel,
                                                              UniqueFd listener);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Sends Hello, then serves until the channel ends. Returns the exit
  // status: 0 when the main process closed the channel, 1 on errors.
  int run();

 private:
  struct Entry {
    std::unique_ptr<Connection> connection;
    uint32_t events = 0;                         // registered with epoll
    std::optional<Clock::time_point> deadline;  // registered in deadlines_
  };

  Worker(const WorkerSettings& settings, UniqueFd epoll, UniqueFd channel, UniqueFd listener);

  void stop(int status);
  int timeout_ms() const;
  void dispatch(const epoll_event& event);

  // Channel
  void send_to_main(const ipc::WorkerMessage& message);
  void flush_channel();
  void read_channel();
  void handle(ipc::MainMessage message);
  void update_channel_events();

  // Listening socket
  void accept_connections();
  void set_accepting(bool on);
  void update_accepting();

  // Connections
  void sync(uint64_t id);
  void expire_deadlines();

  WorkerSettings settings_;
  UniqueFd epoll_;
  UniqueFd channel_;
  UniqueFd listener_;
  ipc::MainMessageDecoder decoder_;
  std::deque<SecretBytes> outgoing_;
  size_t outgoing_offset_ = 0;
  bool channel_wants_write_ = false;

  bool accepting_ = false;
  std::optional<Clock::time_point> accept_paused_until_;  // after EMFILE and the like

  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Entry> connections_;
  std::set<std::pair<Clock::time_point, uint64_t>> deadlines_;

  std::optional<int> exit_status_;
};

}  // namespace mandos::server::worker
