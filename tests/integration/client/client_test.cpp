// mandos-client as a program: options, key errors, the protocol against a
// minimal in-test server on loopback, network hooks and privileges.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

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

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(ClientProgram, VersionIsPrefixedOnStdoutAndExits64) {
  auto result = test::run({client_binary(), "--version"});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_EQ(result.out, "Mandos plugin mandos-client: mandos-client 1.8.16\n");
}

TEST(ClientProgram, HelpAndUsageGoToStdoutAndExit64) {
  auto help = test::run({client_binary(), "--help"});
  EXPECT_EQ(help.exit_code, 64);
  EXPECT_EQ(help.out.rfind("Usage: mandos-client [OPTION...]", 0), 0u) << help.out;
  for (const char* option : {"--connect=ADDRESS:PORT", "--interface=NAME", "--pubkey=FILE",
                             "--seckey=FILE", "--tls-pubkey=FILE", "--tls-privkey=FILE",
                             "--priority=STRING", "--dh-bits=BITS", "--dh-params=FILE",
                             "--delay=SECONDS", "--retry=SECONDS", "--network-hook-dir=DIR",
                             "--debug"}) {
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
  }
  auto usage = test::run({client_binary(), "--usage"});
  EXPECT_EQ(usage.exit_code, 64);
  EXPECT_EQ(usage.out.rfind("Usage: mandos-client [-?V]", 0), 0u) << usage.out;
}

class ClientWithKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = make_client_keys(dir_.path());
    ASSERT_EQ(::mkdir(hooks_.c_str(), 0755), 0);
  }
  std::vector<std::string> client(const std::vector<std::string>& extra) {
    return concat(concat({client_binary()}, key_arguments(keys_, hooks_)), extra);
  }
  std::string payload(const std::string& secret) {
    std::string file = dir_.file("payload");
    test::write_file(file, encrypt_for(keys_, dir_.path(), secret), 0644);
    return file;
  }

  TempDir dir_{"client-it"};
  std::string hooks_ = dir_.file("hooks");
  ClientKeys keys_;
};

TEST_F(ClientWithKeys, MissingTlsKeyIsUnavailableNamingTheFile) {
  std::string missing = dir_.file("nope.pem");
  auto result = test::run(client({"--connect=127.0.0.1:9", "--interface=none",
                                  "--tls-pubkey=" + missing}),
                          options(30s));
  EXPECT_EQ(result.exit_code, 69) << result.err;
  EXPECT_NE(result.err.find(missing), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("init_gnutls_global failed"), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

TEST_F(ClientWithKeys, MalformedTlsKeyIsUnavailableNamingTheFile) {
  std::string bad = dir_.file("bad.pem");
  test::write_file(bad, "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n");
  auto result = test::run(client({"--connect=127.0.0.1:9", "--interface=none",
                                  "--tls-privkey=" + bad}),
                          options(30s));
  EXPECT_EQ(result.exit_code, 69) << result.err;
  EXPECT_NE(result.err.find(bad), std::string::npos) << result.err;
}

TEST_F(ClientWithKeys, MissingOpenPgpKeyIsUnavailableNamingTheFile) {
  std::string missing = dir_.file("no-seckey.txt");
  auto result = test::run(client({"--connect=127.0.0.1:9", "--interface=none",
                                  "--seckey=" + missing}),
                          options(30s));
  EXPECT_EQ(result.exit_code, 69) << result.err;
  EXPECT_NE(result.err.find(missing), std::string::npos) << result.err;
}

TEST_F(ClientWithKeys, AnInvalidPriorityStringIsRefusedAtStartNamingIt) {
  auto result = test::run(client({"--connect=127.0.0.1:9", "--interface=none",
                                  "--priority=SECURE128:BOGUS"}),
                          options(30s));
  EXPECT_EQ(result.exit_code, 69) << result.err;
  EXPECT_NE(result.err.find("--priority: invalid priority string \"SECURE128:BOGUS\""),
            std::string::npos)
      << result.err;
}

TEST_F(ClientWithKeys, PrintsExactlyTheSecretFromAServerOverIpv6Loopback) {
  const std::string secret = "correct horse\nbattery staple \x01\xfe";
  FakeServer server(dir_.path(), "::1", payload(secret), "secret");
  auto result = test::run(client({"--connect=::1:" + std::to_string(server.port()),
                                  "--interface=none"}),
                          options(60s));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, secret);
  EXPECT_NE(server.log().find("key id " + keys_.key_id), std::string::npos) << server.log();
  EXPECT_NE(server.log().find("bye ok"), std::string::npos) << server.log();
}

TEST_F(ClientWithKeys, PrintsTheSecretOverIpv4Loopback) {
  FakeServer server(dir_.path(), "127.0.0.1", payload("v4 secret"), "secret");
  auto result = test::run(client({"--connect=127.0.0.1:" + std::to_string(server.port()),
                                  "--interface=none"}),
                          options(60s));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "v4 secret");
}

