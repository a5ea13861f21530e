// One client connection in the worker: a non-blocking state machine.
//
//   ReadingLine -> Handshaking -> WaitingForMain -> Sending -> Closing -> Done
//                                       |  (refusal)            ^
//                                       +-----------------------+
//
// ReadingLine and Handshaking share one deadline (accept + handshake
// timeout); Sending and Closing share another (answer + close timeout).
// WaitingForMain has none (approval may take minutes) but watches the socket
// so a peer that goes away is noticed at once. The connection never blocks
// and never logs client-level outcomes (the main process does).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/ipc.hpp"
#include "mandos/fd.hpp"
#include "mandos/secret.hpp"
#include "mandos/tls.hpp"
#include "worker/peer_address.hpp"

namespace mandos::server::worker {

using Clock = std::chrono::steady_clock;

struct ConnectionSettings {
  std::string priority;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds close_timeout{10'000};
};

// What the connection waits for on its socket.
enum class Interest { None, Read, Write };

class Connection {
 public:
  using Outbox = std::function<void(ipc::WorkerMessage)>;

  enum class State { ReadingLine, Handshaking, WaitingForMain, Sending, Closing, Done };

  // Takes the accepted (non-blocking) socket; the deadline starts now.
  Connection(uint64_t id, UniqueFd socket, PeerAddress peer, const ConnectionSettings& settings,
             Outbox outbox);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint64_t id() const { return id_; }
  int fd() const { return socket_.get(); }
  State state() const { return state_; }
  Interest interest() const;
  std::optional<Clock::time_point> deadline() const { return deadline_; }
  const PeerAddress& peer() const { return peer_; }

  // The socket is ready (or may be): advance as far as possible.
  void on_ready();
  // The deadline passed.
  void on_deadline();
  // Answers from the main process; only valid in WaitingForMain.
  void on_grant(SecretBytes secret);
  void on_refusal();

 private:
  enum class Step { Continue, Wait };

  Step read_line();
  Step handshake();
  Step watch_peer();
  Step send_secret();
  Step close_tls();
  Step start_handshake();
  void after_handshake();
  void start_closing(bool delivered);
  void end(ipc::Outcome outcome);

  uint64_t id_;
  UniqueFd socket_;
  PeerAddress peer_;
  const ConnectionSettings& settings_;
  Outbox outbox_;

  State state_ = State::ReadingLine;
  tls::Wait wait_ = tls::Wait::kRead;
  std::optional<Clock::time_point> deadline_;
  std::string line_;
  std::optional<tls::Session> session_;
  bool requested_ = false;  // a SecretRequest went to the main process
  bool delivered_ = false;  // every secret byte went to TLS
  SecretBytes secret_;
  size_t sent_ = 0;
};

}  // namespace mandos::server::worker
