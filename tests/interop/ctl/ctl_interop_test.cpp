// Our mandos-ctl against Debian's mandos 1.8.16 server, compared byte for
// byte with Debian's own mandos-ctl on the same server state; actions are
// made with ours and checked with theirs (and, for --secret and --approve,
// with Debian's mandos-client fetching the secret).
//
// Server state moves on its own only through checkers and timeouts; the
// sample clients' checkers run once a day. Each comparison runs the
// reference, ours, then the reference again, and retries when the two
// reference outputs differ (state changed in between); no column is masked.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "ctl_test_env.hpp"

namespace mandos::ctl {
namespace {

using namespace std::chrono_literals;
using test_env::CtlResult;
using test_env::json_block;
using test_env::MandosServer;
using test_env::PrivateBus;

constexpr const char* kReferenceClient =
    "/usr/lib/x86_64-linux-gnu/mandos/plugins.d/mandos-client";

// Empty when Debian's packages are installed (installing them if root).
std::string ensure_reference_installed() {
  test::RunOptions options;
  options.timeout = 600s;
  const auto result = test::run(
      {"/bin/sh", std::string(MANDOS_SOURCE_DIR) + "/tests/interop/install-reference.sh"},
      options);
  if (result.exit_code != 0) return "install-reference.sh failed: " + result.err;
  for (const char* path : {test_env::kReferenceServer, test_env::kReferenceCtl}) {
    if (::access(path, X_OK) != 0) return std::string(path) + " is missing";
  }
  return "";
}

bool operator==(const CtlResult& a, const CtlResult& b) {
  return a.status == b.status && a.out == b.out && a.err == b.err;
}

class CtlInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = ensure_reference_installed();
    if (!why.empty()) GTEST_SKIP() << "SKIPPED: Debian's mandos 1.8.16 is not available: " << why;
    bus_ = std::make_unique<PrivateBus>(dir_.path(), PrivateBus::Policy::kOpen);
  }

  void start_server(const std::string& clients_conf = test_env::sample_clients_conf()) {
    server_ = std::make_unique<MandosServer>(test_env::kReferenceServer, dir_.path(),
                                             clients_conf, bus_->address());
    ASSERT_TRUE(server_->wait_ready(60s)) << server_->log();
  }

  CtlResult ours(const std::vector<std::string>& args, const std::string& input = "") {
    return test_env::run_ctl(MANDOS_CTL, args, bus_->address(), std::nullopt, input);
  }
  CtlResult reference(const std::vector<std::string>& args) {
    return test_env::run_ctl(test_env::kReferenceCtl, args, bus_->address());
  }

  // Both programs, on one state snapshot, must print the same bytes and exit alike.
  void expect_same(const std::vector<std::string>& args) {
    std::string shown;
    for (const auto& arg : args) shown += " '" + arg + "'";
    for (int attempt = 0; attempt < 3; ++attempt) {
      const CtlResult before = reference(args);
      const CtlResult mine = ours(args);
      const CtlResult after = reference(args);
      if (!(before == after)) continue;
      EXPECT_EQ(mine.out, before.out) << "stdout of mandos-ctl" << shown;
      EXPECT_EQ(mine.err, before.err) << "stderr of mandos-ctl" << shown;
      EXPECT_EQ(mine.status, before.status) << "exit status of mandos-ctl" << shown;
      ++compared_;
      return;
    }
    ADD_FAILURE() << "the server state kept changing while comparing" << shown;
  }

  // The reference's --dump-json of one client.
  std::string reference_json(const std::string& name) {
    const CtlResult result = reference({"--dump-json", name});
    EXPECT_EQ(result.status, 0) << result.err;
    return json_block(result.out, name);
  }

  void expect_ours_ok(const std::vector<std::string>& args) {
    const CtlResult result = ours(args);
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(result.out, "");
  }

  test::TempDir dir_{"ctl-interop"};
  std::unique_ptr<PrivateBus> bus_;
  std::unique_ptr<MandosServer> server_;
  int compared_ = 0;
};

