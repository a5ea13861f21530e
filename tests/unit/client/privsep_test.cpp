#include "privsep.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <thread>

namespace mandos::client::privsep {
namespace {

// Records every privileged action instead of doing it.
class FakeActions final : public Actions {
 public:
  std::vector<std::string> log;
  std::map<std::string, unsigned> flags{{"eth0", IFF_BROADCAST},
                                        {"eth1", IFF_BROADCAST},
                                        {"lo", IFF_LOOPBACK},
                                        {"ppp0", IFF_POINTOPOINT | IFF_NOARP}};
  bool route_fails = false;

  void run_hooks(const HookSettings& settings, const char* mode) override {
    log.push_back(std::string("hooks ") + mode + " " + settings.dir);
  }
  unsigned interface_index(const std::string& name) override {
    auto found = flags.find(name);
    return found == flags.end() ? 0 : static_cast<unsigned>(std::distance(flags.begin(), found) + 1);
  }
  std::optional<unsigned> interface_flags(const std::string& name) override {
    auto found = flags.find(name);
    if (found == flags.end()) return std::nullopt;
    return found->second;
  }
  Result<bool> bring_up(const std::string& name) override {
    log.push_back("up " + name);
    return name != "eth1";  // eth1 was already up
  }
  Status take_down(const std::string& name) override {
    log.push_back("down " + name);
    return {};
  }
  Status route(const std::string& helper, const char* verb, const std::string& address,
               const std::string& ifname, bool /*debug*/) override {
    log.push_back(std::string(verb) + " " + address + " " + ifname + " " + helper);
    if (route_fails) return fail("route helper failed", EIO);
    return {};
  }
};

Request request(Op op, const std::string& ifname = {}) {
  Request r;
  r.op = static_cast<uint32_t>(op);
  std::strncpy(r.ifname, ifname.c_str(), sizeof r.ifname - 1);
  return r;
}

Request route_request(Op op, const char* address, const std::string& ifname) {
  Request r = request(op, ifname);
  if (::inet_pton(AF_INET, address, r.address) == 1) {
    r.family = AF_INET;
  } else {
    EXPECT_EQ(::inet_pton(AF_INET6, address, r.address), 1) << address;
    r.family = AF_INET6;
  }
  return r;
}

HelperConfig config_with(std::vector<std::string> interfaces) {
  HelperConfig config;
  config.hooks.dir = "/hooks";
  config.interfaces = std::move(interfaces);
  config.route_helper = "/helpers/mandos-client-iprouteadddel";
  return config;
}

class MonitorTest : public ::testing::Test {
 protected:
  std::optional<Reply> send(Monitor& monitor, const Request& r) { return monitor.handle(r); }
  void start(Monitor& monitor) {
    ASSERT_TRUE(send(monitor, request(Op::kStartHooks)).has_value());
  }
  void set_up(Monitor& monitor, const std::string& ifname = "eth0") {
    start(monitor);
    ASSERT_TRUE(send(monitor, request(Op::kBringUp, ifname)).has_value());
    ASSERT_TRUE(send(monitor, request(Op::kSetupDone)).has_value());
  }
  FakeActions actions_;
};

TEST_F(MonitorTest, RunsStartHooksThenBringsUpThenCleansUpInTheReferenceOrder) {
  Monitor monitor(config_with({"eth0", "eth1"}), actions_);
  start(monitor);
  auto up0 = send(monitor, request(Op::kBringUp, "eth0"));
  auto up1 = send(monitor, request(Op::kBringUp, "eth1"));
  ASSERT_TRUE(up0 && up1);
  EXPECT_EQ(up0->value, 1u);
  EXPECT_EQ(up1->value, 0u);  // already up: not ours to take down
  ASSERT_TRUE(send(monitor, request(Op::kSetupDone)).has_value());
  auto bye = send(monitor, request(Op::kShutdown));
  ASSERT_TRUE(bye.has_value());
  EXPECT_EQ(bye->error, 0);
  EXPECT_TRUE(monitor.finished());
  EXPECT_EQ(actions_.log, (std::vector<std::string>{"hooks start /hooks", "up eth0", "up eth1",
                                                     "hooks stop /hooks", "down eth0"}));
}

TEST_F(MonitorTest, RefusesAnythingBeforeTheStartHooks) {
  Monitor monitor(config_with({"eth0"}), actions_);
  EXPECT_FALSE(send(monitor, request(Op::kBringUp, "eth0")).has_value());
  EXPECT_TRUE(monitor.finished());
  EXPECT_TRUE(actions_.log.empty());  // no hooks were started, so none stopped
}

TEST_F(MonitorTest, RefusesStartingHooksTwiceAndCleansUp) {
  Monitor monitor(config_with({"eth0"}), actions_);
  start(monitor);
  EXPECT_FALSE(send(monitor, request(Op::kStartHooks)).has_value());
  EXPECT_EQ(actions_.log, (std::vector<std::string>{"hooks start /hooks", "hooks stop /hooks"}));
}

TEST_F(MonitorTest, RefusesInterfacesNotGivenOrAfterNone) {
  Monitor monitor(config_with({"eth0", "none", "eth1"}), actions_);
  start(monitor);
  EXPECT_TRUE(send(monitor, request(Op::kBringUp, "eth0")).has_value());
  EXPECT_FALSE(send(monitor, request(Op::kBringUp, "eth1")).has_value());
  EXPECT_EQ(actions_.log.back(), "down eth0");  // the violation cleaned up
}

TEST_F(MonitorTest, RefusesAnUnlistedInterface) {
  Monitor monitor(config_with({"eth0"}), actions_);
  start(monitor);
  EXPECT_FALSE(send(monitor, request(Op::kBringUp, "eth1")).has_value());
  EXPECT_TRUE(monitor.finished());
}

TEST_F(MonitorTest, WithAutoDetectionReappliesTheEligibilityRules) {
  Monitor monitor(config_with({}), actions_);
  start(monitor);
  EXPECT_TRUE(send(monitor, request(Op::kBringUp, "eth0")).has_value());
  EXPECT_FALSE(send(monitor, request(Op::kBringUp, "lo")).has_value());
}

TEST_F(MonitorTest, PointToPointIsEligibleOnlyWithConnect) {
  HelperConfig config = config_with({});
  config.connect_mode = true;
  Monitor with_connect(config, actions_);
  start(with_connect);
  EXPECT_TRUE(send(with_connect, request(Op::kBringUp, "ppp0")).has_value());
  Monitor without(config_with({}), actions_);
  start(without);
  EXPECT_FALSE(send(without, request(Op::kBringUp, "ppp0")).has_value());
}

TEST_F(MonitorTest, RefusesBringUpAfterSetupIsDone) {
  Monitor monitor(config_with({"eth0", "eth1"}), actions_);
  set_up(monitor);
  EXPECT_FALSE(send(monitor, request(Op::kBringUp, "eth1")).has_value());
}

TEST_F(MonitorTest, RefusesMalformedRecords) {
  {
    Monitor monitor(config_with({"eth0"}), actions_);
    Request bad = request(Op::kStartHooks);
    bad.magic = 0;
    EXPECT_FALSE(send(monitor, bad).has_value());
  }
  {
    Monitor monitor(config_with({"eth0"}), actions_);
    start(monitor);
    Request bad = request(Op::kBringUp);
    std::memset(bad.ifname, 'e', sizeof bad.ifname);  // no terminator
    EXPECT_FALSE(send(monitor, bad).has_value());
  }
  {
    Monitor monitor(config_with({"eth0"}), actions_);
    Request bad = request(Op::kStartHooks);
    bad.op = 99;
    EXPECT_FALSE(send(monitor, bad).has_value());
  }
  {
    Monitor monitor(config_with({"eth0"}), actions_);
    start(monitor);
    EXPECT_FALSE(send(monitor, request(Op::kBringUp, "eth0/../x")).has_value());
  }
}

TEST_F(MonitorTest, AddsAndDeletesOnlyItsOwnHostRoutes) {
  Monitor monitor(config_with({"eth0"}), actions_);
  set_up(monitor);
  auto added = send(monitor, route_request(Op::kAddRoute, "192.0.2.10", "eth0"));
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(added->error, 0);
  auto deleted = send(monitor, route_request(Op::kDeleteRoute, "192.0.2.10", "eth0"));
  ASSERT_TRUE(deleted.has_value());
  EXPECT_FALSE(send(monitor, route_request(Op::kDeleteRoute, "192.0.2.10", "eth0")).has_value());
  const std::string helper = " /helpers/mandos-client-iprouteadddel";
  EXPECT_EQ(actions_.log[2], "add 192.0.2.10 eth0" + helper);
  EXPECT_EQ(actions_.log[3], "delete 192.0.2.10 eth0" + helper);
}

TEST_F(MonitorTest, RefusesRoutesToLinkLocalLoopbackMulticastAndUnspecified) {
  for (const char* address : {"fe80::1", "169.254.1.1", "127.0.0.1", "::1", "224.0.0.251",
                              "ff02::fb", "0.0.0.0", "::", "255.255.255.255"}) {
    FakeActions actions;
    Monitor monitor(config_with({"eth0"}), actions);
    monitor.handle(request(Op::kStartHooks));
    monitor.handle(request(Op::kSetupDone));
    EXPECT_FALSE(monitor.handle(route_request(Op::kAddRoute, address, "eth0")).has_value())
        << address;
  }
}

TEST_F(MonitorTest, RefusesRoutesWithoutAHelperOrWithConnect) {
  HelperConfig no_helper = config_with({"eth0"});
  no_helper.route_helper.reset();
  Monitor monitor(no_helper, actions_);
  set_up(monitor);
  EXPECT_FALSE(send(monitor, route_request(Op::kAddRoute, "2001:db8::1", "eth0")).has_value());

  FakeActions actions;
  HelperConfig connect = config_with({"eth0"});
  connect.connect_mode = true;
  Monitor connect_monitor(connect, actions);
  connect_monitor.handle(request(Op::kStartHooks));
  connect_monitor.handle(request(Op::kSetupDone));
  EXPECT_FALSE(
      connect_monitor.handle(route_request(Op::kAddRoute, "2001:db8::1", "eth0")).has_value());
}

TEST_F(MonitorTest, RefusesRoutesBeforeSetupIsDoneAndViaUnlistedInterfaces) {
  Monitor early(config_with({"eth0"}), actions_);
  start(early);
  EXPECT_FALSE(send(early, route_request(Op::kAddRoute, "2001:db8::1", "eth0")).has_value());
  FakeActions actions;
  Monitor monitor(config_with({"eth0"}), actions);
  monitor.handle(request(Op::kStartHooks));
  monitor.handle(request(Op::kSetupDone));
  EXPECT_FALSE(monitor.handle(route_request(Op::kAddRoute, "2001:db8::1", "eth1")).has_value());
}

TEST_F(MonitorTest, LimitsTheNumberOfRoutes) {
  Monitor monitor(config_with({"eth0"}), actions_);
  set_up(monitor);
  for (size_t i = 0; i < kMaxRoutes; ++i) {
    std::string address = "192.0.2." + std::to_string(i + 1);
    auto reply = send(monitor, route_request(Op::kAddRoute, address.c_str(), "eth0"));
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->error, 0);
  }
  auto full = send(monitor, route_request(Op::kAddRoute, "192.0.2.200", "eth0"));
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->error, ENOSPC);
}

