#include "attempt.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "decryptor.hpp"
#include "mandos/fd.hpp"
#include "mandos/log.hpp"
#include "privsep.hpp"
#include "signals.hpp"

namespace mandos::client {
namespace {

using signals::Clock;

constexpr std::string_view kProtocolVersion = "1\r\n";

Error os_error(const std::string& what, int code) {
  return fail(what + ": " + std::strerror(code), code);
}

Error interrupted() { return fail("interrupted by a signal", EINTR); }

// Waits for fd; the error says which step ran out of time.
Status wait_step(int fd, short events, Clock::time_point deadline, std::string_view what) {
  auto waited = signals::wait_fd(fd, events, deadline);
  if (!waited) return waited.error();
  switch (*waited) {
    case signals::Wait::kReady: return {};
    case signals::Wait::kTimeout: return fail(std::string(what) + " timed out", ETIMEDOUT);
    case signals::Wait::kInterrupted: return interrupted();
  }
  return interrupted();
}

short poll_events(tls::Wait wait) { return wait == tls::Wait::kWrite ? POLLOUT : POLLIN; }

Result<sockaddr_storage> socket_address(const Server& server, socklen_t& length) {
  sockaddr_storage storage{};
  if (server.family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(server.port);
    std::memcpy(&in6->sin6_addr, server.address, 16);
    if (privsep::is_link_local(AF_INET6, server.address)) {
      if (server.ifindex == 0) {
        return fail("An IPv6 link-local address is incomplete without a network interface");
      }
      in6->sin6_scope_id = server.ifindex;
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(server.port);
    std::memcpy(&in4->sin_addr, server.address, 4);
    length = sizeof(sockaddr_in);
  }
  return storage;
}

// A non-blocking connect bounded by kConnectTimeout. The error code is the
// connect errno (ENETUNREACH etc.) so the caller can react to it.
Result<UniqueFd> connect_once(const Server& server) {
  socklen_t length = 0;
  auto address = socket_address(server, length);
  if (!address) return address.error();
  UniqueFd fd(::socket(server.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP));
  if (!fd) return os_error("socket", errno);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&*address), length) == 0) return fd;
  if (errno != EINPROGRESS) return os_error("connect", errno);
  Status waited = wait_step(fd.get(), POLLOUT, Clock::now() + kConnectTimeout, "connect");
  if (!waited) return waited.error();
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
    return os_error("getsockopt", errno);
  }
  if (error != 0) return os_error("connect", error);
  return fd;
}

// Adds a host route through the privileged helper on the way in, deletes
// it on the way out (client.md §6 step 6).
class RouteGuard {
 public:
  RouteGuard(privsep::HelperClient& helper, const Server& server)
      : helper_(helper), server_(server) {}
  ~RouteGuard() {
    if (!added_) return;
    Status ok = helper_.delete_route(server_.family, server_.address, server_.ifname);
    if (!ok) log::warning("Failed to delete route to ", server_.address_text(), ": ",
                          ok.error().message);
  }
  RouteGuard(const RouteGuard&) = delete;
  RouteGuard& operator=(const RouteGuard&) = delete;
  Status add() {
    Status ok = helper_.add_route(server_.family, server_.address, server_.ifname);
    added_ = ok.ok();
    return ok;
  }

 private:
  privsep::HelperClient& helper_;
  const Server& server_;
  bool added_ = false;
};

Status send_version(int fd, Clock::time_point deadline) {
  std::string_view rest = kProtocolVersion;
  while (!rest.empty()) {
    ssize_t sent = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      rest.remove_prefix(static_cast<size_t>(sent));
    } else if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (Status ok = wait_step(fd, POLLOUT, deadline, "sending the protocol version"); !ok) {
        return ok;
      }
    } else {
      return os_error("send", errno);
    }
  }
  return {};
}

template <class Step>
Status drive(tls::Session& session, Clock::time_point deadline, std::string_view what,
             Step step) {
  for (;;) {
    Result<tls::Wait> wait = step();
    if (!wait) return wait.error();
    if (*wait == tls::Wait::kNone) return {};
    if (Status ok = wait_step(session.fd(), poll_events(*wait), deadline, what); !ok) return ok;
  }
}

Result<SecretBytes> receive_secret(tls::Session& session, Clock::time_point deadline) {
  SecretBytes received;
  char buffer[16384];
  int idle_steps = 0;
  Status status;
  for (;;) {
    auto step = tls::recv_step(session, buffer, sizeof buffer);
    if (!step) {
      status = step.error();
      break;
    }
    if (step->eof) break;
    if (step->bytes > 0) {
      if (received.size() + step->bytes > kMaxEncryptedSecret) {
        status = fail("server sent more than " + std::to_string(kMaxEncryptedSecret) + " bytes");
        break;
      }
      received.append(buffer, step->bytes);
    } else if (step->wait != tls::Wait::kNone) {
      status = wait_step(session.fd(), poll_events(step->wait), deadline, "receiving the secret");
      if (!status) break;
    } else if (++idle_steps > 64) {  // warning alerts only, no progress
      status = fail("too many TLS warning alerts");
      break;
    }
  }
  secure_wipe(buffer, sizeof buffer);
  if (!status) return status.error();
  return received;
}