TEST_F(CtlInterop, ListingsAreByteForByteIdenticalToTheReference) {
  start_server();
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"-v"},
      {"--verbose"},
      {"-j"},
      {"--dump-json"},
      {"q", "foo"},
      {"foo", "q", "foo"},
      {"-v", "bar.baz-1"},
      {"-j", "bar.baz-1", "foo"},
      {"nonexistent"},
      {"foo", "it's missing"},
      {"-j", "nonexistent"},
      {"--debug"},
      {"--debug", "-j", "foo"},
  };
  for (const auto& args : cases) expect_same(args);
  EXPECT_EQ(compared_, static_cast<int>(cases.size()));
}

TEST_F(CtlInterop, IsEnabledExitStatusIsTheReferences) {
  start_server();
  expect_same({"-V", "foo"});
  expect_same({"--is-enabled", "bar.baz-1"});
  expect_same({"-V", "nonexistent"});
  EXPECT_EQ(ours({"-V", "foo"}).status, 0);
  EXPECT_EQ(ours({"-V", "bar.baz-1"}).status, 1);
}

TEST_F(CtlInterop, UsageErrorsAreByteForByteIdenticalToTheReference) {
  start_server();
  const std::vector<std::vector<std::string>> cases = {
      {"-e"}, {"--enable"}, {"-v", "-e", "foo"}, {"-j", "-v"}, {"-j", "-j"}, {"-j", "-e", "foo"},
      {"--all"}, {"-j", "--all"}, {"-V", "a", "b"}, {"-r", "-e", "foo"}, {"-r", "-r", "foo"},
      {"-e", "-d", "foo"}, {"--stop-checker", "--start-checker", "foo"}, {"-A", "-D", "foo"},
      {"--approve-by-default", "--deny-by-default", "foo"}, {"--appro", "foo"},
      {"--enable=x", "foo"}, {"-e=x", "foo"}, {"-t"}, {"-t", "--enable", "foo"},
      {"--foo", "x", "-y"}, {"x", "-e", "y"}, {"-s", "/nonexistent", "foo"},
      {"-s", "/tmp", "foo"}, {"-c"}, {"-ev", "foo"}, {"--version"}, {"-t", "3"},
  };
  for (const auto& args : cases) expect_same(args);
}

TEST_F(CtlInterop, EnableAndDisableTakeEffect) {
  start_server();
  expect_ours_ok({"--disable", "foo"});
  EXPECT_NE(reference_json("foo").find("\"Enabled\": false"), std::string::npos);
  EXPECT_EQ(reference({"-V", "foo"}).status, 1);
  expect_ours_ok({"-e", "foo", "bar.baz-1"});
  EXPECT_NE(reference_json("foo").find("\"Enabled\": true"), std::string::npos);
  EXPECT_NE(reference_json("bar.baz-1").find("\"Enabled\": true"), std::string::npos);
  // The same action logs the same D-Bus calls.
  expect_same({"--debug", "--enable", "foo", "q"});
}

TEST_F(CtlInterop, DurationsAreSentAsMilliseconds) {
  start_server();
  expect_ours_ok({"--timeout", "PT7M", "--extended-timeout", "PT1H", "--interval", "PT10M",
                  "--approval-delay", "PT30S", "--approval-duration", "PT2S", "foo"});
  const std::string foo = reference_json("foo");
  EXPECT_NE(foo.find("\"Timeout\": 420000,"), std::string::npos) << foo;
  EXPECT_NE(foo.find("\"ExtendedTimeout\": 3600000,"), std::string::npos) << foo;
  EXPECT_NE(foo.find("\"Interval\": 600000,"), std::string::npos) << foo;
  EXPECT_NE(foo.find("\"ApprovalDelay\": 30000,"), std::string::npos) << foo;
  EXPECT_NE(foo.find("\"ApprovalDuration\": 2000,"), std::string::npos) << foo;
  // The legacy syntax, with the reference's warning.
  const CtlResult legacy = ours({"-t", "1h2m", "--all"});
  EXPECT_EQ(legacy.status, 0);
  EXPECT_EQ(legacy.err, "Invalid RFC 3339 duration: \"1h2m\" - Parsing as pre-1.6.1 interval "
                        "instead\n");
  EXPECT_NE(reference_json("q").find("\"Timeout\": 3720000,"), std::string::npos);
  const CtlResult table = reference({"q"});
  EXPECT_NE(table.out.find("01:02:00"), std::string::npos) << table.out;
}