TEST_F(MonitorTest, AFailedRouteAddIsAnErrorReplyAndNothingToDelete) {
  Monitor monitor(config_with({"eth0"}), actions_);
  set_up(monitor);
  actions_.route_fails = true;
  auto reply = send(monitor, route_request(Op::kAddRoute, "2001:db8::7", "eth0"));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->error, EIO);
  EXPECT_FALSE(send(monitor, route_request(Op::kDeleteRoute, "2001:db8::7", "eth0")).has_value());
}

TEST_F(MonitorTest, ShutdownDeletesLeftoverRoutesBeforeStopHooksAndTakeDown) {
  Monitor monitor(config_with({"eth0"}), actions_);
  set_up(monitor);
  ASSERT_TRUE(send(monitor, route_request(Op::kAddRoute, "2001:db8::7", "eth0")).has_value());
  monitor.shutdown();
  ASSERT_EQ(actions_.log.size(), 6u);
  EXPECT_EQ(actions_.log[3].rfind("delete 2001:db8::7 eth0", 0), 0u);
  EXPECT_EQ(actions_.log[4], "hooks stop /hooks");
  EXPECT_EQ(actions_.log[5], "down eth0");
  EXPECT_FALSE(send(monitor, request(Op::kShutdown)).has_value());  // session over
}

