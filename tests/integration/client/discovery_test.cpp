// Zeroconf discovery end to end: two network namespaces joined by a veth
// pair. In the "server" namespace a real avahi-daemon (no D-Bus, its own
// configuration, service file and runtime directory in a private mount
// namespace) announces `_mandos._tcp` for a minimal Mandos server. In the
// "client" namespace our mandos-client, given no --connect and no
// --interface, must pick the veth by itself, bring it up, find the server
// over IPv6 link-local with its embedded avahi-core stack, print the secret,
// and take the interface down again.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "client_fixture.hpp"
#include "mandos/test/support.hpp"

namespace mandos::client {
namespace {

using namespace std::chrono_literals;
using namespace test_fixture;
using test::RunOptions;
using test::TempDir;

RunOptions options(std::chrono::milliseconds timeout, bool as_nobody = false,
                   std::vector<std::string> env_add = {}) {
  RunOptions result;
  result.timeout = timeout;
  result.env_add = std::move(env_add);
  if (as_nobody) result.run_as = UserIds{65534, 65534};
  return result;
}

bool ok(const std::vector<std::string>& argv, std::string* err = nullptr) {
  auto result = test::run(argv, options(30s));
  if (err != nullptr) *err = result.err;
  return result.exit_code == 0;
}

// A network namespace removed on destruction (with its veth end).
class Netns {
 public:
  explicit Netns(std::string name) : name_(std::move(name)) {}
  ~Netns() {
    if (created_) (void)ok({"/usr/sbin/ip", "netns", "delete", name_});
  }
  bool create(std::string* err) {
    created_ = ok({"/usr/sbin/ip", "netns", "add", name_}, err);
    return created_;
  }
  const std::string& name() const { return name_; }
  std::vector<std::string> exec(const std::vector<std::string>& argv) const {
    std::vector<std::string> full = {"/usr/sbin/ip", "netns", "exec", name_};
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
  }

 private:
  std::string name_;
  bool created_ = false;
};

class Discovery : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!running_as_root()) {
      GTEST_SKIP() << "*** SKIPPED: network namespaces need root ***";
    }
    std::string suffix = std::to_string(::getpid());
    server_ns_ = std::make_unique<Netns>("mcs-" + suffix);
    client_ns_ = std::make_unique<Netns>("mcc-" + suffix);
    std::string err;
    if (!server_ns_->create(&err) || !client_ns_->create(&err)) {
      GTEST_SKIP() << "*** SKIPPED: the kernel forbids network namespaces here: " << err
                   << " ***";
    }
    ASSERT_TRUE(ok({"/usr/sbin/ip", "link", "add", "vmsrv", "netns", server_ns_->name(), "type",
                    "veth", "peer", "name", "vmcli", "netns", client_ns_->name()},
                   &err))
        << err;
    // No duplicate address detection: link-local addresses are usable at once.
    ASSERT_TRUE(ok(server_ns_->exec({"/usr/sbin/sysctl", "-q", "-w",
                                     "net.ipv6.conf.vmsrv.accept_dad=0"})));
    ASSERT_TRUE(ok(client_ns_->exec({"/usr/sbin/sysctl", "-q", "-w",
                                     "net.ipv6.conf.vmcli.accept_dad=0"})));
    ASSERT_TRUE(ok({"/usr/sbin/ip", "-n", server_ns_->name(), "link", "set", "lo", "up"}));
    ASSERT_TRUE(ok({"/usr/sbin/ip", "-n", server_ns_->name(), "link", "set", "vmsrv", "up"}));
    // vmcli stays down: the client must bring it up.
    keys_ = make_client_keys(dir_.path());
    ASSERT_EQ(::mkdir(dir_.file("hooks").c_str(), 0755), 0);
  }

  // avahi-daemon's files: configuration, the static service, a hosts file.
  std::string write_avahi_config(int port, bool ipv6 = true) {
    std::string etc = dir_.file("avahi-etc");
    ::mkdir(etc.c_str(), 0755);
    ::mkdir((etc + "/services").c_str(), 0755);
    test::write_file(etc + "/avahi-daemon.conf",
                     std::string("[server]\nhost-name=mandos-test-server\nuse-ipv4=yes\n") +
                         "use-ipv6=" + (ipv6 ? "yes" : "no") + "\n" +
                     "allow-interfaces=vmsrv\nenable-dbus=no\n"
                     "[wide-area]\nenable-wide-area=no\n"
                     "[publish]\npublish-hinfo=no\npublish-workstation=no\n");
    test::write_file(etc + "/hosts", "");
    test::write_file(etc + "/services/mandos.service",
                     "<?xml version=\"1.0\" standalone='no'?>\n"
                     "<!DOCTYPE service-group SYSTEM \"avahi-service.dtd\">\n"
                     "<service-group>\n  <name>Mandos</name>\n  <service>\n"
                     "    <type>_mandos._tcp</type>\n    <port>" +
                         std::to_string(port) + "</port>\n  </service>\n</service-group>\n");
    return etc;
  }

  // Skips (loudly) where avahi-daemon is not installed (scripts/install-deps).
  bool have_avahi_daemon() { return ::access("/usr/sbin/avahi-daemon", X_OK) == 0; }

  std::unique_ptr<test::BackgroundProcess> start_avahi(const std::string& etc) {
    // A private /run and /etc/avahi inside `ip netns exec`'s own mount
    // namespace: nothing of the host's avahi set-up is touched.
    std::string script = "mount -t tmpfs tmpfs /run && mkdir -p /run/avahi-daemon && "
                         "mount --bind " + etc + " /etc/avahi && "
                         "exec avahi-daemon --no-drop-root --no-chroot --no-rlimits "
                         "--no-proc-title --debug -f /etc/avahi/avahi-daemon.conf";
    return std::make_unique<test::BackgroundProcess>(
        server_ns_->exec({"/bin/sh", "-c", script}), dir_.path());
  }

  std::string link_state(const Netns& ns, const std::string& ifname) {
    auto result = test::run({"/usr/sbin/ip", "-n", ns.name(), "-o", "link", "show", ifname});
    return result.out;
  }

  TempDir dir_{"client-discovery"};
  std::unique_ptr<Netns> server_ns_;
  std::unique_ptr<Netns> client_ns_;
  ClientKeys keys_;
};