TEST_F(CtlInterop, DurationsOfAMonthWorkWhereTheReferenceOverflows) {
  start_server();
  // 30 days = 2,592,000,000 ms, past int32: Debian's own mandos-ctl fails.
  const CtlResult theirs = reference({"--timeout", "P30D", "foo"});
  EXPECT_EQ(theirs.status, 1);
  EXPECT_NE(theirs.err.find("OverflowError"), std::string::npos);
  expect_ours_ok({"--timeout", "P30D", "foo"});
  EXPECT_NE(reference_json("foo").find("\"Timeout\": 2592000000,"), std::string::npos);
  EXPECT_NE(reference({"foo"}).out.find("30T00:00:00"), std::string::npos);
}

TEST_F(CtlInterop, DurationsThePythonServerCannotScheduleFailOnOneLine) {
  start_server();
  // Beyond 2^32 ms the Python server's GLib timer overflows.
  const CtlResult result = ours({"--timeout", "P60D", "foo"});
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(result.err.starts_with("Failed to set Timeout of client 'foo': OverflowError: "))
      << result.err;
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
}

TEST_F(CtlInterop, HostCheckerAndApprovalDefaultTakeEffect) {
  start_server();
  expect_ours_ok({"-H", "new.example", "-c", "fping -q -- %%(host)s \xc3\xa9", "--deny-by-default",
                  "foo"});
  std::string foo = reference_json("foo");
  EXPECT_NE(foo.find("\"Host\": \"new.example\","), std::string::npos) << foo;
  EXPECT_NE(foo.find("\"Checker\": \"fping -q -- %%(host)s \\u00e9\","), std::string::npos) << foo;
  EXPECT_NE(foo.find("\"ApprovedByDefault\": false,"), std::string::npos) << foo;
  expect_ours_ok({"--approve-by-default", "--checker=", "foo"});
  foo = reference_json("foo");
  EXPECT_NE(foo.find("\"ApprovedByDefault\": true,"), std::string::npos) << foo;
  EXPECT_NE(foo.find("\"Checker\": \"\","), std::string::npos) << foo;
}

TEST_F(CtlInterop, BumpTimeoutAndCheckerControlTakeEffect) {
  start_server();
  EXPECT_NE(reference_json("foo").find("\"LastCheckedOK\": \"\","), std::string::npos);
  expect_ours_ok({"--bump-timeout", "foo"});
  EXPECT_EQ(reference_json("foo").find("\"LastCheckedOK\": \"\","), std::string::npos);
  expect_ours_ok({"--checker", "sleep 60", "--start-checker", "foo"});
  EXPECT_TRUE(test::wait_until(
      [&] { return reference_json("foo").find("\"CheckerRunning\": true,") != std::string::npos; },
      10s, 200ms));
  expect_ours_ok({"--stop-checker", "foo"});
  EXPECT_TRUE(test::wait_until(
      [&] { return reference_json("foo").find("\"CheckerRunning\": false,") != std::string::npos; },
      10s, 200ms));
}

TEST_F(CtlInterop, RemoveTakesEffectAndDenyGoesFirst) {
  start_server();
  const CtlResult removed = ours({"--debug", "--remove", "--deny", "q"});
  EXPECT_EQ(removed.status, 0) << removed.err;
  const std::size_t approve = removed.err.find("Approve(False)");
  const std::size_t remove = removed.err.find("RemoveClient('/clients/q')");
  EXPECT_NE(approve, std::string::npos) << removed.err;
  EXPECT_NE(remove, std::string::npos) << removed.err;
  EXPECT_LT(approve, remove);
  EXPECT_EQ(json_block(reference({"-j"}).out, "q"), "");
  expect_same({"q"});
  expect_same({});
}