TEST(LinkLocal, CoversFe80Slash10And169Dot254) {
  uint8_t address[16] = {};
  ASSERT_EQ(::inet_pton(AF_INET6, "febf::1", address), 1);
  EXPECT_TRUE(is_link_local(AF_INET6, address));
  ASSERT_EQ(::inet_pton(AF_INET6, "fec0::1", address), 1);
  EXPECT_FALSE(is_link_local(AF_INET6, address));
  ASSERT_EQ(::inet_pton(AF_INET, "169.254.0.1", address), 1);
  EXPECT_TRUE(is_link_local(AF_INET, address));
  ASSERT_EQ(::inet_pton(AF_INET, "169.253.0.1", address), 1);
  EXPECT_FALSE(is_link_local(AF_INET, address));
}

// The stubs and serve() over a real socketpair, the helper in a thread.
TEST(HelperSession, StubsDriveTheMonitorOverASocketPair) {
  auto pair = make_socketpair(SOCK_SEQPACKET);
  ASSERT_TRUE(pair.ok());
  FakeActions actions;
  Monitor monitor(config_with({"eth0"}), actions);
  std::thread helper([&] {
    serve(pair->second.get(), monitor);
    pair->second.reset();  // as the exiting helper process would
  });
  {
    HelperClient client(std::move(pair->first), -1);
    EXPECT_TRUE(client.start_hooks().ok());
    auto up = client.bring_up("eth0");
    ASSERT_TRUE(up.ok()) << up.error().message;
    EXPECT_TRUE(*up);
    EXPECT_TRUE(client.setup_done().ok());
    uint8_t address[16] = {};
    ASSERT_EQ(::inet_pton(AF_INET, "198.51.100.4", address), 1);
    EXPECT_TRUE(client.add_route(AF_INET, address, "eth0").ok());
    EXPECT_TRUE(client.delete_route(AF_INET, address, "eth0").ok());
    client.shutdown();
  }
  helper.join();
  EXPECT_TRUE(monitor.finished());
  EXPECT_EQ(actions.log.back(), "down eth0");
}

