// The main process's side of one worker's conversation (common/ipc.hpp),
// without any I/O: it checks every message against the per-worker rules and
// turns valid ones into registry requests. Any violation is returned as an
// error; the caller then kills the worker (OpenSSH monitor style: anything
// unexpected ends the session).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "common/ipc.hpp"
#include "daemon/registry.hpp"
#include "mandos/result.hpp"

namespace mandos::server {

// Connection ids a worker has used, as merged ranges (a counter stays one
// range). Bounded: a worker that scatters ids over more ranges than this is
// treated as misbehaving.
class UsedIds {
 public:
  static constexpr size_t kMaxRanges = 1 << 16;
  // False if id was used before; error if the set would grow past the bound.
  [[nodiscard]] Result<bool> insert(std::uint64_t id);
  size_t ranges() const { return ranges_.size(); }

 private:
  std::map<std::uint64_t, std::uint64_t> ranges_;  // first -> last, inclusive
};

class WorkerSession {
 public:
  using Send = std::function<void(ipc::MainMessage)>;
  WorkerSession(Registry& registry, Send send);
  ~WorkerSession();
  WorkerSession(const WorkerSession&) = delete;
  WorkerSession& operator=(const WorkerSession&) = delete;

  // Validates and dispatches one message. An error means: kill the worker.
  [[nodiscard]] Status handle(ipc::WorkerMessage message);
  // The worker is gone: every open connection ends as PeerGone (pending
  // approval counts are released) and no replies are sent any more.
  void abandon();

  bool hello_received() const { return hello_; }
  size_t outstanding() const { return open_.size(); }

 private:
  struct Connection {
    RequestId request = 0;
    bool answered = false;
    bool granted = false;
  };
  Status on_hello(const ipc::Hello& hello);
  Status on_request(ipc::SecretRequest& request);
  Status on_ended(const ipc::ConnectionEnded& ended);
  void on_reply(std::uint64_t connection, SecretReply reply);

  Registry& registry_;
  Send send_;
  bool hello_ = false;
  bool abandoned_ = false;
  std::unordered_map<std::uint64_t, Connection> open_;
  UsedIds used_;
  std::shared_ptr<WorkerSession*> self_;
};

}  // namespace mandos::server
