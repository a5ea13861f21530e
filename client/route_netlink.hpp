// The route helper's work (client.md §6): add or delete a host route to
// one address via one interface over rtnetlink, in table main, type
// unicast, scope link, protocol "boot". Used when a Mandos server with a
// global address is announced on a link that has no route to it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::client::route {

enum class Verb { kAdd, kDelete };

struct RouteArgs {
  Verb verb = Verb::kAdd;
  int family = 0;
  uint8_t address[16] = {};
  std::string address_text;
  std::string ifname;
};

// "add" / "delete", any letter case.
[[nodiscard]] Result<Verb> parse_verb(std::string_view text);
// A numeric IPv4 or IPv6 address (inet_pton; nothing else).
[[nodiscard]] Result<RouteArgs> parse_args(Verb verb, std::string_view address,
                                           std::string_view ifname);

// The RTM_NEWROUTE (exclusive create) or RTM_DELROUTE request.
std::vector<uint8_t> build_request(const RouteArgs& args, unsigned ifindex, uint32_t sequence);

// Sends the request and waits (bounded) for the kernel's acknowledgement.
// The error code is the kernel's errno.
[[nodiscard]] Status apply(const RouteArgs& args, unsigned ifindex);

}  // namespace mandos::client::route
