#include "worker/connection.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "mandos/log.hpp"
#include "worker/version_line.hpp"

namespace mandos::server::worker {
namespace {

// Bounds the immediate retries after non-fatal TLS alerts.
constexpr int kMaxNonFatalRetries = 16;

double seconds(std::chrono::milliseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

// GnuTLS's own text for an error of the lib's steps, without the lib's
// "TLS handshake failed: " style prefix (our log line has its own).
std::string tls_reason(const Error& error) {
  if (error.code < 0) return tls::error_string(error.code);
  return error.message;
}

}  // namespace

Connection::Connection(uint64_t id, UniqueFd socket, PeerAddress peer,
                       const ConnectionSettings& settings, Outbox outbox)
    : id_(id),
      socket_(std::move(socket)),
      peer_(std::move(peer)),
      settings_(settings),
      outbox_(std::move(outbox)),
      deadline_(Clock::now() + settings.handshake_timeout) {}

Interest Connection::interest() const {
  if (state_ == State::Done) return Interest::None;
  switch (wait_) {
    case tls::Wait::kNone: return Interest::None;
    case tls::Wait::kRead: return Interest::Read;
    case tls::Wait::kWrite: return Interest::Write;
  }
  return Interest::None;
}

void Connection::on_ready() {
  while (state_ != State::Done) {
    Step step = Step::Wait;
    switch (state_) {
      case State::ReadingLine: step = read_line(); break;
      case State::Handshaking: step = handshake(); break;
      case State::WaitingForMain: step = watch_peer(); break;
      case State::Sending: step = send_secret(); break;
      case State::Closing: step = close_tls(); break;
      case State::Done: step = Step::Wait; break;
    }
    if (step == Step::Wait) return;
  }
}

// ---------------------------------------------------------------------------
// Before TLS: the version line

Connection::Step Connection::read_line() {
  std::array<char, kMaxVersionLineBytes> buffer{};
  // Peek first so that nothing after the LF is taken from GnuTLS.
  ssize_t n = ::recv(socket_.get(), buffer.data(), kMaxVersionLineBytes - line_.size(), MSG_PEEK);
  if (n < 0 && errno == EINTR) return Step::Continue;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    wait_ = tls::Wait::kRead;
    return Step::Wait;
  }
  if (n <= 0) {
    std::string why = n == 0 ? "connection closed" : std::strerror(errno);
    log::error("Unknown protocol version: ", why, " after ", python_repr(line_), " (from ",
               peer_.host, ", port ", peer_.port, ")");
    end(ipc::Outcome::Failed);
    return Step::Continue;
  }
  const char* lf = static_cast<const char*>(std::memchr(buffer.data(), '\n', static_cast<size_t>(n)));
  size_t take = lf != nullptr ? static_cast<size_t>(lf - buffer.data()) + 1 : static_cast<size_t>(n);
  ssize_t taken = ::recv(socket_.get(), buffer.data(), take, 0);
  if (taken != static_cast<ssize_t>(take)) {
    log::error("Unknown protocol version: cannot read the line (from ", peer_.host, ", port ",
               peer_.port, ")");
    end(ipc::Outcome::Failed);
    return Step::Continue;
  }
  line_.append(buffer.data(), take);
  if (lf == nullptr) {
    if (line_.size() < kMaxVersionLineBytes) return Step::Continue;
    log::error("Unknown protocol version: no line end within ", kMaxVersionLineBytes,
               " bytes: ", python_repr(line_), " (from ", peer_.host, ", port ", peer_.port, ")");
    end(ipc::Outcome::Failed);
    return Step::Continue;
  }
  log::debug("Protocol version: ", python_repr(line_));
  if (Status ok = check_version_line(line_); !ok) {
    log::error("Unknown protocol version: ", ok.error().message, " (from ", peer_.host, ", port ",
               peer_.port, ")");
    end(ipc::Outcome::Failed);
    return Step::Continue;
  }
  return start_handshake();
}

// ---------------------------------------------------------------------------
// TLS handshake and the peer's key

Connection::Step Connection::start_handshake() {
  auto session = tls::make_client_side_session(socket_.get(), settings_.priority);
  if (!session) {
    log::error("Cannot start TLS: ", session.error().message);
    end(ipc::Outcome::Failed);
    return Step::Continue;
  }
  session_.emplace(std::move(*session));
  state_ = State::Handshaking;
  return Step::Continue;
}

Connection::Step Connection::handshake() {
  auto step = tls::handshake_step(*session_);
  if (!step) {
    log::warning("Handshake failed: ", tls_reason(step.error()), " (from ", peer_.host, ", port ",
                 peer_.port, ")");
    end(ipc::Outcome::Failed);
    return Step::Continue;
  }
  if (*step != tls::Wait::kNone) {
    wait_ = *step;
    return Step::Wait;
  }
  after_handshake();
  return Step::Continue;
}

void Connection::after_handshake() {
  log::debug("Handshake succeeded with ", peer_.host, ", port ", peer_.port, ": ",
             session_->description());
  auto key_id = tls::peer_key_id(*session_);
  if (!key_id || !ipc::is_valid_key_id(*key_id)) {
    log::warning("Bad certificate: ",
                 key_id ? "key ID \"" + *key_id + "\" is malformed" : key_id.error().message,
                 " (from ", peer_.host, ", port ", peer_.port, ")");
    start_closing(false);
    return;
  }
  log::debug("Key ID: ", *key_id, " (from ", peer_.host, ", port ", peer_.port, ")");
  // Every well-formed ID goes to the main process, the SHA-256-of-nothing
  // one of broken 1.8.0 clients included: it answers NotFound and logs
  // "Client not found" with the address, as the reference does.
  requested_ = true;
  outbox_(ipc::SecretRequest{id_, *key_id, peer_.host});
  state_ = State::WaitingForMain;
  deadline_.reset();
}

// ---------------------------------------------------------------------------
// Waiting for the main process: only watch for the peer going away. The
// peer must send nothing now (protocol.md §3).

Connection::Step Connection::watch_peer() {
  std::array<char, 256> buffer{};
  for (int attempt = 0; attempt < kMaxNonFatalRetries; ++attempt) {
    auto step = tls::recv_step(*session_, buffer.data(), buffer.size());
    if (!step || step->eof) {
      log::info("Peer ", peer_.host, ", port ", peer_.port,
                " went away while waiting for its secret",
                step ? std::string() : ": " + tls_reason(step.error()));
      end(ipc::Outcome::PeerGone);
      return Step::Continue;
    }
    if (step->bytes > 0) {
      log::warning("Peer ", peer_.host, ", port ", peer_.port,
                   " sent data while waiting for its secret; dropping it");
      end(ipc::Outcome::Failed);
      return Step::Continue;
    }
    if (step->wait != tls::Wait::kNone) {
      wait_ = step->wait;
      return Step::Wait;
    }
  }
  log::warning("Peer ", peer_.host, ", port ", peer_.port, " sent too many TLS alerts");
  end(ipc::Outcome::Failed);
  return Step::Continue;
}

void Connection::on_grant(SecretBytes secret) {
  secret_ = std::move(secret);
  sent_ = 0;
  state_ = State::Sending;
  deadline_ = Clock::now() + settings_.close_timeout;
  on_ready();
}

void Connection::on_refusal() {
  start_closing(false);
  on_ready();
}

// ---------------------------------------------------------------------------
// Sending and closing

Connection::Step Connection::send_secret() {
  int idle = 0;
  while (sent_ < secret_.size()) {
    // After GNUTLS_E_AGAIN the same data is offered again: sent_ only moves
    // on progress.
    auto step = tls::send_step(*session_, secret_.data() + sent_, secret_.size() - sent_);
    if (!step) {
      log::warning("GnuTLS send failed: ", tls_reason(step.error()), " (to ", peer_.host,
                   ", port ", peer_.port, ")");
      end(ipc::Outcome::Failed);
      return Step::Continue;
    }
    sent_ += step->bytes;
    if (step->wait != tls::Wait::kNone) {
      wait_ = step->wait;
      return Step::Wait;
    }
    if (step->bytes == 0 && ++idle > kMaxNonFatalRetries) {
      log::warning("GnuTLS send failed: no progress (to ", peer_.host, ", port ", peer_.port, ")");
      end(ipc::Outcome::Failed);
      return Step::Continue;
    }
  }
  secret_.clear();
  delivered_ = true;
  state_ = State::Closing;
  return Step::Continue;
}

void Connection::start_closing(bool delivered) {
  secret_.clear();
  delivered_ = delivered;
  state_ = State::Closing;
  deadline_ = Clock::now() + settings_.close_timeout;
}

Connection::Step Connection::close_tls() {
  auto outcome = delivered_ ? ipc::Outcome::Delivered : ipc::Outcome::Failed;
  auto step = tls::bye_step(*session_, GNUTLS_SHUT_RDWR);
  if (!step) {
    log::warning("GnuTLS bye failed: ", tls_reason(step.error()), " (with ", peer_.host,
                 ", port ", peer_.port, ")");
    end(outcome);
    return Step::Continue;
  }
  if (*step != tls::Wait::kNone) {
    wait_ = *step;
    return Step::Wait;
  }
  end(outcome);
  return Step::Continue;
}

void Connection::on_deadline() {
  switch (state_) {
    case State::ReadingLine:
      log::error("Unknown protocol version: no complete line within ",
                 seconds(settings_.handshake_timeout), " s, got ", python_repr(line_), " (from ",
                 peer_.host, ", port ", peer_.port, ")");
      end(ipc::Outcome::Failed);
      return;
    case State::Handshaking:
      log::warning("Handshake failed: not finished within ", seconds(settings_.handshake_timeout),
                   " s (from ", peer_.host, ", port ", peer_.port, ")");
      end(ipc::Outcome::Failed);
      return;
    case State::Sending:
      log::warning("GnuTLS send failed: not finished within ", seconds(settings_.close_timeout),
                   " s (to ", peer_.host, ", port ", peer_.port, ")");
      end(ipc::Outcome::Failed);
      return;
    case State::Closing:
      log::warning("GnuTLS bye failed: no close_notify within ", seconds(settings_.close_timeout),
                   " s (with ", peer_.host, ", port ", peer_.port, ")");
      end(delivered_ ? ipc::Outcome::Delivered : ipc::Outcome::Failed);
      return;
    case State::WaitingForMain:
    case State::Done:
      return;  // no deadline in these states
  }
}

void Connection::end(ipc::Outcome outcome) {
  secret_.clear();
  session_.reset();
  socket_.reset();
  state_ = State::Done;
  deadline_.reset();
  if (requested_) outbox_(ipc::ConnectionEnded{id_, outcome});
}

}  // namespace mandos::server::worker