TEST_F(Discovery, ClientFindsAnAvahiAnnouncedServerOverIpv6LinkLocalAndPrintsTheSecret) {
  if (!have_avahi_daemon()) GTEST_SKIP() << "*** SKIPPED: /usr/sbin/avahi-daemon is missing ***";
  const std::string secret = "found by zeroconf";
  std::string payload = dir_.file("payload");
  test::write_file(payload, encrypt_for(keys_, dir_.path(), secret), 0644);
  FakeServer server(dir_.path(), "::", payload, "secret", server_ns_->exec({}));
  auto avahi = start_avahi(write_avahi_config(server.port()));
  ASSERT_TRUE(avahi->wait_for_stderr("Server startup complete", 30s)) << avahi->stderr_text();

  std::vector<std::string> argv = {client_binary(), "--debug", "--retry=1", "--delay=5"};
  for (const auto& arg : key_arguments(keys_, dir_.file("hooks"))) argv.push_back(arg);
  auto result = test::run(client_ns_->exec(argv), options(90s));

  EXPECT_FALSE(result.timed_out) << result.err;
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, secret) << result.err << "\n--- server:\n" << server.log()
                                << "\n--- avahi:\n" << avahi->stderr_text();
  EXPECT_NE(result.err.find("Brought up interface \"vmcli\""), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("Connecting to fe80::"), std::string::npos) << result.err;
  EXPECT_NE(server.log().find("key id " + keys_.key_id), std::string::npos) << server.log();
  // Brought up by the client, so taken down by it at exit.
  std::string state = link_state(*client_ns_, "vmcli");
  EXPECT_EQ(state.find(",UP"), std::string::npos) << state;
  avahi->stop(SIGTERM, 10s);
}

// The route helper, in the server namespace (vmsrv is up there).
TEST_F(Discovery, RouteHelperAddsAndDeletesExclusiveScopeLinkHostRoutes) {
  auto helper = [&](std::vector<std::string> args) {
    args.insert(args.begin(), route_helper_binary());
    return test::run(server_ns_->exec(args), options(30s));
  };
  auto routes = [&](const char* family) {
    return test::run({"/usr/sbin/ip", "-n", server_ns_->name(), "-d", family, "route", "show",
                      "table", "main"})
        .out;
  };
  for (const auto& [family, address] : {std::pair{"-4", "192.0.2.42"},
                                        std::pair{"-6", "2001:db8::42"}}) {
    auto add = helper({"add", address, "vmsrv"});
    EXPECT_EQ(add.exit_code, 0) << add.err;
    // IPv6 routes have no scope in the kernel (it shows "scope global").
    std::string shown = routes(family);
    std::string expected = std::string("unicast ") + address + " dev vmsrv proto boot scope " +
                           (std::string(family) == "-4" ? "link" : "global");
    EXPECT_NE(shown.find(expected), std::string::npos) << shown;
    auto again = helper({"ADD", address, "vmsrv"});  // exclusive: never replaces
    EXPECT_EQ(again.exit_code, 71);
    EXPECT_NE(again.err.find("Mandos plugin helper mandos-client-iprouteadddel: Failed to add "
                             "route: File exists"),
              std::string::npos)
        << again.err;
    auto del = helper({"Delete", address, "vmsrv", "--debug"});
    EXPECT_EQ(del.exit_code, 0) << del.err;
    EXPECT_EQ(routes(family).find(address), std::string::npos);
  }
}

