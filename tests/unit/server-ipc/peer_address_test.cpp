#include "worker/peer_address.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <cstring>

namespace mandos::server::worker {
namespace {

sockaddr_storage ipv6(const char* text, uint16_t port, uint32_t scope = 0) {
  sockaddr_storage storage{};
  auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  in6.sin6_scope_id = scope;
  EXPECT_EQ(::inet_pton(AF_INET6, text, &in6.sin6_addr), 1);
  return storage;
}

TEST(PeerAddress, Ipv6LoopbackIsNumericWithPythonTuple) {
  auto peer = describe_peer(ipv6("::1", 45678), sizeof(sockaddr_in6));
  ASSERT_TRUE(peer) << peer.error().message;
  EXPECT_EQ(peer->host, "::1");
  EXPECT_EQ(peer->port, 45678);
  EXPECT_EQ(python_address_tuple(*peer), "('::1', 45678, 0, 0)");
}

TEST(PeerAddress, Ipv4MappedAddressKeepsTheFfffPrefix) {
  auto peer = describe_peer(ipv6("::ffff:10.0.0.1", 1), sizeof(sockaddr_in6));
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->host, "::ffff:10.0.0.1");
}

TEST(PeerAddress, LinkLocalAddressNamesItsInterface) {
  unsigned index = ::if_nametoindex("lo");
  ASSERT_NE(index, 0u);
  auto peer = describe_peer(ipv6("fe80::1", 2, index), sizeof(sockaddr_in6));
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->host, "fe80::1%lo");
  EXPECT_EQ(python_address_tuple(*peer), "('fe80::1%lo', 2, 0, " + std::to_string(index) + ")");
}

TEST(PeerAddress, Ipv4SocketAddressIsATwoTuple) {
  sockaddr_storage storage{};
  auto& in = reinterpret_cast<sockaddr_in&>(storage);
  in.sin_family = AF_INET;
  in.sin_port = htons(80);
  ASSERT_EQ(::inet_pton(AF_INET, "127.0.0.1", &in.sin_addr), 1);
  auto peer = describe_peer(storage, sizeof(sockaddr_in));
  ASSERT_TRUE(peer);
  EXPECT_EQ(python_address_tuple(*peer), "('127.0.0.1', 80)");
}

TEST(PeerAddress, OtherFamiliesAreRejected) {
  sockaddr_storage storage{};
  storage.ss_family = AF_UNIX;
  auto peer = describe_peer(storage, sizeof storage);
  ASSERT_FALSE(peer);
  EXPECT_NE(peer.error().message.find("neither IPv4 nor IPv6"), std::string::npos);
}

}  // namespace
}  // namespace mandos::server::worker