// Connects, working around a missing route if allowed (client.md §6.3).
Result<UniqueFd> connect_with_workaround(const Server& server, AttemptContext& context,
                                         std::optional<RouteGuard>& route) {
  auto fd = connect_once(server);
  if (fd) return fd;
  int code = fd.error().code;
  bool unreachable = code == ENETUNREACH || code == EHOSTUNREACH;
  if (!unreachable || !context.route_workaround || context.helper == nullptr ||
      server.ifindex == 0 || privsep::is_link_local(server.family, server.address)) {
    return fd;
  }
  log::debug("Adding a host route to ", server.address_text(), " via ", server.ifname);
  route.emplace(*context.helper, server);
  if (Status added = route->add(); !added) {
    log::warning("Failed to add route to ", server.address_text(), ": ", added.error().message);
    return fd;
  }
  return connect_once(server);
}

// Everything after the TCP connection: version, handshake, secret, bye.
Result<SecretBytes> exchange(int fd, AttemptContext& context) {
  auto handshake_deadline = Clock::now() + kHandshakeTimeout;
  if (Status ok = send_version(fd, handshake_deadline); !ok) return ok.error();
  auto session = tls::make_server_side_session(fd, *context.credentials, context.priority);
  if (!session) return session.error();
  Status shaken = drive(*session, handshake_deadline, "TLS handshake",
                        [&] { return tls::handshake_step(*session); });
  if (!shaken) return shaken.error();
  log::debug("TLS session: ", session->description());
  auto secret = receive_secret(*session, Clock::now() + kSecretTimeout);
  if (!secret) return secret.error();
  // Our close_notify; the reference server waits for it, but its absence
  // costs only a warning there, so a failure here is not fatal.
  Status bye = drive(*session, Clock::now() + kByeTimeout, "TLS close",
                     [&] { return tls::bye_step(*session, GNUTLS_SHUT_RDWR); });
  if (!bye) log::debug("TLS close_notify: ", bye.error().message);
  return secret;
}

}  // namespace

std::string Server::address_text() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(family, address, text, sizeof text) == nullptr) return "?";
  return text;
}

std::string Server::description() const {
  std::string text = address_text() + ", port " + std::to_string(port);
  if (!ifname.empty()) text += ", interface " + ifname;
  return text;
}

Result<Server> make_server(int family, const std::string& address, uint16_t port) {
  Server server;
  server.family = family;
  server.port = port;
  if (::inet_pton(family, address.c_str(), server.address) != 1) {
    return fail("Bad address: " + address);
  }
  return server;
}

AttemptResult attempt(const Server& server, AttemptContext& context) {
  AttemptResult result;
  log::debug("Connecting to ", server.description());
  std::optional<RouteGuard> route;
  auto fd = connect_with_workaround(server, context, route);
  if (!fd) {
    if (signals::stop_requested()) {
      result.outcome = Outcome::kInterrupted;
    } else if (fd.error().code == ECONNREFUSED) {
      log::debug(fd.error().message, " (", server.description(), ")");
    } else {
      log::warning(fd.error().message, " (", server.description(), ")");
    }
    return result;
  }

  auto encrypted = exchange(fd->get(), context);
  fd->reset();
  if (!encrypted) {
    if (signals::stop_requested()) {
      result.outcome = Outcome::kInterrupted;
    } else {
      log::warning(encrypted.error().message, " (", server.description(), ")");
    }
    return result;
  }
  if (encrypted->empty()) {
    // The server refused us (unknown key, disabled, denied...).
    log::debug("No data from ", server.description(), "; will try again");
    return result;
  }
  log::debug("Received ", encrypted->size(), " encrypted bytes");
  auto plaintext = context.decryptor->decrypt(encrypted->view());
  if (!plaintext) {
    log::warning("Failed to decrypt the secret from ", server.description(), ": ",
                 plaintext.error().message);
    return result;
  }
  // Unlike the reference, --debug does not print the password (in hex) on
  // the console; its length is enough to debug with.
  log::debug("Decrypted a password of ", plaintext->size(), " bytes");
  result.outcome = Outcome::kSecret;
  result.plaintext = std::move(*plaintext);
  return result;
}

}  // namespace mandos::client
