#include "worker/peer_address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

#include "mandos/log.hpp"

namespace mandos::server::worker {

Result<PeerAddress> describe_peer(const sockaddr_storage& address, socklen_t length) {
  PeerAddress peer;
  if (address.ss_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    peer.ipv6 = true;
    peer.port = ntohs(in6.sin6_port);
    peer.flowinfo = ntohl(in6.sin6_flowinfo);
    peer.scope_id = in6.sin6_scope_id;
  } else if (address.ss_family == AF_INET && length >= sizeof(sockaddr_in)) {
    peer.port = ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  } else {
    return fail("peer address of family " + std::to_string(address.ss_family) +
                " is neither IPv4 nor IPv6");
  }
  // getnameinfo is what Python's getpeername() uses: glibc prints IPv4-mapped
  // addresses as ::ffff:a.b.c.d and appends %ifname to scoped ones.
  char host[NI_MAXHOST];
  int ret = ::getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host, sizeof host,
                          nullptr, 0, NI_NUMERICHOST);
  if (ret != 0) return fail(std::string("getnameinfo: ") + ::gai_strerror(ret));
  peer.host = host;
  return peer;
}

std::string python_address_tuple(const PeerAddress& peer) {
  if (peer.ipv6) {
    return log::cat("('", peer.host, "', ", peer.port, ", ", peer.flowinfo, ", ", peer.scope_id,
                    ")");
  }
  return log::cat("('", peer.host, "', ", peer.port, ")");
}

}  // namespace mandos::server::worker
