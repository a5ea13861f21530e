// client_test_server: a minimal Mandos server for the client's tests
// (protocol.md §3, server side): listens on one address, and for every
// connection reads the version line, does the TLS handshake as the TLS
// *client*, logs the peer's key ID, sends the payload file's bytes and ends
// with close_notify. Runs in the foreground until killed.
//
//   client_test_server ADDRESS PORT PAYLOAD_FILE [MODE]
//
// PORT 0 picks a free port. The port is printed on stdout once listening.
// MODE: secret (default), refuse (no data, close_notify), bad-version
// (answers the version line with garbage and closes), oversize (2 MiB).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "mandos/fd.hpp"
#include "mandos/tls.hpp"

namespace {

using namespace mandos;

mandos::UniqueFd listen_on(const std::string& address, int port) {
  bool v6 = address.find(':') != std::string::npos;
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage storage{};
  socklen_t length;
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr);
    length = sizeof *in6;
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, address.c_str(), &in4->sin_addr);
    length = sizeof *in4;
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(fd.get(), 16) != 0) {
    std::perror("bind/listen");
    std::exit(2);
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

bool read_version_line(int fd) {
  std::string line;
  char c;
  while (line.size() < 64 && ::read(fd, &c, 1) == 1) {
    line += c;
    if (c == '\n') break;
  }
  std::fprintf(stderr, "version line: %zu bytes, %s\n", line.size(),
               line == "1\r\n" ? "ok" : "unexpected");
  return line == "1\r\n";
}

void serve_one(int fd, const std::string& payload, const std::string& mode) {
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (!read_version_line(fd)) return;
  if (mode == "bad-version") {
    const char garbage[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
    (void)::write(fd, garbage, sizeof garbage - 1);
    std::fprintf(stderr, "sent garbage\n");
    return;
  }
  auto session = tls::make_client_side_session(fd, std::string(tls::kDefaultPriority));
  if (!session) return (void)std::fprintf(stderr, "session: %s\n", session.error().message.c_str());
  if (Status ok = tls::handshake(*session); !ok) {
    std::fprintf(stderr, "handshake: %s\n", ok.error().message.c_str());
    return;
  }
  auto key_id = tls::peer_key_id(*session);
  std::fprintf(stderr, "key id %s\n", key_id ? key_id->c_str() : "?");
  std::string data;
  if (mode == "secret") data = payload;
  if (mode == "oversize") data.assign(size_t{2} << 20, 'x');
  if (!data.empty()) {
    if (Status ok = tls::send_all(*session, data); !ok) {
      std::fprintf(stderr, "send: %s\n", ok.error().message.c_str());
      return;
    }
  }
  std::fprintf(stderr, "sent %zu bytes\n", data.size());
  Status bye = tls::bye(*session, GNUTLS_SHUT_RDWR);
  std::fprintf(stderr, "bye %s\n", bye ? "ok" : bye.error().message.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s ADDRESS PORT PAYLOAD_FILE [MODE]\n", argv[0]);
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  std::string mode = argc > 4 ? argv[4] : "secret";
  auto payload = read_file(argv[3], 1 << 20);
  if (!payload) {
    std::fprintf(stderr, "%s\n", payload.error().message.c_str());
    return 2;
  }
  auto init = tls::GlobalInit::create();
  if (!init) return 2;
  UniqueFd listener = listen_on(argv[1], std::atoi(argv[2]));
  std::printf("%d\n", bound_port(listener.get()));
  std::fflush(stdout);
  for (;;) {
    UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection) continue;
    std::fprintf(stderr, "connection\n");
    serve_one(connection.get(), *payload, mode);
  }
}