TEST_F(Discovery, RouteHelperRejectsBadArgumentsWithUsageStatus) {
  auto helper = [&](std::vector<std::string> args) {
    args.insert(args.begin(), route_helper_binary());
    return test::run(server_ns_->exec(args), options(30s));
  };
  EXPECT_EQ(helper({"add", "192.0.2.1"}).exit_code, 64);
  EXPECT_EQ(helper({"add", "192.0.2.1", "vmsrv", "extra"}).exit_code, 64);
  auto verb = helper({"replace", "192.0.2.1", "vmsrv"});
  EXPECT_EQ(verb.exit_code, 64);
  EXPECT_NE(verb.err.find("Unrecognized command: replace"), std::string::npos) << verb.err;
  auto address = helper({"add", "192.0.2", "vmsrv"});
  EXPECT_EQ(address.exit_code, 64);
  EXPECT_NE(address.err.find("Bad address: 192.0.2"), std::string::npos) << address.err;
  auto device = helper({"add", "192.0.2.1", "nosuch0"});
  EXPECT_EQ(device.exit_code, 71);
  EXPECT_NE(device.err.find("Failed to use interface nosuch0"), std::string::npos) << device.err;
  auto version = helper({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "mandos-client-iprouteadddel 1.8.16\n");
}

TEST_F(Discovery, WithoutAnyUsableInterfaceTheClientExitsWithStatus1) {
  // Only lo and the down veth end exist; hide the veth from auto-detection by
  // making it NOARP.
  ASSERT_TRUE(ok({"/usr/sbin/ip", "-n", client_ns_->name(), "link", "set", "vmcli", "arp",
                  "off"}));
  std::vector<std::string> argv = {client_binary(), "--retry=1"};
  for (const auto& arg : key_arguments(keys_, dir_.file("hooks"))) argv.push_back(arg);
  auto result = test::run(client_ns_->exec(argv), options(30s));
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("Could not find a network interface"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.out, "");
}

// A server announced with an address the client has no route to: the
// client asks its privileged helper to run the route helper, connects,
// and the route is gone again afterwards (client.md §6).
TEST_F(Discovery, UnreachableAnnouncedServerGetsATemporaryHostRoute) {
  if (!have_avahi_daemon()) GTEST_SKIP() << "*** SKIPPED: /usr/sbin/avahi-daemon is missing ***";
  const std::string server_ns = server_ns_->name();
  const std::string client_ns = client_ns_->name();
  // IPv4 only, /32 addresses: no prefix route on either side.
  ASSERT_TRUE(ok(server_ns_->exec({"/usr/sbin/sysctl", "-q", "-w",
                                   "net.ipv6.conf.vmsrv.disable_ipv6=1"})));
  ASSERT_TRUE(ok({"/usr/sbin/ip", "-n", server_ns, "addr", "add", "192.0.2.1/32", "dev",
                  "vmsrv"}));
  ASSERT_TRUE(ok({"/usr/sbin/ip", "-n", client_ns, "addr", "add", "198.51.100.2/32", "dev",
                  "vmcli"}));
  ASSERT_TRUE(ok({"/usr/sbin/ip", "-n", server_ns, "route", "add", "198.51.100.2/32", "dev",
                  "vmsrv"}));
  const std::string secret = "routed";
  std::string payload = dir_.file("payload");
  test::write_file(payload, encrypt_for(keys_, dir_.path(), secret), 0644);
  FakeServer server(dir_.path(), "0.0.0.0", payload, "secret", server_ns_->exec({}));
  auto avahi = start_avahi(write_avahi_config(server.port(), false));
  ASSERT_TRUE(avahi->wait_for_stderr("Server startup complete", 30s)) << avahi->stderr_text();

  std::string helper_dir = test::run({"/usr/bin/dirname", route_helper_binary()}).out;
  helper_dir.pop_back();
  std::vector<std::string> argv = {"/usr/bin/env", "MANDOSPLUGINHELPERDIR=" + helper_dir,
                                   client_binary(), "--debug", "--retry=1", "--delay=5"};
  for (const auto& arg : key_arguments(keys_, dir_.file("hooks"))) argv.push_back(arg);
  auto result = test::run(client_ns_->exec(argv), options(90s));

  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, secret) << result.err << "\n--- avahi:\n" << avahi->stderr_text();
  EXPECT_NE(result.err.find("Adding a host route to 192.0.2.1 via vmcli"), std::string::npos)
      << result.err;
  auto routes = test::run({"/usr/sbin/ip", "-n", client_ns, "route", "show", "table", "main"});
  EXPECT_EQ(routes.out.find("192.0.2.1"), std::string::npos) << routes.out;
  avahi->stop(SIGTERM, 10s);
}

}  // namespace
}  // namespace mandos::client
