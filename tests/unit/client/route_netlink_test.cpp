#include "route_netlink.hpp"

#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace mandos::client::route {
namespace {

TEST(RouteHelperArguments, VerbIsAddOrDeleteInAnyCase) {
  EXPECT_EQ(*parse_verb("add"), Verb::kAdd);
  EXPECT_EQ(*parse_verb("ADD"), Verb::kAdd);
  EXPECT_EQ(*parse_verb("Delete"), Verb::kDelete);
  auto bad = parse_verb("del");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "Unrecognized command: del");
}

TEST(RouteHelperArguments, AcceptsNumericIpv4AndIpv6Addresses) {
  auto v4 = parse_args(Verb::kAdd, "192.0.2.1", "eth0");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->family, AF_INET);
  auto v6 = parse_args(Verb::kDelete, "2001:db8::1", "eth0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(v6->ifname, "eth0");
}

TEST(RouteHelperArguments, RejectsAnythingElseNamingIt) {
  for (const char* address : {"1.2.3", "example.org", "192.0.2.1/24", "", "::1 ", "fe80::1%eth0"}) {
    auto args = parse_args(Verb::kAdd, address, "eth0");
    ASSERT_FALSE(args.ok()) << address;
    EXPECT_EQ(args.error().message, std::string("Bad address: ") + address);
  }
  for (const char* name : {"", "a/b", "eth0:1", "sixteen-chars-xx"}) {
    auto args = parse_args(Verb::kAdd, "192.0.2.1", name);
    ASSERT_FALSE(args.ok()) << name;
    EXPECT_EQ(args.error().message, std::string("Bad interface name: ") + name);
  }
}

TEST(RouteRequest, AddIsAnExclusiveHostRouteWithScopeLinkProtoBootInTableMain) {
  auto args = parse_args(Verb::kAdd, "192.0.2.9", "eth0");
  ASSERT_TRUE(args.ok());
  std::vector<uint8_t> message = build_request(*args, 7, 42);
  ASSERT_GE(message.size(), NLMSG_LENGTH(sizeof(rtmsg)));
  nlmsghdr header;
  std::memcpy(&header, message.data(), sizeof header);
  EXPECT_EQ(header.nlmsg_len, message.size());
  EXPECT_EQ(header.nlmsg_type, RTM_NEWROUTE);
  EXPECT_EQ(header.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  EXPECT_EQ(header.nlmsg_seq, 42u);
  rtmsg route;
  std::memcpy(&route, message.data() + NLMSG_LENGTH(0), sizeof route);
  EXPECT_EQ(route.rtm_family, AF_INET);
  EXPECT_EQ(route.rtm_dst_len, 32);
  EXPECT_EQ(route.rtm_table, RT_TABLE_MAIN);
  EXPECT_EQ(route.rtm_protocol, RTPROT_BOOT);
  EXPECT_EQ(route.rtm_scope, RT_SCOPE_LINK);
  EXPECT_EQ(route.rtm_type, RTN_UNICAST);

  // Attributes: RTA_DST = the address, RTA_OIF = the index.
  size_t offset = NLMSG_SPACE(sizeof(rtmsg));
  bool saw_dst = false, saw_oif = false;
  while (offset + sizeof(rtattr) <= message.size()) {
    rtattr attribute;
    std::memcpy(&attribute, message.data() + offset, sizeof attribute);
    const uint8_t* payload = message.data() + offset + RTA_LENGTH(0);
    if (attribute.rta_type == RTA_DST) {
      saw_dst = true;
      EXPECT_EQ(attribute.rta_len, RTA_LENGTH(4));
      EXPECT_EQ(std::memcmp(payload, args->address, 4), 0);
    } else if (attribute.rta_type == RTA_OIF) {
      saw_oif = true;
      uint32_t index;
      std::memcpy(&index, payload, sizeof index);
      EXPECT_EQ(index, 7u);
    }
    offset += RTA_ALIGN(attribute.rta_len);
  }
  EXPECT_TRUE(saw_dst);
  EXPECT_TRUE(saw_oif);
}

TEST(RouteRequest, DeleteOfAnIpv6AddressIsAPlainDelRoute) {
  auto args = parse_args(Verb::kDelete, "2001:db8::1", "eth0");
  ASSERT_TRUE(args.ok());
  std::vector<uint8_t> message = build_request(*args, 3, 1);
  nlmsghdr header;
  std::memcpy(&header, message.data(), sizeof header);
  EXPECT_EQ(header.nlmsg_type, RTM_DELROUTE);
  EXPECT_EQ(header.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  rtmsg route;
  std::memcpy(&route, message.data() + NLMSG_LENGTH(0), sizeof route);
  EXPECT_EQ(route.rtm_family, AF_INET6);
  EXPECT_EQ(route.rtm_dst_len, 128);
}

}  // namespace
}  // namespace mandos::client::route
