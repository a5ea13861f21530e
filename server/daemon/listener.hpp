// The listening TCP socket (server.md §8), created as root before the
// privilege drop, or inherited with --socket FD.
#pragma once

#include <string>

#include "mandos/fd.hpp"
#include "mandos/result.hpp"

namespace mandos::server {

struct ListenOptions {
  bool use_ipv6 = true;
  std::string interface;  // SO_BINDTODEVICE
  std::string address;    // empty: any (bound only if a port is set)
  int port = 0;           // 0: kernel-chosen
  bool port_given = false;
};

// Creates and binds the socket (not yet listening).
[[nodiscard]] Result<UniqueFd> create_listen_socket(const ListenOptions& options);

// Takes over an inherited socket: must be an AF_INET/AF_INET6 stream socket.
[[nodiscard]] Result<UniqueFd> adopt_listen_socket(int fd);

// listen() with a large backlog (the reference's 5 dropped connections).
[[nodiscard]] Status start_listening(int fd);

// The port the socket is bound to (0 if unknown).
int listening_port(int fd);

// "Now listening on address '::', port 1234, flowinfo 0, scope_id 0".
std::string describe_listening(int fd);

}  // namespace mandos::server
