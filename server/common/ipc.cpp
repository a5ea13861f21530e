// The frame codec of the privilege-separation boundary (ipc.hpp). Both
// directions share the framing; each decoder has its own dispatch table of
// permitted message types. Every length is checked before it is trusted.
#include "common/ipc.hpp"

#include <array>
#include <cstring>
#include <string>
#include <string_view>

namespace mandos::server::ipc {
namespace {

constexpr size_t kHeaderSize = 8;
constexpr size_t kKeyIdSize = 64;

// Largest payload each type can have; anything longer is rejected from the
// header alone, before the payload is buffered.
constexpr size_t kHelloSize = 4;
constexpr size_t kEndedSize = 8 + 4;
constexpr size_t kRefusalSize = 8 + 4;
constexpr size_t kMaxRequestSize = 8 + 4 + kKeyIdSize + 4 + kMaxPeerAddress;
constexpr size_t kMaxGrantSize = 8 + 4 + kMaxSecretSize;
static_assert(kMaxGrantSize <= kMaxFrameSize);

std::string_view type_name(uint32_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::Hello: return "Hello";
    case MessageType::SecretRequest: return "SecretRequest";
    case MessageType::ConnectionEnded: return "ConnectionEnded";
    case MessageType::SecretGrant: return "SecretGrant";
    case MessageType::SecretRefusal: return "SecretRefusal";
  }
  return "unknown";
}

Error ipc_error(std::string_view what) { return fail("IPC: " + std::string(what)); }

// ---------------------------------------------------------------------------
// Encoding

void put_u32(std::string& out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(value >> shift));
}

void put_u64(std::string& out, uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) out.push_back(static_cast<char>(value >> shift));
}

void put_string(std::string& out, std::string_view text) {
  put_u32(out, static_cast<uint32_t>(text.size()));
  out.append(text);
}

// Header + fields that hold no secret.
SecretBytes frame(MessageType type, const std::string& payload) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(type));
  put_u32(out, static_cast<uint32_t>(payload.size()));
  out += payload;
  return SecretBytes(out);
}

struct WorkerEncoder {
  SecretBytes operator()(const Hello& hello) const {
    std::string payload;
    put_u32(payload, hello.version);
    return frame(MessageType::Hello, payload);
  }
  SecretBytes operator()(const SecretRequest& request) const {
    std::string payload;
    put_u64(payload, request.connection);
    put_string(payload, request.key_id);
    put_string(payload, request.peer_address);
    return frame(MessageType::SecretRequest, payload);
  }
  SecretBytes operator()(const ConnectionEnded& ended) const {
    std::string payload;
    put_u64(payload, ended.connection);
    put_u32(payload, static_cast<uint32_t>(ended.outcome));
    return frame(MessageType::ConnectionEnded, payload);
  }
};

struct MainEncoder {
  SecretBytes operator()(const SecretGrant& grant) const {
    // The secret goes straight from one SecretBytes into another so that no
    // unwiped copy is left behind.
    std::string prefix;
    put_u32(prefix, static_cast<uint32_t>(MessageType::SecretGrant));
    put_u32(prefix, static_cast<uint32_t>(8 + 4 + grant.secret.size()));
    put_u64(prefix, grant.connection);
    put_u32(prefix, static_cast<uint32_t>(grant.secret.size()));
    SecretBytes out(prefix);
    out.append(grant.secret.data(), grant.secret.size());
    return out;
  }
  SecretBytes operator()(const SecretRefusal& refusal) const {
    std::string payload;
    put_u64(payload, refusal.connection);
    put_u32(payload, static_cast<uint32_t>(refusal.reason));
    return frame(MessageType::SecretRefusal, payload);
  }
};

// ---------------------------------------------------------------------------
// Decoding

// Reads fields from one payload; every read is bounds-checked.
class Reader {
 public:
  Reader(std::string_view payload, std::string_view message)
      : payload_(payload), message_(message) {}

