#include "daemon/listener.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mandos/log.hpp"

namespace mandos::server {
namespace {

Error os_error(const std::string& what) {
  return fail(what + ": " + std::strerror(errno), errno);
}

void bind_to_device(int fd, const std::string& interface) {
  if (interface.empty()) return;
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(),
                   static_cast<socklen_t>(interface.size() + 1)) == 0) {
    return;
  }
  // As the reference: these are only logged (no permission, no support,
  // no such device yet).
  if (errno == EPERM) {
    log::error("No permission to bind to interface ", interface);
  } else if (errno == ENOPROTOOPT) {
    log::error("SO_BINDTODEVICE not available; cannot bind to interface ", interface);
  } else if (errno == ENODEV) {
    log::error("Interface \"", interface, "\" does not exist, cannot bind");
  } else {
    log::error("Cannot bind to interface ", interface, ": ", std::strerror(errno));
  }
}

Result<sockaddr_storage> resolve(const ListenOptions& options, socklen_t& length) {
  sockaddr_storage storage{};
  const int family = options.use_ipv6 ? AF_INET6 : AF_INET;
  if (options.address.empty()) {
    if (family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_any;
      a->sin6_port = htons(static_cast<uint16_t>(options.port));
      length = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&storage);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_ANY);
      a->sin_port = htons(static_cast<uint16_t>(options.port));
      length = sizeof *a;
    }
    return storage;
  }
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (family == AF_INET6) hints.ai_flags |= AI_V4MAPPED;  // "127.0.0.1" on a dual-stack socket
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.port);
  int rc = ::getaddrinfo(options.address.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return fail("cannot use address \"" + options.address + "\": " + ::gai_strerror(rc));
  }
  std::memcpy(&storage, found->ai_addr, found->ai_addrlen);
  length = found->ai_addrlen;
  ::freeaddrinfo(found);
  if (family == AF_INET6) {
    // Link-local without %scope: take the scope from --interface.
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    if (IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr) && a->sin6_scope_id == 0 &&
        !options.interface.empty()) {
      a->sin6_scope_id = ::if_nametoindex(options.interface.c_str());
    }
  }
  return storage;
}

}  // namespace

Result<UniqueFd> create_listen_socket(const ListenOptions& options) {
  const int family = options.use_ipv6 ? AF_INET6 : AF_INET;
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return os_error("cannot create listening socket");
  bind_to_device(fd.get(), options.interface);
  // bind() only if an address or a port was given (server.md §8).
  if (options.address.empty() && !options.port_given) return fd;
  if (options.port_given) {
    int on = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) {
      return os_error("SO_REUSEADDR");
    }
  }
  socklen_t length = 0;
  auto address = resolve(options, length);
  if (!address) return address.error();
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*address), length) != 0) {
    std::string where = options.address.empty() ? "any address" : "address " + options.address;
    return os_error("cannot bind to " + where + ", port " + std::to_string(options.port));
  }
  return fd;
}

Result<UniqueFd> adopt_listen_socket(int fd) {
  int type = 0;
  socklen_t length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) {
    return fail("--socket " + std::to_string(fd) + ": not a socket: " + std::strerror(errno));
  }
  if (type != SOCK_STREAM) {
    return fail("--socket " + std::to_string(fd) + ": not a stream socket");
  }
  sockaddr_storage address{};
  length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      (address.ss_family != AF_INET && address.ss_family != AF_INET6)) {
    return fail("--socket " + std::to_string(fd) + ": not a TCP socket");
  }
  set_cloexec(fd, true);
  return UniqueFd(fd);
}

Status start_listening(int fd) {
  if (::listen(fd, SOMAXCONN) != 0) return os_error("listen");
  return {};
}

int listening_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  return 0;
}

std::string describe_listening(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    return log::cat("address '", text, "', port ", ntohs(a->sin6_port), ", flowinfo ",
                    ntohl(a->sin6_flowinfo), ", scope_id ", a->sin6_scope_id);
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&address);
  ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
  return log::cat("address '", text, "', port ", ntohs(a->sin_port));
}

}  // namespace mandos::server
