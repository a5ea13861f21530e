// The privilege-separation boundary of the server.
//
// The main process (client registry, secrets, timers, checkers, D-Bus)
// never parses network input. Untrusted peers are handled by
// `mandos-tls-worker` processes: fork+exec'd (fresh memory: no secrets
// inherited), unprivileged, each multiplexing many connections. A worker
// learns a client's secret only after a peer completed a TLS handshake with
// that client's key, for that one connection.
//
// Transport: a SOCK_STREAM socketpair, fd 3 in the worker. Every message is
// a frame: u32 type, u32 payload length (both little-endian), payload.
// Strings inside payloads are u32 length + bytes. Anything malformed,
// oversized, of unknown type or out of order ends the session: the main
// process kills the worker; a worker exits.
//
// Conversation:
//   worker -> main  Hello{version}                 once, first
//   worker -> main  SecretRequest{conn, key_id, peer}   after a handshake
//   main -> worker  SecretGrant{conn, secret} | SecretRefusal{conn, reason}
//                   (possibly much later: approval may wait)
//   worker -> main  ConnectionEnded{conn, outcome}  for every requested conn
// Rules the main process enforces per worker: one SecretRequest per conn id,
// conn ids never reused, key_id exactly 64 upper-case hex digits, peer
// address at most kMaxPeerAddress printable ASCII bytes, at most
// kMaxOutstandingRequests open requests.
//
// Payload layouts (integers little-endian; "str" = u32 length + bytes):
//   Hello            u32 version (must equal kProtocolVersion)
//   SecretRequest    u64 conn, str key_id, str peer_address
//   ConnectionEnded  u64 conn, u32 outcome
//   SecretGrant      u64 conn, str secret (at most kMaxSecretSize bytes)
//   SecretRefusal    u64 conn, u32 reason
// The decoders check everything they can see in one frame: the length
// against kMaxFrameSize (before the payload arrives), the type against the
// direction, the payload consumed exactly, enum values known, conn != 0,
// key_id and peer_address valid. Sequencing (Hello first, one request per
// conn, answers only to open requests) is for the receiving session.
// encode() expects a valid message (the decoder's rules); the sender
// validates first, or the receiver ends the session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::server::ipc {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kMaxSecretSize = 1 << 20;  // 1 MiB; clients.conf loader enforces it too
inline constexpr size_t kMaxPeerAddress = 128;
inline constexpr size_t kMaxFrameSize = kMaxSecretSize + 64;
inline constexpr size_t kMaxOutstandingRequests = 4096;
inline constexpr int kWorkerChannelFd = 3;  // where the worker finds its socket
inline constexpr int kListenFd = 4;         // where the worker finds the listening socket

enum class MessageType : uint32_t {
  Hello = 1,
  SecretRequest = 2,
  ConnectionEnded = 3,
  SecretGrant = 4,
  SecretRefusal = 5,
};

enum class Refusal : uint32_t {
  NotFound = 1,          // no client has this key ID
  Disabled = 2,          // Rejected("Disabled")
  Denied = 3,            // Rejected("Denied")
  ApprovalTimedOut = 4,  // Rejected("Approval timed out")
};

enum class Outcome : uint32_t {
  Delivered = 1,  // every secret byte handed to TLS (a failed close_notify
                  // exchange afterwards is only logged, as the reference does)
  PeerGone = 2,   // peer disconnected while waiting
  Failed = 3,     // TLS error or timeout before all bytes went out, or a
                  // refusal sent
};

struct Hello {
  uint32_t version = kProtocolVersion;
};
struct SecretRequest {
  uint64_t connection = 0;
  std::string key_id;        // 64 upper-case hex digits
  std::string peer_address;  // e.g. "::1", "fe80::1%eth0", "::ffff:10.0.0.1"
};
struct ConnectionEnded {
  uint64_t connection = 0;
  Outcome outcome = Outcome::Failed;
};
struct SecretGrant {
  uint64_t connection = 0;
  SecretBytes secret;
};
struct SecretRefusal {
  uint64_t connection = 0;
  Refusal reason = Refusal::NotFound;
};

using WorkerMessage = std::variant<Hello, SecretRequest, ConnectionEnded>;
using MainMessage = std::variant<SecretGrant, SecretRefusal>;

// Frames are returned as SecretBytes because grants carry secrets.
SecretBytes encode(const WorkerMessage& message);
SecretBytes encode(const MainMessage& message);

// Incremental decoders for a byte stream. next() returns nullopt when more
// bytes are needed and an Error for anything malformed (then the stream is
// dead: every later next() fails too). Each direction accepts only its own
// message types.
class WorkerMessageDecoder {
 public:
  void feed(const char* data, size_t size);
  Result<std::optional<WorkerMessage>> next();

 private:
  SecretBytes buffer_;
  size_t consumed_ = 0;
  bool failed_ = false;
};

class MainMessageDecoder {
 public:
  void feed(const char* data, size_t size);
  Result<std::optional<MainMessage>> next();

 private:
  SecretBytes buffer_;
  size_t consumed_ = 0;
  bool failed_ = false;
};

// Validation shared by both ends. A key ID is exactly 64 of 0-9A-F; a peer
// address is 1 to kMaxPeerAddress visible ASCII bytes (0x21-0x7E).
bool is_valid_key_id(std::string_view key_id);
bool is_valid_peer_address(std::string_view address);

}  // namespace mandos::server::ipc