// Runs the client in the background until the server saw `connections`
// attempts, then stops it with SIGTERM.
test::RunResult run_until_connections(const std::vector<std::string>& argv,
                                      const FakeServer& server, int connections,
                                      const std::string& log_dir) {
  test::BackgroundProcess client(argv, log_dir);
  bool seen = test::wait_until([&] { return server.connections() >= connections; }, 30s);
  EXPECT_TRUE(seen) << server.log() << client.stderr_text();
  return client.stop(SIGTERM, 20s);
}

TEST_F(ClientWithKeys, ARefusalIsRetriedAfterTheRetryIntervalUntilASignal) {
  FakeServer server(dir_.path(), "::1", payload("unused"), "refuse");
  auto result = run_until_connections(
      client({"--connect=::1:" + std::to_string(server.port()), "--interface=none",
              "--retry=0.2"}),
      server, 3, dir_.path());
  EXPECT_EQ(result.signal, SIGTERM) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(server.log().find("sent 0 bytes"), std::string::npos);
}

TEST_F(ClientWithKeys, AServerSpeakingAnotherProtocolIsAnErrorAndRetried) {
  FakeServer server(dir_.path(), "::1", payload("unused"), "bad-version");
  auto result = run_until_connections(
      client({"--connect=::1:" + std::to_string(server.port()), "--interface=none",
              "--retry=0.2"}),
      server, 2, dir_.path());
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("TLS handshake failed"), std::string::npos) << result.err;
}

TEST_F(ClientWithKeys, MoreThanOneMebibyteIsRefused) {
  FakeServer server(dir_.path(), "::1", payload("unused"), "oversize");
  auto result = run_until_connections(
      client({"--connect=::1:" + std::to_string(server.port()), "--interface=none",
              "--retry=0.2"}),
      server, 2, dir_.path());
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("more than 1048576 bytes"), std::string::npos) << result.err;
}

TEST_F(ClientWithKeys, ConnectionRefusedIsQuietWithoutDebug) {
  int port = test::free_tcp_port();
  test::BackgroundProcess background(
      client({"--connect=127.0.0.1:" + std::to_string(port), "--interface=none", "--retry=0.1"}),
      dir_.path());
  std::this_thread::sleep_for(500ms);
  auto result = background.stop(SIGINT, 20s);
  EXPECT_EQ(result.signal, SIGINT);
  EXPECT_EQ(result.err.find("Connection refused"), std::string::npos) << result.err;
}

// ---------------------------------------------------------------------------
// Hooks and privileges (root: a set-uid copy run as nobody, as in the
// initramfs).