  Result<uint32_t> u32(std::string_view field) {
    if (payload_.size() - pos_ < 4) return truncated(field);
    uint32_t value = 0;
    for (int i = 3; i >= 0; --i) {
      value = (value << 8) | static_cast<unsigned char>(payload_[pos_ + static_cast<size_t>(i)]);
    }
    pos_ += 4;
    return value;
  }
  Result<uint64_t> u64(std::string_view field) {
    if (payload_.size() - pos_ < 8) return truncated(field);
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) {
      value = (value << 8) | static_cast<unsigned char>(payload_[pos_ + static_cast<size_t>(i)]);
    }
    pos_ += 8;
    return value;
  }
  // A length-prefixed string of at most max_size bytes.
  Result<std::string_view> string(std::string_view field, size_t max_size) {
    auto size = u32(field);
    if (!size) return size.error();
    if (*size > max_size) {
      return ipc_error(std::string(message_) + ": " + std::string(field) + " of " +
                       std::to_string(*size) + " bytes exceeds the limit of " +
                       std::to_string(max_size));
    }
    if (payload_.size() - pos_ < *size) return truncated(field);
    std::string_view out = payload_.substr(pos_, *size);
    pos_ += *size;
    return out;
  }
  // A non-zero connection id.
  Result<uint64_t> connection() {
    auto id = u64("connection id");
    if (!id) return id;
    if (*id == 0) return ipc_error(std::string(message_) + ": connection id 0");
    return id;
  }
  Status finish() const {
    if (pos_ == payload_.size()) return {};
    return ipc_error(std::string(message_) + ": " + std::to_string(payload_.size() - pos_) +
                     " trailing bytes in payload");
  }

 private:
  Error truncated(std::string_view field) const {
    return ipc_error(std::string(message_) + ": payload truncated in " + std::string(field));
  }

  std::string_view payload_;
  std::string_view message_;
  size_t pos_ = 0;
};

// Returns the variant on success; fails with the reader's first error.
#define MANDOS_IPC_TRY(var, expr) \
  auto var = (expr);              \
  if (!var) return var.error()

Result<WorkerMessage> decode_hello(std::string_view payload) {
  Reader reader(payload, "Hello");
  MANDOS_IPC_TRY(version, reader.u32("version"));
  if (Status done = reader.finish(); !done) return done.error();
  if (*version != kProtocolVersion) {
    return ipc_error("Hello: unsupported protocol version " + std::to_string(*version) +
                     " (expected " + std::to_string(kProtocolVersion) + ")");
  }
  return WorkerMessage(Hello{*version});
}

Result<WorkerMessage> decode_request(std::string_view payload) {
  Reader reader(payload, "SecretRequest");
  MANDOS_IPC_TRY(connection, reader.connection());
  MANDOS_IPC_TRY(key_id, reader.string("key id", kKeyIdSize));
  MANDOS_IPC_TRY(peer, reader.string("peer address", kMaxPeerAddress));
  if (Status done = reader.finish(); !done) return done.error();
  if (!is_valid_key_id(*key_id)) {
    return ipc_error("SecretRequest: key id is not 64 upper-case hex digits");
  }
  if (!is_valid_peer_address(*peer)) {
    return ipc_error("SecretRequest: peer address is empty or not printable ASCII");
  }
  return WorkerMessage(SecretRequest{*connection, std::string(*key_id), std::string(*peer)});
}

Result<WorkerMessage> decode_ended(std::string_view payload) {
  Reader reader(payload, "ConnectionEnded");
  MANDOS_IPC_TRY(connection, reader.connection());
  MANDOS_IPC_TRY(outcome, reader.u32("outcome"));
  if (Status done = reader.finish(); !done) return done.error();
  switch (static_cast<Outcome>(*outcome)) {
    case Outcome::Delivered:
    case Outcome::PeerGone:
    case Outcome::Failed:
      return WorkerMessage(ConnectionEnded{*connection, static_cast<Outcome>(*outcome)});
  }
  return ipc_error("ConnectionEnded: unknown outcome " + std::to_string(*outcome));
}

Result<MainMessage> decode_grant(std::string_view payload) {
  Reader reader(payload, "SecretGrant");
  MANDOS_IPC_TRY(connection, reader.connection());
  MANDOS_IPC_TRY(secret, reader.string("secret", kMaxSecretSize));
  if (Status done = reader.finish(); !done) return done.error();
  return MainMessage(SecretGrant{*connection, SecretBytes(*secret)});
}

Result<MainMessage> decode_refusal(std::string_view payload) {
  Reader reader(payload, "SecretRefusal");
  MANDOS_IPC_TRY(connection, reader.connection());
  MANDOS_IPC_TRY(reason, reader.u32("reason"));
  if (Status done = reader.finish(); !done) return done.error();
  switch (static_cast<Refusal>(*reason)) {
    case Refusal::NotFound:
    case Refusal::Disabled:
    case Refusal::Denied:
    case Refusal::ApprovalTimedOut:
      return MainMessage(SecretRefusal{*connection, static_cast<Refusal>(*reason)});
  }
  return ipc_error("SecretRefusal: unknown reason " + std::to_string(*reason));
}

#undef MANDOS_IPC_TRY

// One permitted message type of a direction: its payload bound and parser.
template <class Message>
struct Permitted {
  MessageType type;
  size_t max_payload;
  bool exact;  // fixed-size payload
  Result<Message> (*decode)(std::string_view payload);
};

