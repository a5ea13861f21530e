#include "daemon/worker_session.hpp"

#include <string>
#include <type_traits>

namespace mandos::server {

Result<bool> UsedIds::insert(std::uint64_t id) {
  auto next = ranges_.upper_bound(id);  // first range starting after id
  if (next != ranges_.begin()) {
    auto previous = std::prev(next);
    if (id <= previous->second) return false;
    if (previous->second + 1 == id) {
      previous->second = id;
      if (next != ranges_.end() && next->first == id + 1) {
        previous->second = next->second;
        ranges_.erase(next);
      }
      return true;
    }
  }
  if (next != ranges_.end() && next->first == id + 1) {
    std::uint64_t last = next->second;
    ranges_.erase(next);
    ranges_.emplace(id, last);
    return true;
  }
  if (ranges_.size() >= kMaxRanges) {
    return fail("connection ids scattered over more than " + std::to_string(kMaxRanges) +
                " ranges");
  }
  ranges_.emplace(id, id);
  return true;
}

WorkerSession::WorkerSession(Registry& registry, Send send)
    : registry_(registry), send_(std::move(send)),
      self_(std::make_shared<WorkerSession*>(this)) {}

WorkerSession::~WorkerSession() {
  abandon();
  *self_ = nullptr;
}

void WorkerSession::abandon() {
  abandoned_ = true;
  auto open = std::move(open_);
  open_.clear();
  for (auto& [connection, state] : open) registry_.end_request(state.request, ipc::Outcome::PeerGone);
}

Status WorkerSession::handle(ipc::WorkerMessage message) {
  if (abandoned_) return fail("message after the session ended");
  return std::visit(
      [this](auto& m) -> Status {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, ipc::Hello>) {
          return on_hello(m);
        } else if constexpr (std::is_same_v<T, ipc::SecretRequest>) {
          return on_request(m);
        } else {
          return on_ended(m);
        }
      },
      message);
}

Status WorkerSession::on_hello(const ipc::Hello& hello) {
  if (hello_) return fail("second Hello");
  if (hello.version != ipc::kProtocolVersion) {
    return fail("protocol version " + std::to_string(hello.version) + ", expected " +
                std::to_string(ipc::kProtocolVersion));
  }
  hello_ = true;
  return {};
}

Status WorkerSession::on_request(ipc::SecretRequest& request) {
  // Phase 1: order and shape.
  if (!hello_) return fail("SecretRequest before Hello");
  if (!ipc::is_valid_key_id(request.key_id)) return fail("malformed key ID in SecretRequest");
  if (!ipc::is_valid_peer_address(request.peer_address)) {
    return fail("malformed peer address in SecretRequest");
  }
  // Phase 2: connection bookkeeping.
  if (open_.size() >= ipc::kMaxOutstandingRequests) {
    return fail("more than " + std::to_string(ipc::kMaxOutstandingRequests) +
                " outstanding requests");
  }
  auto fresh = used_.insert(request.connection);
  if (!fresh) return fresh.error();
  if (!*fresh) {
    return fail("connection id " + std::to_string(request.connection) + " reused");
  }
  // Phase 3: dispatch. The reply may come before begin_request returns.
  open_.emplace(request.connection, Connection{});
  std::weak_ptr<WorkerSession*> weak = self_;
  std::uint64_t connection = request.connection;
  RequestId id = registry_.begin_request(
      request.key_id, request.peer_address, [weak, connection](SecretReply reply) {
        auto self = weak.lock();
        if (self && *self != nullptr) (*self)->on_reply(connection, std::move(reply));
      });
  auto found = open_.find(connection);
  if (found != open_.end()) found->second.request = id;
  return {};
}

void WorkerSession::on_reply(std::uint64_t connection, SecretReply reply) {
  if (abandoned_) return;
  auto found = open_.find(connection);
  if (found == open_.end() || found->second.answered) return;
  found->second.answered = true;
  found->second.granted = reply.granted;
  if (reply.granted) {
    send_(ipc::SecretGrant{connection, std::move(reply.secret)});
  } else {
    send_(ipc::SecretRefusal{connection, reply.refusal});
  }
}

Status WorkerSession::on_ended(const ipc::ConnectionEnded& ended) {
  if (!hello_) return fail("ConnectionEnded before Hello");
  if (ended.outcome != ipc::Outcome::Delivered && ended.outcome != ipc::Outcome::PeerGone &&
      ended.outcome != ipc::Outcome::Failed) {
    return fail("unknown connection outcome");
  }
  auto found = open_.find(ended.connection);
  if (found == open_.end()) {
    return fail("ConnectionEnded for connection " + std::to_string(ended.connection) +
                " that has no open request");
  }
  Connection state = found->second;
  open_.erase(found);
  if (ended.outcome == ipc::Outcome::Delivered && !state.granted) {
    registry_.end_request(state.request, ipc::Outcome::Failed);
    return fail("Delivered reported for connection " + std::to_string(ended.connection) +
                " that was not granted a secret");
  }
  registry_.end_request(state.request, ended.outcome);
  return {};
}

}  // namespace mandos::server
