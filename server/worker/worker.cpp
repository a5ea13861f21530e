#include "worker/worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <variant>

#include "mandos/log.hpp"
#include "worker/peer_address.hpp"

namespace mandos::server::worker {
namespace {

constexpr uint64_t kChannelToken = ~uint64_t{0};
constexpr uint64_t kListenToken = ~uint64_t{0} - 1;

// Fairness bounds per loop iteration.
constexpr int kMaxEvents = 256;
constexpr int kAcceptBatch = 64;
constexpr int kChannelReadsPerWakeup = 16;
constexpr size_t kChannelChunk = 64 * 1024;
// The main process reads far faster than connections end; a backlog this
// large means it is stuck, and a stuck main process serves nobody.
constexpr size_t kMaxOutgoingFrames = 4 * ipc::kMaxOutstandingRequests;
constexpr std::chrono::seconds kAcceptPause{1};

uint32_t events_for(Interest interest) {
  switch (interest) {
    case Interest::None: return 0;
    case Interest::Read: return EPOLLIN;
    case Interest::Write: return EPOLLOUT;
  }
  return 0;
}

// accept() errors that concern only the connection being accepted (Linux
// reports pending network errors through accept, see accept(2)).
bool is_transient_accept_error(int error) {
  switch (error) {
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case EPERM:
    case EINTR:
      return true;
    default:
      return false;
  }
}

bool is_resource_error(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace

Result<std::unique_ptr<Worker>> Worker::create(const WorkerSettings& settings, UniqueFd channel,
                                               UniqueFd listener) {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return fail(std::string("epoll_create1: ") + std::strerror(errno), errno);
  // The listening socket's file description is shared by all workers; all
  // of them want it non-blocking (another worker may take a connection
  // between readiness and accept).
  if (Status ok = set_nonblocking(channel.get(), true); !ok) return ok.error();
  if (Status ok = set_nonblocking(listener.get(), true); !ok) return ok.error();
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kChannelToken;
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, channel.get(), &event) != 0) {
    return fail(std::string("epoll_ctl(channel): ") + std::strerror(errno), errno);
  }
  return std::unique_ptr<Worker>(
      new Worker(settings, std::move(epoll), std::move(channel), std::move(listener)));
}

Worker::Worker(const WorkerSettings& settings, UniqueFd epoll, UniqueFd channel, UniqueFd listener)
    : settings_(settings),
      epoll_(std::move(epoll)),
      channel_(std::move(channel)),
      listener_(std::move(listener)) {}

void Worker::stop(int status) {
  if (!exit_status_) exit_status_ = status;
}

int Worker::run() {
  send_to_main(ipc::Hello{});
  update_accepting();
  std::array<epoll_event, kMaxEvents> events{};
  while (!exit_status_) {
    int count = ::epoll_wait(epoll_.get(), events.data(), kMaxEvents, timeout_ms());
    if (count < 0) {
      if (errno == EINTR) continue;
      log::critical("epoll_wait: ", std::strerror(errno));
      return 1;
    }
    for (int i = 0; i < count && !exit_status_; ++i) dispatch(events[static_cast<size_t>(i)]);
    if (exit_status_) break;
    expire_deadlines();
    update_accepting();
  }
  return *exit_status_;
}

int Worker::timeout_ms() const {
  std::optional<Clock::time_point> next;
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  if (accept_paused_until_ && (!next || *accept_paused_until_ < *next)) {
    next = accept_paused_until_;
  }
  if (!next) return -1;
  auto wait = *next - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  // Round up: waking a little early would only spin.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return ms > 3'600'000 ? 3'600'000 : static_cast<int>(ms);
}

void Worker::dispatch(const epoll_event& event) {
  if (event.data.u64 == kChannelToken) {
    if ((event.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) read_channel();
    if (!exit_status_ && (event.events & EPOLLOUT) != 0) flush_channel();
    return;
  }
  if (event.data.u64 == kListenToken) {
    accept_connections();
    return;
  }
  auto it = connections_.find(event.data.u64);
  if (it == connections_.end()) return;  // ended earlier in this iteration
  it->second.connection->on_ready();
  sync(event.data.u64);
}

// ---------------------------------------------------------------------------
// Channel to the main process

void Worker::send_to_main(const ipc::WorkerMessage& message) {
  if (outgoing_.size() >= kMaxOutgoingFrames) {
    log::critical("The main process has not read ", outgoing_.size(), " messages; exiting");
    stop(1);
    return;
  }
  outgoing_.push_back(ipc::encode(message));
  flush_channel();
}

void Worker::flush_channel() {
  while (!outgoing_.empty() && !exit_status_) {
    const SecretBytes& frame = outgoing_.front();
    ssize_t n = ::send(channel_.get(), frame.data() + outgoing_offset_,
                       frame.size() - outgoing_offset_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EPIPE || errno == ECONNRESET) {
        log::debug("The main process closed the channel; exiting");
        stop(0);
      } else {
        log::critical("Cannot write to the main process: ", std::strerror(errno));
        stop(1);
      }
      return;
    }
    outgoing_offset_ += static_cast<size_t>(n);
    if (outgoing_offset_ == frame.size()) {
      outgoing_.pop_front();
      outgoing_offset_ = 0;
    }
  }
  update_channel_events();
}

void Worker::update_channel_events() {
  bool wants_write = !outgoing_.empty();
  if (wants_write == channel_wants_write_ || exit_status_) return;
  epoll_event event{};
  event.events = EPOLLIN | (wants_write ? EPOLLOUT : 0u);
  event.data.u64 = kChannelToken;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, channel_.get(), &event) != 0) {
    log::critical("epoll_ctl(channel): ", std::strerror(errno));
    stop(1);
    return;
  }
  channel_wants_write_ = wants_write;
}