constexpr std::array<Permitted<WorkerMessage>, 3> kFromWorker{{
    {MessageType::Hello, kHelloSize, true, decode_hello},
    {MessageType::SecretRequest, kMaxRequestSize, false, decode_request},
    {MessageType::ConnectionEnded, kEndedSize, true, decode_ended},
}};

constexpr std::array<Permitted<MainMessage>, 2> kFromMain{{
    {MessageType::SecretGrant, kMaxGrantSize, false, decode_grant},
    {MessageType::SecretRefusal, kRefusalSize, true, decode_refusal},
}};

uint32_t load_u32(const char* bytes) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

// Appends to a decoder buffer, dropping the consumed prefix at the same
// time (one copy; the old buffer is wiped by SecretBytes).
void feed_buffer(SecretBytes& buffer, size_t& consumed, const char* data, size_t size) {
  if (consumed == 0) {
    buffer.append(data, size);
    return;
  }
  SecretBytes rest(buffer.data() + consumed, buffer.size() - consumed);
  rest.append(data, size);
  buffer = std::move(rest);
  consumed = 0;
}

// Frame-level validation and dispatch shared by both decoders.
template <class Message, size_t N>
Result<std::optional<Message>> next_frame(SecretBytes& buffer, size_t& consumed,
                                          bool& failed,
                                          const std::array<Permitted<Message>, N>& permitted,
                                          std::string_view sender) {
  if (failed) return ipc_error("stream from " + std::string(sender) + " already failed");
  auto fail_stream = [&](Error error) {
    failed = true;
    return error;
  };
  size_t available = buffer.size() - consumed;
  if (available < kHeaderSize) return std::optional<Message>();
  const char* header = buffer.data() + consumed;
  uint32_t type = load_u32(header);
  uint32_t length = load_u32(header + 4);

  // Phase 1: header alone (so an oversized frame is never buffered).
  if (length > kMaxFrameSize) {
    return fail_stream(ipc_error("frame of " + std::to_string(length) +
                                 " bytes exceeds the limit of " + std::to_string(kMaxFrameSize)));
  }
  const Permitted<Message>* entry = nullptr;
  for (const auto& candidate : permitted) {
    if (static_cast<uint32_t>(candidate.type) == type) entry = &candidate;
  }
  if (entry == nullptr) {
    std::string name(type_name(type));
    if (name == "unknown") {
      return fail_stream(ipc_error("unknown message type " + std::to_string(type)));
    }
    return fail_stream(ipc_error("message type " + name + " (" + std::to_string(type) +
                                 ") is not valid from " + std::string(sender)));
  }
  if (length > entry->max_payload || (entry->exact && length != entry->max_payload)) {
    return fail_stream(ipc_error(std::string(type_name(type)) + ": payload of " +
                                 std::to_string(length) + " bytes, expected " +
                                 (entry->exact ? "exactly " : "at most ") +
                                 std::to_string(entry->max_payload)));
  }

  // Phase 2: the whole payload.
  if (available - kHeaderSize < length) return std::optional<Message>();
  std::string_view payload(header + kHeaderSize, length);
  auto message = entry->decode(payload);
  if (!message) return fail_stream(message.error());
  consumed += kHeaderSize + length;
  if (consumed == buffer.size()) {
    // Wipe a consumed grant now rather than at the next feed().
    buffer.clear();
    consumed = 0;
  }
  return std::optional<Message>(std::move(*message));
}

}  // namespace

SecretBytes encode(const WorkerMessage& message) { return std::visit(WorkerEncoder{}, message); }

SecretBytes encode(const MainMessage& message) { return std::visit(MainEncoder{}, message); }

void WorkerMessageDecoder::feed(const char* data, size_t size) {
  feed_buffer(buffer_, consumed_, data, size);
}

Result<std::optional<WorkerMessage>> WorkerMessageDecoder::next() {
  return next_frame(buffer_, consumed_, failed_, kFromWorker, "the worker");
}

void MainMessageDecoder::feed(const char* data, size_t size) {
  feed_buffer(buffer_, consumed_, data, size);
}

Result<std::optional<MainMessage>> MainMessageDecoder::next() {
  return next_frame(buffer_, consumed_, failed_, kFromMain, "the main process");
}

bool is_valid_key_id(std::string_view key_id) {
  if (key_id.size() != kKeyIdSize) return false;
  for (char c : key_id) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

bool is_valid_peer_address(std::string_view address) {
  if (address.empty() || address.size() > kMaxPeerAddress) return false;
  for (char c : address) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace mandos::server::ipc
