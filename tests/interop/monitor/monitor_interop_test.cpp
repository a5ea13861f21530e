// Our mandos-monitor against Debian's mandos 1.8.16 server (which exports
// the D-Bus API the monitor was written for), on a private system bus, in a
// detached 80x24 tmux session. Where it helps, Debian's own mandos-monitor
// runs next to ours and the two screens are compared.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "mandos/privileges.hpp"
#include "mandos/test/support.hpp"
#include "monitor_harness.hpp"

namespace mandos::monitor::harness {
namespace {

constexpr const char* kReferenceClient =
    "/usr/lib/x86_64-linux-gnu/mandos/plugins.d/mandos-client";
constexpr const char* kReferenceMonitor = "/usr/sbin/mandos-monitor";

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

test::RunResult run_checked(const std::vector<std::string>& argv, const std::string& what) {
  test::RunOptions options;
  options.timeout = 120s;
  auto result = test::run(argv, options);
  check(result.exit_code == 0, what + " failed: " + result.err);
  return result;
}

// Why the reference cannot be used here, or "" when it can.
std::string reference_problem() {
  test::RunOptions options;
  options.timeout = 600s;
  auto installed = test::run(
      {"/bin/sh", std::string(MANDOS_SOURCE_DIR) + "/tests/interop/install-reference.sh"},
      options);
  if (installed.exit_code != 0) return "install-reference.sh failed: " + installed.err;
  for (const char* program : {kReferenceClient, kReferenceMonitor, "/usr/sbin/mandos",
                              "/usr/sbin/mandos-ctl", "/usr/bin/tmux", "/usr/bin/dbus-daemon"}) {
    if (::access(program, X_OK) != 0) return std::string(program) + " is missing";
  }
  return "";
}

// Keys and clients.conf sections made by Debian's mandos-keygen.
struct ClientKeys {
  std::string name;
  std::string dir;
  std::string section;  // for clients.conf, from mandos-keygen --passfile
  std::string secret;
};

class MonitorInterop : public ::testing::Test {
 protected:
  // Key generation takes seconds (RSA 4096), and ctest runs every test in
  // a process of its own: the keys and sections are made once and kept in
  // the build tree for the next runs.
  static void SetUpTestSuite() {
    problem_ = new std::string(reference_problem());
    if (!problem_->empty()) return;
    keys_ = new std::vector<ClientKeys>;
    const std::string cache = test::build_path("tests/interop/monitor/keys");
    ::mkdir(cache.c_str(), 0755);
    ::chmod(cache.c_str(), 0755);
    for (const std::string name : {"alpha", "beta"}) {
      ClientKeys keys{name, cache + "/" + name, "", "secret of " + name + "\n"};
      const std::string section_file = cache + "/" + name + ".section";
      if (::access(section_file.c_str(), R_OK) != 0) {
        ::mkdir(keys.dir.c_str(), 0755);
        run_checked({"/usr/sbin/mandos-keygen", "--dir", keys.dir, "--name", name, "--force"},
                    "mandos-keygen");
        const std::string passfile = cache + "/pass-" + name;
        test::write_file(passfile, keys.secret, 0600);
        const std::string section =
            run_checked({"/usr/sbin/mandos-keygen", "--dir", keys.dir, "--name", name,
                         "--passfile", passfile, "--no-ssh"},
                        "mandos-keygen --passfile")
                .out;
        for (const char* file : {"pubkey.txt", "seckey.txt", "tls-pubkey.pem", "tls-privkey.pem"}) {
          ::chmod((keys.dir + "/" + file).c_str(), 0644);
        }
        test::write_file(section_file, section, 0644);  // written last: marks the set complete
      }
      keys.section = test::read_file(section_file);
      keys_->push_back(keys);
    }
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete problem_;
    keys_ = nullptr;
    problem_ = nullptr;
  }

  void SetUp() override {
    if (!problem_->empty()) GTEST_SKIP() << "SKIPPED: Debian's Mandos is unusable: " << *problem_;
    start_server();
  }

  void TearDown() override {
    monitor_.reset();
    reference_.reset();
    stop_server();
  }

  // alpha waits up to a minute for approval, denied by default; checkers
  // always succeed.
  void start_server() {
    const std::string conf = dir_.file("conf");
    const std::string state = dir_.file("state");
    ::mkdir(conf.c_str(), 0755);
    ::mkdir(state.c_str(), 0755);
    ::mkdir(dir_.file("hooks").c_str(), 0755);
    std::string clients;
    for (const ClientKeys& keys : *keys_) {
      std::string section = keys.section;
      std::string extra = "checker = true\n";
      if (keys.name == "alpha") extra += "approval_delay = PT60S\napproved_by_default = False\n";
      section.insert(section.find('\n') + 1, extra);
      clients += section;
    }
    test::write_file(conf + "/clients.conf", clients, 0600);
    test::write_file(conf + "/mandos.conf", "[DEFAULT]\n", 0644);
    UserIds server_user = resolve_server_user();
    check(::chown(state.c_str(), server_user.uid, server_user.gid) == 0, "chown state dir");
    bus_ = std::make_unique<PrivateBus>(dir_.path());
    launch_server();
  }