TEST_F(CtlInterop, WithoutAServerBothReportTheSameConnectionFailure) {
  start_server();
  server_->stop();
  ASSERT_TRUE(test::wait_until([&] { return !server_->owns_bus_name(); }, 10s));
  expect_same({});
  const CtlResult result = ours({"-e", "foo"});
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.err,
            "Could not connect to Mandos server: The name se.recompile.Mandos was not provided "
            "by any .service files\n");
}

TEST_F(CtlInterop, WithoutABusOursFailsWithOneLine) {
  // The reference dies with a traceback here.
  const CtlResult result =
      test_env::run_ctl(MANDOS_CTL, {}, "unix:path=" + dir_.file("no-such-socket"));
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "Could not connect to Mandos server: Failed to connect to socket " +
                            dir_.file("no-such-socket") + ": No such file or directory\n");
}

// --- --secret and --approve/--deny, seen by Debian's mandos-client ---

struct KeySet {
  std::string dir;
  std::string section;  // clients.conf section for the first password
};

test::RunResult run_checked(const std::vector<std::string>& argv) {
  test::RunOptions options;
  options.timeout = 300s;
  auto result = test::run(argv, options);
  EXPECT_EQ(result.exit_code, 0) << argv[0] << ": " << result.err;
  return result;
}

// The base64 "secret" of a clients.conf section as raw bytes in `path`.
void write_secret_blob(const std::string& section, const std::string& path) {
  std::smatch match;
  ASSERT_TRUE(std::regex_search(section, match, std::regex("secret =((?:\\n[ \\t]+[^\\n]*)+)")))
      << section;
  std::string base64 = match[1];
  base64 = std::regex_replace(base64, std::regex("\\s"), "");
  test::write_file(path + ".b64", base64);
  const auto decoded = run_checked({"/usr/bin/base64", "-d", path + ".b64"});
  test::write_file(path, decoded.out, 0600);
}

class CtlInteropWithClient : public CtlInterop {
 protected:
  void SetUp() override {
    CtlInterop::SetUp();
    if (IsSkipped()) return;
    keys_ = dir_.file("keys");
    ASSERT_EQ(::mkdir(keys_.c_str(), 0755), 0);
    run_checked({"/usr/sbin/mandos-keygen", "--dir", keys_, "--name", "interop", "--force"});
    for (const char* file : {"pubkey.txt", "seckey.txt", "tls-pubkey.pem", "tls-privkey.pem"}) {
      ::chmod((keys_ + "/" + file).c_str(), 0644);
    }
    test::write_file(dir_.file("pass1"), "first password\n", 0600);
    test::write_file(dir_.file("pass2"), "second secret\n", 0600);
    const auto first = run_checked({"/usr/sbin/mandos-keygen", "--dir", keys_, "--name",
                                    "interop", "--passfile", dir_.file("pass1"), "--no-ssh"});
    const auto second = run_checked({"/usr/sbin/mandos-keygen", "--dir", keys_, "--name",
                                     "interop", "--passfile", dir_.file("pass2"), "--no-ssh"});
    write_secret_blob(second.out, dir_.file("secret2.bin"));
    ::mkdir(dir_.file("hooks").c_str(), 0755);
    start_server("[DEFAULT]\ninterval = P1D\nchecker = true\n\n" + first.out);
  }

  std::vector<std::string> client_command() const {
    return {kReferenceClient,
            "--connect=::1:" + std::to_string(server_->port()),
            "--interface=none",
            "--pubkey=" + keys_ + "/pubkey.txt",
            "--seckey=" + keys_ + "/seckey.txt",
            "--tls-pubkey=" + keys_ + "/tls-pubkey.pem",
            "--tls-privkey=" + keys_ + "/tls-privkey.pem",
            "--network-hook-dir=" + dir_.file("hooks"),
            "--retry=1"};
  }

  std::string fetch_secret() {
    test::RunOptions options;
    options.timeout = 60s;
    return test::run(client_command(), options).out;
  }

  bool approval_pending() {
    return reference_json("interop").find("\"ApprovalPending\": true,") != std::string::npos;
  }