TEST(HelperSession, ARefusedRequestEndsTheSessionForTheClient) {
  auto pair = make_socketpair(SOCK_SEQPACKET);
  ASSERT_TRUE(pair.ok());
  FakeActions actions;
  Monitor monitor(config_with({"eth0"}), actions);
  std::thread helper([&] {
    serve(pair->second.get(), monitor);
    pair->second.reset();  // as the exiting helper process would
  });
  HelperClient client(std::move(pair->first), -1);
  EXPECT_TRUE(client.start_hooks().ok());
  auto refused = client.bring_up("eth1");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("ended the session"), std::string::npos);
  EXPECT_FALSE(client.setup_done().ok());
  helper.join();
  EXPECT_EQ(actions.log.back(), "hooks stop /hooks");
}

TEST(HelperSession, AnOversizedDatagramEndsTheSessionWithCleanup) {
  auto pair = make_socketpair(SOCK_SEQPACKET);
  ASSERT_TRUE(pair.ok());
  FakeActions actions;
  Monitor monitor(config_with({"eth0"}), actions);
  std::thread helper([&] {
    serve(pair->second.get(), monitor);
    pair->second.reset();  // as the exiting helper process would
  });
  Request first = request(Op::kStartHooks);
  ASSERT_EQ(::send(pair->first.get(), &first, sizeof first, 0), static_cast<ssize_t>(sizeof first));
  Reply reply;
  ASSERT_EQ(::recv(pair->first.get(), &reply, sizeof reply, 0), static_cast<ssize_t>(sizeof reply));
  char big[sizeof(Request) + 8] = {};
  ASSERT_EQ(::send(pair->first.get(), big, sizeof big, 0), static_cast<ssize_t>(sizeof big));
  helper.join();
  EXPECT_TRUE(monitor.finished());
  EXPECT_EQ(actions.log.back(), "hooks stop /hooks");
}

TEST(HelperSession, EndOfFileFromTheMainProcessTriggersCleanup) {
  auto pair = make_socketpair(SOCK_SEQPACKET);
  ASSERT_TRUE(pair.ok());
  FakeActions actions;
  Monitor monitor(config_with({"eth0"}), actions);
  std::thread helper([&] {
    serve(pair->second.get(), monitor);
    pair->second.reset();  // as the exiting helper process would
  });
  Request first = request(Op::kStartHooks);
  ASSERT_EQ(::send(pair->first.get(), &first, sizeof first, 0), static_cast<ssize_t>(sizeof first));
  Reply reply;
  ASSERT_EQ(::recv(pair->first.get(), &reply, sizeof reply, 0), static_cast<ssize_t>(sizeof reply));
  pair->first.reset();  // as if the main process were killed
  helper.join();
  EXPECT_EQ(actions.log, (std::vector<std::string>{"hooks start /hooks", "hooks stop /hooks"}));
}

}  // namespace
}  // namespace mandos::client::privsep
