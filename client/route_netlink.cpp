#include "route_netlink.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "interfaces.hpp"
#include "mandos/fd.hpp"

namespace mandos::client::route {
namespace {

constexpr int kAckTimeoutMs = 5000;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The request is built in a fixed buffer (header, rtmsg, two attributes of
// at most 16 bytes each); building it in a growing std::vector trips GCC
// 12's -O2 bounds warnings.
struct RequestBuffer {
  alignas(nlmsghdr) uint8_t bytes[NLMSG_SPACE(sizeof(rtmsg)) + 2 * RTA_SPACE(16)] = {};
  size_t length = 0;

  void put(const void* data, size_t size) {
    std::memcpy(bytes + length, data, size);
    length += size;
  }
  void attribute(uint16_t type, const void* data, size_t size) {
    length = NLMSG_ALIGN(length);
    rtattr header{};
    header.rta_type = type;
    header.rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
    std::memcpy(bytes + length, &header, sizeof header);
    std::memcpy(bytes + length + RTA_LENGTH(0), data, size);
    length += RTA_SPACE(size);
  }
};

Error os_error(const std::string& what) {
  return fail(what + ": " + std::strerror(errno), errno);
}

// Reads until the acknowledgement of `sequence` (an NLMSG_ERROR record).
Status read_ack(int fd, uint32_t sequence) {
  alignas(nlmsghdr) char buffer[8192];
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, kAckTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return os_error("poll");
    if (ready == 0) return fail("no answer from the kernel", ETIMEDOUT);
    ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return os_error("recv");
    auto length = static_cast<unsigned>(got);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, length);
         header = NLMSG_NEXT(header, length)) {
      if (header->nlmsg_seq != sequence || header->nlmsg_type != NLMSG_ERROR) continue;
      if (header->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return fail("short netlink reply", EIO);
      auto* error = static_cast<nlmsgerr*>(NLMSG_DATA(header));
      if (error->error == 0) return {};
      return fail(std::strerror(-error->error), -error->error);
    }
  }
}

}  // namespace

Result<Verb> parse_verb(std::string_view text) {
  std::string verb = lower(text);
  if (verb == "add") return Verb::kAdd;
  if (verb == "delete") return Verb::kDelete;
  return fail("Unrecognized command: " + std::string(text));
}

Result<RouteArgs> parse_args(Verb verb, std::string_view address, std::string_view ifname) {
  RouteArgs args;
  args.verb = verb;
  args.address_text = std::string(address);
  args.ifname = std::string(ifname);
  if (::inet_pton(AF_INET, args.address_text.c_str(), args.address) == 1) {
    args.family = AF_INET;
  } else if (::inet_pton(AF_INET6, args.address_text.c_str(), args.address) == 1) {
    args.family = AF_INET6;
  } else {
    return fail("Bad address: " + args.address_text);
  }
  if (!valid_interface_name(args.ifname)) return fail("Bad interface name: " + args.ifname);
  return args;
}

std::vector<uint8_t> build_request(const RouteArgs& args, unsigned ifindex, uint32_t sequence) {
  nlmsghdr header{};
  header.nlmsg_type = args.verb == Verb::kAdd ? RTM_NEWROUTE : RTM_DELROUTE;
  header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  // Add never replaces a route someone else made.
  if (args.verb == Verb::kAdd) header.nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
  header.nlmsg_seq = sequence;
  rtmsg route{};
  route.rtm_family = static_cast<unsigned char>(args.family);
  route.rtm_dst_len = args.family == AF_INET ? 32 : 128;
  route.rtm_table = RT_TABLE_MAIN;
  route.rtm_protocol = RTPROT_BOOT;
  route.rtm_scope = RT_SCOPE_LINK;
  route.rtm_type = RTN_UNICAST;

  RequestBuffer buffer;
  buffer.put(&header, sizeof header);  // nlmsg_len is filled in below
  buffer.length = NLMSG_LENGTH(0);
  buffer.put(&route, sizeof route);
  buffer.attribute(RTA_DST, args.address, args.family == AF_INET ? 4 : 16);
  uint32_t oif = ifindex;
  buffer.attribute(RTA_OIF, &oif, sizeof oif);
  header.nlmsg_len = static_cast<uint32_t>(buffer.length);
  std::memcpy(buffer.bytes, &header, sizeof header);
  return std::vector<uint8_t>(buffer.bytes, buffer.bytes + buffer.length);
}

Status apply(const RouteArgs& args, unsigned ifindex) {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return os_error("netlink socket");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    return os_error("netlink bind");
  }
  const uint32_t sequence = static_cast<uint32_t>(::getpid());
  std::vector<uint8_t> message = build_request(args, ifindex, sequence);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) != static_cast<ssize_t>(message.size())) {
    return os_error("netlink send");
  }
  return read_ack(fd.get(), sequence);
}

}  // namespace mandos::client::route