  void launch_server() {
    port_ = test::free_tcp_port();
    test::RunOptions options;
    options.env_add = {bus_->environment(), "TMPDIR=" + dir_.path()};
    server_ = std::make_unique<test::BackgroundProcess>(
        std::vector<std::string>{"/usr/sbin/mandos", "--configdir", dir_.file("conf"),
                                 "--statedir", dir_.file("state"), "--no-zeroconf",
                                 "--foreground", "--debuglevel", "INFO", "--address", "::1",
                                 "--port", std::to_string(port_)},
        dir_.path(), options);
    ASSERT_TRUE(test::wait_for_tcp_port("::1", port_, 30s)) << server_->stderr_text();
    ASSERT_TRUE(test::wait_until([&] { return ctl({}).exit_code == 0; }, 20s))
        << "the reference server did not appear on D-Bus: " << server_->stderr_text();
  }

  void stop_server() {
    if (!server_) return;
    const pid_t group = server_->pid();
    server_->stop(SIGTERM, 10s);
    ::kill(-group, SIGKILL);  // the reference leaves a helper process behind
    server_.reset();
  }

  // Debian's mandos-ctl on the private bus.
  test::RunResult ctl(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = {"/usr/sbin/mandos-ctl"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    test::RunOptions options;
    options.env_add = {bus_->environment()};
    options.timeout = 30s;
    return test::run(argv, options);
  }

  std::vector<std::string> monitor_environment(const std::string& lang = "C.UTF-8") {
    return {bus_->environment(), "LANG=" + lang, "LC_ALL=" + lang, "TZ=UTC0"};
  }

  TmuxSession& start_monitor(const std::string& lang = "C.UTF-8") {
    const std::string dir = dir_.file("ours");
    ::mkdir(dir.c_str(), 0755);
    monitor_ = std::make_unique<TmuxSession>(
        dir, monitor_environment(lang),
        wrapped_command(monitor_program(), dir_.file("monitor.pid")), 80, 24);
    EXPECT_TRUE(monitor_->wait_for_text("alpha: ")) << monitor_->screen();
    EXPECT_TRUE(monitor_->wait_for_text("beta: ")) << monitor_->screen();
    return *monitor_;
  }

  TmuxSession& start_reference_monitor() {
    const std::string dir = dir_.file("reference");
    ::mkdir(dir.c_str(), 0755);
    reference_ = std::make_unique<TmuxSession>(dir, monitor_environment(), kReferenceMonitor,
                                               80, 24);
    EXPECT_TRUE(reference_->wait_for_text("beta: ")) << reference_->screen();
    return *reference_;
  }

  pid_t monitor_pid() {
    return static_cast<pid_t>(std::stol(test::read_file(dir_.file("monitor.pid"))));
  }

  test::BackgroundProcess start_client(const ClientKeys& keys) {
    test::RunOptions options;
    options.timeout = 90s;
    return test::BackgroundProcess(
        {"/usr/bin/timeout", "80", kReferenceClient, "--connect=::1:" + std::to_string(port_),
         "--interface=none", "--pubkey=" + keys.dir + "/pubkey.txt",
         "--seckey=" + keys.dir + "/seckey.txt", "--tls-pubkey=" + keys.dir + "/tls-pubkey.pem",
         "--tls-privkey=" + keys.dir + "/tls-privkey.pem",
         "--network-hook-dir=" + dir_.file("hooks")},
        dir_.path(), options);
  }

  static std::string* problem_;
  static std::vector<ClientKeys>* keys_;

  test::TempDir dir_{"mandos-monitor-interop"};
  std::unique_ptr<PrivateBus> bus_;
  std::unique_ptr<test::BackgroundProcess> server_;
  int port_ = 0;
  std::unique_ptr<TmuxSession> monitor_;
  std::unique_ptr<TmuxSession> reference_;
};

std::string* MonitorInterop::problem_ = nullptr;
std::vector<ClientKeys>* MonitorInterop::keys_ = nullptr;

// Timestamps and countdowns change between two captures; the rest must not.
std::vector<std::string> masked(std::vector<std::string> rows) {
  static const std::regex stamp("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3}");
  static const std::regex countdown("[0-9]+:[0-9]{2}:[0-9]{2}");
  for (std::string& row : rows) {
    row = std::regex_replace(std::regex_replace(row, stamp, "TIME"), countdown, "H:MM:SS");
  }
  while (!rows.empty() && rows.back().empty()) rows.pop_back();
  return rows;
}

TEST_F(MonitorInterop, ShowsTheServersClientsSortedWithTheBanner) {
  TmuxSession& monitor = start_monitor();
  auto rows = monitor.rows();
  ASSERT_EQ(rows.size(), 24u);
  EXPECT_EQ(rows[0].rfind("alpha: ", 0), 0u) << monitor.screen();
  EXPECT_EQ(rows[1].rfind("beta: ", 0), 0u) << monitor.screen();
  EXPECT_EQ(divider_row(rows, 80), 11) << monitor.screen();
  EXPECT_EQ(rows[12], "Mandos Monitor version 1.8.16");
  EXPECT_EQ(rows[13], "q: Quit  ?: Help");
  // The focused client is in standout, the banner in bold.
  EXPECT_NE(monitor.rows_with_attributes()[0].find("\x1b[7m"), std::string::npos);
  EXPECT_NE(monitor.rows_with_attributes()[12].find("\x1b[1m"), std::string::npos);
}

TEST_F(MonitorInterop, DisableAndEnableKeysChangeTheClientOnTheServer) {
  TmuxSession& monitor = start_monitor();
  ASSERT_EQ(ctl({"--is-enabled", "alpha"}).exit_code, 0);
  monitor.send_keys({"-"});
  EXPECT_TRUE(monitor.wait_for_text("alpha: DISABLED")) << monitor.screen();
  EXPECT_EQ(ctl({"--is-enabled", "alpha"}).exit_code, 1);
  EXPECT_EQ(ctl({"--is-enabled", "beta"}).exit_code, 0);
  auto table = ctl({});
  EXPECT_TRUE(std::regex_search(table.out, std::regex("\nalpha +No ")));
  monitor.send_keys({"+"});
  EXPECT_TRUE(monitor.wait_for([](const std::vector<std::string>& rows) {
    return !rows.empty() && rows[0].rfind("alpha: ", 0) == 0 &&
           rows[0].find("DISABLED") == std::string::npos;
  })) << monitor.screen();
  EXPECT_EQ(ctl({"--is-enabled", "alpha"}).exit_code, 0);
}

TEST_F(MonitorInterop, DisablingWithMandosCtlShowsUpWithoutAKeyPress) {
  TmuxSession& monitor = start_monitor();
  ASSERT_EQ(ctl({"--disable", "beta"}).exit_code, 0);
  EXPECT_TRUE(monitor.wait_for_text("beta: DISABLED")) << monitor.screen();
}

TEST_F(MonitorInterop, ApproveKeyLetsAWaitingClientGetItsSecret) {
  TmuxSession& monitor = start_monitor();
  test::BackgroundProcess client = start_client((*keys_)[0]);
  EXPECT_TRUE(monitor.wait_for_text("Client alpha needs approval within 60.000000 seconds"))
      << monitor.screen();
  EXPECT_TRUE(monitor.wait_for_text("alpha: Denial in 0:00:5")) << monitor.screen();
  monitor.send_keys({"a"});
  ASSERT_TRUE(test::wait_until([&] { return !client.running(); }, 60s));
  auto result = client.stop();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "secret of alpha\n");
  EXPECT_TRUE(monitor.wait_for_text("Client alpha received its secret")) << monitor.screen();
}

TEST_F(MonitorInterop, DenyKeyRejectsAWaitingClient) {
  TmuxSession& monitor = start_monitor();
  test::BackgroundProcess client = start_client((*keys_)[0]);
  EXPECT_TRUE(monitor.wait_for_text("Client alpha needs approval")) << monitor.screen();
  monitor.send_keys({"d"});
  EXPECT_TRUE(monitor.wait_for_text("Client alpha was rejected; reason: Denied"))
      << monitor.screen();
  client.stop(SIGTERM);
}

// (Server shutdown would announce removals too, but the reference's
// clean-up sometimes dies of a KeyError first; RemoveClient is reliable.)
TEST_F(MonitorInterop, ClientRemovedWithMandosCtlLeavesTheList) {
  TmuxSession& monitor = start_monitor();
  ASSERT_EQ(ctl({"--remove", "alpha"}).exit_code, 0);
  EXPECT_TRUE(monitor.wait_for([](const std::vector<std::string>& rows) {
    return row_with(rows, "alpha: ") < 0 && !rows.empty() && rows[0].rfind("beta: ", 0) == 0;
  })) << monitor.screen();
}

TEST_F(MonitorInterop, NotesAMissingServerAndShowsClientsWhenItStarts) {
  stop_server();
  const std::string dir = dir_.file("ours");
  ::mkdir(dir.c_str(), 0755);
  monitor_ = std::make_unique<TmuxSession>(
      dir, monitor_environment(), wrapped_command(monitor_program(), dir_.file("monitor.pid")),
      80, 24);
  EXPECT_TRUE(monitor_->wait_for_text(": Note: No Mandos server running.")) << monitor_->screen();
  launch_server();
  EXPECT_TRUE(monitor_->wait_for_text("alpha: ")) << monitor_->screen();
}

TEST_F(MonitorInterop, RedrawsTheLayoutWhenTheWindowIsResized) {
  TmuxSession& monitor = start_monitor();
  monitor.resize(100, 31);
  EXPECT_TRUE(monitor.wait_for([](const std::vector<std::string>& rows) {
    return divider_row(rows, 100) == 15;  // (31 + 1) / 2 rows above the log, divider last
  })) << monitor.screen();
  monitor.resize(60, 15);
  EXPECT_TRUE(monitor.wait_for([](const std::vector<std::string>& rows) {
    return divider_row(rows, 60) == 7 && row_with(rows, "Mandos Monitor version") == 8;
  })) << monitor.screen();
  monitor.send_keys({"l"});  // the log hidden: the list takes all but the divider row
  EXPECT_TRUE(monitor.wait_for(
      [](const std::vector<std::string>& rows) { return divider_row(rows, 60) == 14; }))
      << monitor.screen();
}

TEST_F(MonitorInterop, QuitRestoresTheTerminal) {
  TmuxSession& monitor = start_monitor();
  EXPECT_EQ(monitor.pane_format("#{alternate_on}"), "1");
  monitor.send_keys({"q"});
  ASSERT_TRUE(monitor.wait_for_text("exit status 0")) << monitor.screen();
  EXPECT_TRUE(monitor.wait_for_text("tty restored")) << monitor.screen();
  EXPECT_EQ(monitor.pane_format("#{alternate_on}"), "0");
  EXPECT_EQ(monitor.pane_format("#{cursor_flag}"), "1");
}

TEST_F(MonitorInterop, TerminationSignalRestoresTheTerminalAndKillsTheMonitor) {
  TmuxSession& monitor = start_monitor();
  ASSERT_EQ(::kill(monitor_pid(), SIGTERM), 0);
  ASSERT_TRUE(monitor.wait_for_text("exit status 143")) << monitor.screen();
  EXPECT_TRUE(monitor.wait_for_text("tty restored")) << monitor.screen();
  EXPECT_EQ(monitor.pane_format("#{alternate_on}"), "0");
}

TEST_F(MonitorInterop, ControlCEndsTheMonitorNormally) {
  TmuxSession& monitor = start_monitor();
  monitor.send_keys({"C-c"});
  ASSERT_TRUE(monitor.wait_for_text("exit status 0")) << monitor.screen();
  EXPECT_TRUE(monitor.wait_for_text("tty restored")) << monitor.screen();
}

TEST_F(MonitorInterop, UsesAnAsciiDividerWithoutUnicode) {
  TmuxSession& monitor = start_monitor("C");
  EXPECT_EQ(divider_row(monitor.rows(), 80, false), 11) << monitor.screen();
}

TEST_F(MonitorInterop, ScreenMatchesDebiansMonitorAfterTheSameKeys) {
  TmuxSession& ours = start_monitor();
  TmuxSession& theirs = start_reference_monitor();
  const std::vector<std::vector<std::string>> steps = {
      {}, {"?"}, {"v"}, {"j"}, {"-"}, {"Tab"}, {"w"}, {"Tab", "k"}, {"l"}, {"l", "+"}};
  for (const auto& keys : steps) {
    if (!keys.empty()) {
      ours.send_keys(keys);
      theirs.send_keys(keys);
    }
    // Both react to the same signals; wait until the screens agree.
    std::vector<std::string> a, b;
    const bool same = test::wait_until(
        [&] {
          a = masked(ours.rows());
          b = masked(theirs.rows());
          return a == b;
        },
        15s, 200ms);
    std::string shown;
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      shown += (i < a.size() ? a[i] : "") + "  |  " + (i < b.size() ? b[i] : "") + "\n";
    }
    EXPECT_TRUE(same) << "after keys ending with '" << (keys.empty() ? "" : keys.back())
                      << "' (ours | Debian's):\n"
                      << shown;
  }
}

}  // namespace
}  // namespace mandos::monitor::harness
