// Our mandos-monitor against our own server on a private D-Bus system bus,
// in a detached 80x24 tmux session. Skips (loudly) while our server does
// not appear on the bus: the D-Bus API is being added to it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "mandos/privileges.hpp"
#include "mandos/test/support.hpp"
#include "monitor_harness.hpp"
#include "test_client.hpp"

namespace mandos::monitor::harness {
namespace {

const std::string kSecret = "the disk password\n";
const std::string kSecretBase64 = "dGhlIGRpc2sgcGFzc3dvcmQK";

class MonitorIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/tmux", X_OK) != 0 || ::access("/usr/bin/dbus-daemon", X_OK) != 0 ||
        ::access("/usr/bin/dbus-send", X_OK) != 0) {
      GTEST_SKIP() << "SKIPPED: tmux, dbus-daemon or dbus-send missing (scripts/install-deps)";
    }
    ::mkdir(dir_.file("conf").c_str(), 0755);
    ::mkdir(dir_.file("state").c_str(), 0700);
    ::mkdir(dir_.file("keys").c_str(), 0755);
    if (::geteuid() == 0) {
      UserIds ids = resolve_server_user();
      ASSERT_EQ(::chown(dir_.file("state").c_str(), ids.uid, ids.gid), 0);
    }
    std::string clients;
    for (const char* name : {"alpha", "beta"}) {
      auto made = test::client::make_key_files(dir_.file("keys"), name);
      ASSERT_TRUE(made) << made.error().message;
      keys_.push_back(*made);
      clients += std::string("[") + name + "]\nkey_id = " + made->key_id +
                 "\nsecret = " + kSecretBase64 + "\nchecker = true\n";
      if (std::string(name) == "alpha") {
        clients += "approval_delay = PT60S\napproved_by_default = False\n";
      }
    }
    test::write_file(dir_.file("conf/clients.conf"), clients);
    bus_ = std::make_unique<PrivateBus>(dir_.path());
    port_ = test::free_tcp_port();
    test::RunOptions options;
    options.env_add = {bus_->environment()};
    server_ = std::make_unique<test::BackgroundProcess>(
        std::vector<std::string>{MANDOS_SERVER, "--configdir", dir_.file("conf"), "--statedir",
                                 dir_.file("state"), "--no-zeroconf", "--foreground", "--debug",
                                 "--address", "::1", "--port", std::to_string(port_)},
        dir_.path(), options);
    ASSERT_TRUE(server_->wait_for_stderr("Now listening on", 20s)) << server_->stderr_text();
    if (!test::wait_until([&] { return server_call("GetAllClients").exit_code == 0; }, 10s)) {
      GTEST_SKIP() << "SKIPPED: our mandos does not offer se.recompile.Mandos on D-Bus yet: "
                   << server_call("GetAllClients").err;
    }
  }

  void TearDown() override {
    monitor_.reset();
    if (server_) server_->stop(SIGTERM, 10s);
  }

  test::RunResult dbus_send(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = {"/usr/bin/dbus-send", "--system", "--print-reply",
                                     "--dest=se.recompile.Mandos"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    test::RunOptions options;
    options.env_add = {bus_->environment()};
    options.timeout = 30s;
    return test::run(argv, options);
  }
  test::RunResult server_call(const std::string& method) {
    return dbus_send({"/", "se.recompile.Mandos." + method});
  }
  std::string enabled(const std::string& client) {
    return dbus_send({"/clients/" + client, "org.freedesktop.DBus.Properties.Get",
                      "string:se.recompile.Mandos.Client", "string:Enabled"})
        .out;
  }

  TmuxSession& start_monitor() {
    const std::string dir = dir_.file("tmux");
    ::mkdir(dir.c_str(), 0755);
    monitor_ = std::make_unique<TmuxSession>(
        dir, std::vector<std::string>{bus_->environment(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8"},
        wrapped_command(monitor_program(), dir_.file("monitor.pid")), 80, 24);
    EXPECT_TRUE(monitor_->wait_for_text("alpha: ")) << monitor_->screen();
    EXPECT_TRUE(monitor_->wait_for_text("beta: ")) << monitor_->screen();
    return *monitor_;
  }

  test::TempDir dir_{"mandos-monitor-integration"};
  std::vector<test::client::KeyFiles> keys_;
  std::unique_ptr<PrivateBus> bus_;
  std::unique_ptr<test::BackgroundProcess> server_;
  int port_ = 0;
  std::unique_ptr<TmuxSession> monitor_;
};

TEST_F(MonitorIntegration, ShowsOurServersClients) {
  TmuxSession& monitor = start_monitor();
  auto rows = monitor.rows();
  EXPECT_EQ(rows[0].rfind("alpha: ", 0), 0u) << monitor.screen();
  EXPECT_EQ(rows[1].rfind("beta: ", 0), 0u) << monitor.screen();
  EXPECT_EQ(divider_row(rows, 80), 11) << monitor.screen();
}

TEST_F(MonitorIntegration, DisableKeyDisablesTheClientOnOurServer) {
  TmuxSession& monitor = start_monitor();
  EXPECT_NE(enabled("alpha").find("boolean true"), std::string::npos);
  monitor.send_keys({"-"});
  EXPECT_TRUE(monitor.wait_for_text("alpha: DISABLED")) << monitor.screen();
  EXPECT_NE(enabled("alpha").find("boolean false"), std::string::npos) << enabled("alpha");
}

TEST_F(MonitorIntegration, ApproveKeyLetsAWaitingClientGetItsSecret) {
  TmuxSession& monitor = start_monitor();
  test::RunOptions options;
  options.timeout = 90s;
  test::BackgroundProcess client(
      {MANDOS_FAKE_CLIENT, "--connect=::1:" + std::to_string(port_),
       "--tls-pubkey=" + keys_[0].pubkey_path, "--tls-privkey=" + keys_[0].privkey_path,
       "--timeout=80"},
      dir_.path(), options);
  EXPECT_TRUE(monitor.wait_for_text("Client alpha needs approval within 60.000000 seconds"))
      << monitor.screen();
  monitor.send_keys({"a"});
  ASSERT_TRUE(test::wait_until([&] { return !client.running(); }, 60s));
  auto result = client.stop();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, kSecret);
  EXPECT_TRUE(monitor.wait_for_text("Client alpha received its secret")) << monitor.screen();
}

TEST_F(MonitorIntegration, RedrawsAfterResizeAndRestoresTheTerminalOnQuit) {
  TmuxSession& monitor = start_monitor();
  monitor.resize(60, 15);
  EXPECT_TRUE(monitor.wait_for(
      [](const std::vector<std::string>& rows) { return divider_row(rows, 60) == 7; }))
      << monitor.screen();
  monitor.send_keys({"q"});
  EXPECT_TRUE(monitor.wait_for_text("exit status 0")) << monitor.screen();
  EXPECT_TRUE(monitor.wait_for_text("tty restored")) << monitor.screen();
}

}  // namespace
}  // namespace mandos::monitor::harness