void Worker::read_channel() {
  std::array<char, kChannelChunk> buffer;  // may hold secrets: wiped below
  for (int round = 0; round < kChannelReadsPerWakeup && !exit_status_; ++round) {
    ssize_t n = ::recv(channel_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) {
      log::error("Cannot read from the main process: ", std::strerror(errno), "; exiting");
      stop(1);
      break;
    }
    if (n == 0) {
      log::debug("The main process closed the channel; exiting");
      stop(0);
      break;
    }
    decoder_.feed(buffer.data(), static_cast<size_t>(n));
    secure_wipe(buffer.data(), static_cast<size_t>(n));
    for (;;) {
      auto message = decoder_.next();
      if (!message) {
        log::critical("Malformed message from the main process: ", message.error().message);
        stop(1);
        break;
      }
      if (!*message || exit_status_) break;
      handle(std::move(**message));
    }
  }
}

// The main process may answer a connection that ended meanwhile (its
// answer and our ConnectionEnded crossed); anything else out of order is a
// protocol violation.
void Worker::handle(ipc::MainMessage message) {
  uint64_t id = std::visit([](const auto& m) { return m.connection; }, message);
  if (id >= next_id_) {
    log::critical("Malformed message from the main process: answer for unknown connection ", id);
    stop(1);
    return;
  }
  auto it = connections_.find(id);
  if (it == connections_.end()) {
    log::debug("Answer for ended connection ", id, " ignored");
    return;
  }
  Connection& connection = *it->second.connection;
  if (connection.state() != Connection::State::WaitingForMain) {
    log::critical("Malformed message from the main process: answer for connection ", id,
                  " which is not waiting for one");
    stop(1);
    return;
  }
  if (auto* grant = std::get_if<ipc::SecretGrant>(&message)) {
    connection.on_grant(std::move(grant->secret));
  } else {
    connection.on_refusal();
  }
  sync(id);
}

// ---------------------------------------------------------------------------
// Listening socket

