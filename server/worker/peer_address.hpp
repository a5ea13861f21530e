// How a TCP peer is named: the bare address for the main process (and so
// for D-Bus ClientNotFound and log lines), e.g. "::1", "::ffff:10.0.0.1"
// (IPv4 on an IPv6 socket), "fe80::1%eth0" (link-local with its interface),
// and the reference's "TCP connection from:" form, which is Python's
// str() of the socket address tuple.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "mandos/result.hpp"

namespace mandos::server::worker {

struct PeerAddress {
  std::string host;  // numeric, with %scope for scoped IPv6 addresses
  uint16_t port = 0;
  bool ipv6 = false;
  uint32_t flowinfo = 0;
  uint32_t scope_id = 0;
};

[[nodiscard]] Result<PeerAddress> describe_peer(const sockaddr_storage& address,
                                                socklen_t length);

// "('::1', 45678, 0, 0)" or "('127.0.0.1', 45678)".
std::string python_address_tuple(const PeerAddress& peer);

}  // namespace mandos::server::worker