  std::string keys_;
};

TEST_F(CtlInteropWithClient, SecretFromAFileReachesTheClient) {
  ASSERT_EQ(fetch_secret(), "first password\n");
  expect_ours_ok({"--secret", dir_.file("secret2.bin"), "interop"});
  EXPECT_EQ(fetch_secret(), "second secret\n");
}

TEST_F(CtlInteropWithClient, SecretFromStandardInputReachesTheClient) {
  const std::string blob = test::read_file(dir_.file("secret2.bin"));
  const CtlResult result = ours({"-s", "-", "interop"}, blob);
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(fetch_secret(), "second secret\n");
}

TEST_F(CtlInteropWithClient, ApproveAndDenyAnswerAWaitingClient) {
  // An approval lasts 1 s, so it does not carry over to the second client.
  expect_ours_ok({"--deny-by-default", "--approval-delay", "PT60S", "--approval-duration",
                  "PT1S", "interop"});
  {
    test::BackgroundProcess client(client_command(), dir_.path());
    ASSERT_TRUE(test::wait_until([&] { return approval_pending(); }, 30s, 200ms));
    expect_ours_ok({"--approve", "interop"});
    ASSERT_TRUE(test::wait_until([&] { return !client.running(); }, 30s));
    EXPECT_EQ(client.stdout_text(), "first password\n");
  }
  // The approval above counts for 1 s after it was given: a client that
  // came sooner would be let through without waiting. Let it lapse.
  std::this_thread::sleep_for(1500ms);
  // A denial lasts 30 s, so the client's retries are refused at once
  // instead of waiting for a decision again.
  expect_ours_ok({"--approval-duration", "PT30S", "interop"});
  {
    test::BackgroundProcess client(client_command(), dir_.path());
    ASSERT_TRUE(test::wait_until([&] { return approval_pending(); }, 30s, 200ms));
    // The server announces each refusal with the signal Rejected("Denied").
    test::BackgroundProcess monitor(
        {"/usr/bin/dbus-monitor", "--system",
         "type='signal',interface='se.recompile.Mandos.Client',member='Rejected'"},
        dir_.path(), test_env::bus_run_options(bus_->address()));
    ASSERT_TRUE(test::wait_until(
        [&] { return monitor.stdout_text().find("NameAcquired") != std::string::npos; }, 10s));
    EXPECT_EQ(monitor.stdout_text().find("Denied"), std::string::npos);
    expect_ours_ok({"-D", "interop"});
    EXPECT_TRUE(test::wait_until(
        [&] { return monitor.stdout_text().find("string \"Denied\"") != std::string::npos; },
        10s))
        << monitor.stdout_text();
    EXPECT_TRUE(client.running());
    EXPECT_EQ(client.stdout_text(), "");
    client.stop(SIGTERM, 5s);
  }
}

// --- the bus policy refuses us ---

class CtlInteropRestricted : public CtlInterop {
 protected:
  void SetUp() override {
    const std::string why = ensure_reference_installed();
    if (!why.empty()) GTEST_SKIP() << "SKIPPED: Debian's mandos 1.8.16 is not available: " << why;
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root to run as another user";
    bus_ = std::make_unique<PrivateBus>(dir_.path(), PrivateBus::Policy::kRootOnly);
  }
};

TEST_F(CtlInteropRestricted, PermissionDeniedIsOneClearLine) {
  start_server();
  const auto nobody = lookup_user("nobody");
  ASSERT_TRUE(nobody.has_value());
  const CtlResult denied = test_env::run_ctl(MANDOS_CTL, {}, bus_->address(), *nobody);
  EXPECT_EQ(denied.status, 1);
  EXPECT_EQ(denied.out, "");
  EXPECT_EQ(denied.err,
            "Could not connect to Mandos server: permission denied by the D-Bus policy (only "
            "root and members of group _mandos may use it)\n");
  // Root is let through on the same bus.
  const CtlResult root = ours({"foo"});
  EXPECT_EQ(root.status, 0) << root.err;
}

}  // namespace
}  // namespace mandos::ctl