class ClientHooks : public ClientWithKeys {
 protected:
  void SetUp() override {
    if (!running_as_root()) {
      GTEST_SKIP() << "*** SKIPPED: needs root to run a set-uid root client as nobody ***";
    }
    ClientWithKeys::SetUp();
    log_ = dir_.file("hook.log");
    test::write_file(log_, "", 0666);
    const std::string body =
        "#!/bin/sh\n"
        "echo \"$(basename \"$0\") MODE=$MODE args=$# uid=$(id -u) gid=$(id -g) "
        "groups=$(id -G) DEVICE=$DEVICE VERBOSITY=$VERBOSITY DELAY=$DELAY "
        "CONNECT=${CONNECT-unset} DIR=$MANDOSNETHOOKDIR\" >> " +
        log_ + "\n";
    for (const char* name : {"20-second", "10-first", "bad~", "#bad#", "has space"}) {
      test::write_file(hooks_ + "/" + name, body, 0755);
    }
    test::write_file(hooks_ + "/15-not-executable", body, 0644);
    setuid_client_ = dir_.file("mandos-client");
    std::ifstream in(client_binary(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    test::write_file(setuid_client_, bytes.str(), 04755);
  }

  std::string log_;
  std::string setuid_client_;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string status_field(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 1);
  }
  return "";
}

TEST_F(ClientHooks, RunStartThenStopInNameOrderAsRootWithTheirEnvironment) {
  int port = test::free_tcp_port();
  std::vector<std::string> argv = client({"--connect=127.0.0.1:" + std::to_string(port),
                                          "--interface=none", "--retry=0.2", "--delay=0.5",
                                          "--retry=0.2"});
  argv[0] = setuid_client_;
  test::BackgroundProcess background(argv, dir_.path(),
                                     options(60s, true));
  ASSERT_TRUE(test::wait_until([&] { return lines(test::read_file(log_)).size() >= 2; }, 30s));
  std::this_thread::sleep_for(300ms);  // a few refused attempts

  // The main process runs as nobody for good; its helper is fully root.
  EXPECT_EQ(status_field(background.pid(), "Uid"), "\t65534\t65534\t65534\t65534");
  std::string children = test::read_file("/proc/" + std::to_string(background.pid()) + "/task/" +
                                         std::to_string(background.pid()) + "/children");
  ASSERT_FALSE(children.empty());
  pid_t helper = std::atoi(children.c_str());
  EXPECT_EQ(status_field(helper, "Uid"), "\t0\t0\t0\t0");

  auto result = background.stop(SIGTERM, 30s);
  EXPECT_EQ(result.signal, SIGTERM) << result.err;
  EXPECT_EQ(result.out, "");
  const std::string env = " args=0 uid=0 gid=0 groups=0 DEVICE=none VERBOSITY=0 DELAY=0.500000 "
                          "CONNECT=127.0.0.1:" + std::to_string(port) + " DIR=" + hooks_;
  EXPECT_EQ(lines(test::read_file(log_)),
            (std::vector<std::string>{"10-first MODE=start" + env, "20-second MODE=start" + env,
                                      "10-first MODE=stop" + env, "20-second MODE=stop" + env}));
}

TEST_F(ClientHooks, StopHooksRunEvenWhenTheMainProcessIsKilled) {
  int port = test::free_tcp_port();
  std::vector<std::string> argv = client({"--connect=127.0.0.1:" + std::to_string(port),
                                          "--interface=none", "--retry=0.2"});
  argv[0] = setuid_client_;
  test::BackgroundProcess background(argv, dir_.path(),
                                     options(60s, true));
  ASSERT_TRUE(test::wait_until([&] { return lines(test::read_file(log_)).size() >= 2; }, 30s));
  background.stop(SIGKILL, 10s);
  // The helper notices the closed socket and cleans up on its own.
  EXPECT_TRUE(test::wait_until([&] { return lines(test::read_file(log_)).size() >= 4; }, 30s))
      << test::read_file(log_);
  auto all = lines(test::read_file(log_));
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].rfind("10-first MODE=stop", 0), 0u);
  EXPECT_EQ(all[3].rfind("20-second MODE=stop", 0), 0u);
}

TEST_F(ClientHooks, AnUnprivilegedClientGetsTheSecretAndLeavesNoGnupgHome) {
  TempDir tmp("client-tmp");
  FakeServer server(dir_.path(), "::1", payload("as nobody"), "secret");
  std::vector<std::string> argv = client({"--connect=::1:" + std::to_string(server.port()),
                                          "--interface=none"});
  argv[0] = setuid_client_;
  ASSERT_EQ(::chmod(tmp.path().c_str(), 01777), 0);
  auto result = test::run(argv, options(60s, true, {"TMPDIR=" + tmp.path()}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "as nobody");
  EXPECT_EQ(lines(test::read_file(log_)).size(), 4u);  // start and stop of both hooks
  // Unless /run/tmp exists, the GnuPG home was made (and removed) in TMPDIR.
  auto leftovers = test::run({"/bin/sh", "-c", "ls -A " + tmp.path()});
  EXPECT_EQ(leftovers.out, "");
}

}  // namespace
}  // namespace mandos::client