void Worker::accept_connections() {
  for (int round = 0; round < kAcceptBatch && !exit_status_; ++round) {
    if (connections_.size() >= settings_.max_connections) return;
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) return;  // another worker took it
      if (is_transient_accept_error(error)) continue;
      if (is_resource_error(error)) {
        log::warning("Cannot accept connections: ", std::strerror(error), "; pausing for ",
                     kAcceptPause.count(), " s");
        accept_paused_until_ = Clock::now() + kAcceptPause;
        set_accepting(false);
        return;
      }
      log::critical("accept: ", std::strerror(error));
      stop(1);
      return;
    }
    UniqueFd socket(fd);
    // The secret and the close_notify alert go out in separate writes;
    // with Nagle the alert would wait for the client's delayed ACK (~40 ms).
    int one = 1;
    ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto peer = describe_peer(address, length);
    if (!peer || !ipc::is_valid_peer_address(peer->host)) {
      log::warning("Dropping a connection: ",
                   peer ? "unusable peer address " + peer->host : peer.error().message);
      continue;
    }
    log::info("TCP connection from: ", python_address_tuple(*peer));
    uint64_t id = next_id_++;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, socket.get(), &event) != 0) {
      log::error("epoll_ctl(connection): ", std::strerror(errno));
      continue;
    }
    auto connection = std::make_unique<Connection>(
        id, std::move(socket), std::move(*peer), settings_.connection,
        [this](ipc::WorkerMessage message) { send_to_main(message); });
    connections_.emplace(id, Entry{std::move(connection), EPOLLIN, std::nullopt});
    sync(id);
  }
}

void Worker::set_accepting(bool on) {
  if (on == accepting_) return;
  if (on) {
    // EPOLLEXCLUSIVE: one waiting worker is woken per connection, not all.
    epoll_event event{};
    event.events = EPOLLIN | EPOLLEXCLUSIVE;
    event.data.u64 = kListenToken;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.get(), &event) != 0) {
      log::critical("epoll_ctl(listening socket): ", std::strerror(errno));
      stop(1);
      return;
    }
  } else if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.get(), nullptr) != 0) {
    log::critical("epoll_ctl(listening socket): ", std::strerror(errno));
    stop(1);
    return;
  }
  accepting_ = on;
}

void Worker::update_accepting() {
  if (exit_status_) return;
  if (accept_paused_until_ && Clock::now() >= *accept_paused_until_) accept_paused_until_.reset();
  set_accepting(!accept_paused_until_ && connections_.size() < settings_.max_connections);
}

// ---------------------------------------------------------------------------
// Connections

// Brings epoll and the deadline set in line with the connection's state;
// forgets it once it is done (its socket is closed by then, which also
// removed it from epoll).
void Worker::sync(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Entry& entry = it->second;
  Connection& connection = *entry.connection;
  if (entry.deadline && entry.deadline != connection.deadline()) {
    deadlines_.erase({*entry.deadline, id});
    entry.deadline.reset();
  }
  if (connection.state() == Connection::State::Done) {
    connections_.erase(it);
    return;
  }
  if (!entry.deadline && connection.deadline()) {
    entry.deadline = connection.deadline();
    deadlines_.insert({*entry.deadline, id});
  }
  uint32_t wanted = events_for(connection.interest());
  if (wanted == entry.events) return;
  epoll_event event{};
  event.events = wanted;
  event.data.u64 = id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, connection.fd(), &event) != 0) {
    log::critical("epoll_ctl(connection): ", std::strerror(errno));
    stop(1);
    return;
  }
  entry.events = wanted;
}

void Worker::expire_deadlines() {
  auto now = Clock::now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now && !exit_status_) {
    uint64_t id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = connections_.find(id);
    if (it == connections_.end()) continue;
    it->second.deadline.reset();
    it->second.connection->on_deadline();
    sync(id);
  }
}

}  // namespace mandos::server::worker
