// Our mandos server against Debian's mandos-client 1.8.16 (label interop):
// keys and clients.conf sections are made by Debian's mandos-keygen (one
// test makes them with ours and also runs our client), and a clients.conf
// written for the Python server must load unchanged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <memory>
#include <regex>

#include "mandos/privileges.hpp"
#include "mandos/test/support.hpp"

namespace mandos::test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kReferenceClient = "/usr/lib/x86_64-linux-gnu/mandos/plugins.d/mandos-client";
constexpr const char* kReferenceKeygen = "/usr/sbin/mandos-keygen";

// Exact bytes, as mandos-keygen --passfile takes them: trailing newline and
// non-ASCII included; the client must print them unchanged.
const std::string kPassword = "interop disk password \xc3\xa9\t!\n";

// ssh-keyscan stand-in for the keygen's ssh checker (no ssh server needed):
// prints an RSA host key line for the host it is asked about.
const std::string kFakeSshKeyscan =
    "#!/bin/sh\n"
    "[ \"$2\" = rsa ] || exit 0\n"
    "echo \"$3 ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQfake\"\n";

RunOptions limited(std::chrono::milliseconds timeout, std::vector<std::string> env = {}) {
  RunOptions options;
  options.timeout = timeout;
  options.env_add = std::move(env);
  return options;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Debian's key files for one client, readable by whoever runs the client.
struct Keys {
  std::string dir;
  std::string key_id;  // upper case, as our server logs it
};

class ServerInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = new std::string;
    auto install = run({"/bin/sh", source_path("tests/interop/install-reference.sh")},
                       limited(std::chrono::minutes(10)));
    if (install.exit_code != 0) {
      *skip_ = "install-reference.sh failed: " + install.err;
      return;
    }
    if (::access(kReferenceClient, X_OK) != 0) {
      *skip_ = std::string(kReferenceClient) + " missing";
      return;
    }
    shared_ = new TempDir("mandos-server-interop-keys");
    write_file(shared_->file("ssh-keyscan"), kFakeSshKeyscan, 0755);
    client_ = new Keys(make_keys("client.example"));
    stranger_ = new Keys(make_keys("stranger.example"));
  }
  static void TearDownTestSuite() {
    delete client_;
    delete stranger_;
    delete shared_;
    delete skip_;
  }

  void SetUp() override {
    if (!skip_->empty()) {
      GTEST_SKIP() << "*** SKIPPED: Debian's mandos-client 1.8.16 is not available: " << *skip_
                   << " ***";
    }
    ASSERT_FALSE(client_->dir.empty()) << "mandos-keygen failed in SetUpTestSuite";
    for (const char* sub : {"conf", "state", "hooks"}) {
      ASSERT_EQ(::mkdir(dir.file(sub).c_str(), 0755), 0);
    }
    // Our server drops root like the reference: its state dir is its own.
    if (::geteuid() == 0) {
      UserIds ids = resolve_server_user();
      ASSERT_EQ(::chown(dir.file("state").c_str(), ids.uid, ids.gid), 0);
    }
  }

  void TearDown() override {
    if (server) server->stop(SIGTERM, 10s);
  }

  static Keys make_keys(const std::string& name) {
    Keys keys{shared_->file("keys-" + name), ""};
    ::mkdir(keys.dir.c_str(), 0755);
    auto made = run({kReferenceKeygen, "--dir", keys.dir, "--name", name, "--force"},
                    limited(std::chrono::minutes(3)));
    if (made.exit_code != 0) {
      ADD_FAILURE() << "mandos-keygen --dir " << keys.dir << ": " << made.err;
      return Keys{};
    }
    for (const char* file : {"pubkey.txt", "seckey.txt", "tls-pubkey.pem", "tls-privkey.pem"}) {
      ::chmod((keys.dir + "/" + file).c_str(), 0644);
    }
    auto id = run({"/usr/bin/certtool", "--key-id", "--hash=sha256",
                   "--load-pubkey=" + keys.dir + "/tls-pubkey.pem"});
    std::smatch match;
    if (!std::regex_search(id.out, match, std::regex("([0-9a-f]{64})"))) {
      ADD_FAILURE() << "certtool --key-id: " << id.out << id.err;
      return Keys{};
    }
    keys.key_id = upper(match[1]);
    return keys;
  }

  // The clients.conf section Debian's mandos-keygen prints for `password`
  // (the Debian workflow: mandos-keygen --password >> clients.conf).
  std::string keygen_section(const Keys& keys, const std::string& name, bool ssh) {
    write_file(dir.file("passfile"), kPassword, 0600);
    std::vector<std::string> argv = {kReferenceKeygen, "--dir", keys.dir, "--name", name,
                                     "--passfile", dir.file("passfile")};
    if (!ssh) argv.push_back("--no-ssh");
    // With ssh, the keygen asks ssh-keyscan for the host key: the stand-in.
    auto section = run(argv, limited(std::chrono::minutes(2),
                                     {"PATH=" + shared_->path() + ":/usr/sbin:/usr/bin:/sbin:/bin"}));
    EXPECT_EQ(section.exit_code, 0) << section.err;
    return section.out;
  }

  std::vector<std::string> server_command() {
    return {MANDOS_SERVER, "--configdir", dir.file("conf"), "--statedir", dir.file("state"),
            "--no-zeroconf", "--no-dbus", "--foreground", "--debug",
            "--address", "::1", "--port", std::to_string(port)};
  }

  void start_server() {
    port = free_tcp_port();
    // The checker finds the ssh-keyscan stand-in first on its PATH.
    RunOptions options;
    options.env_add = {"PATH=" + shared_->path() + ":/usr/sbin:/usr/bin:/sbin:/bin"};
    server = std::make_unique<BackgroundProcess>(server_command(), dir.path(), options);
    ASSERT_TRUE(server->wait_for_stderr("Now listening on", 30s)) << server->stderr_text();
  }

  // Debian's client with `keys`, given up on (SIGKILL) after `limit`.
  RunResult run_reference_client(const Keys& keys, std::chrono::seconds limit) {
    return run_client(kReferenceClient, keys, limit);
  }

  // Debian's client, which retries forever when refused, stopped after
  // `seconds` with SIGTERM (timeout(1) then exits 124). Killed outright, it
  // would leave its GnuPG home in /tmp with a running gpg-agent.
  RunResult run_reference_client_until_stopped(const Keys& keys, std::chrono::seconds seconds) {
    std::vector<std::string> command = {"/usr/bin/timeout", "--kill-after=10",
                                        std::to_string(seconds.count())};
    for (std::string& argument : client_command(kReferenceClient, keys)) {
      command.push_back(std::move(argument));
    }
    return run(command, limited(seconds + 20s));
  }

  // `program` (Debian's mandos-client or ours) with `keys`.
  RunResult run_client(const std::string& program, const Keys& keys, std::chrono::seconds limit) {
    return run(client_command(program, keys), limited(limit));
  }

  std::vector<std::string> client_command(const std::string& program, const Keys& keys) {
    return {program, "--connect=::1:" + std::to_string(port), "--interface=none",
            "--pubkey=" + keys.dir + "/pubkey.txt", "--seckey=" + keys.dir + "/seckey.txt",
            "--tls-pubkey=" + keys.dir + "/tls-pubkey.pem",
            "--tls-privkey=" + keys.dir + "/tls-privkey.pem", "--retry=1",
            "--network-hook-dir=" + dir.file("hooks")};
  }

  static std::string* skip_;
  static TempDir* shared_;
  static Keys* client_;
  static Keys* stranger_;
  TempDir dir{"mandos-server-interop"};
  int port = 0;
  std::unique_ptr<BackgroundProcess> server;
};

std::string* ServerInterop::skip_ = nullptr;
TempDir* ServerInterop::shared_ = nullptr;
Keys* ServerInterop::client_ = nullptr;
Keys* ServerInterop::stranger_ = nullptr;

TEST_F(ServerInterop, DebiansClientGetsTheExactSecretFromOurServer) {
  write_file(dir.file("conf/clients.conf"), keygen_section(*client_, "client.example", false));
  start_server();
  auto result = run_reference_client(*client_, 60s);
  EXPECT_FALSE(result.timed_out) << result.err << "\n--- server:\n" << server->stderr_text();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, kPassword);
  EXPECT_TRUE(server->wait_for_stderr("Sending secret to client.example", 5s));
}

// The keygen round trip with our own tools: keys and clients.conf section
// made by our mandos-keygen, served by our server, decrypted by Debian's
// client and by ours alike.
TEST_F(ServerInterop, OurKeygensKeysAndSectionServeDebiansClientAndOurs) {
  Keys ours{dir.file("our-keys"), ""};
  ASSERT_EQ(::mkdir(ours.dir.c_str(), 0755), 0);
  auto made = run({MANDOS_KEYGEN, "--dir", ours.dir, "--name", "ours.example"},
                  limited(std::chrono::minutes(3)));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  for (const char* file : {"pubkey.txt", "seckey.txt", "tls-pubkey.pem", "tls-privkey.pem"}) {
    ASSERT_EQ(::chmod((ours.dir + "/" + file).c_str(), 0644), 0) << file;
  }
  write_file(dir.file("passfile"), kPassword, 0600);
  auto section = run({MANDOS_KEYGEN, "--dir", ours.dir, "--name", "ours.example", "--passfile",
                      dir.file("passfile"), "--no-ssh"},
                     limited(std::chrono::minutes(2)));
  ASSERT_EQ(section.exit_code, 0) << section.err;
  write_file(dir.file("conf/clients.conf"), section.out);
  start_server();
  auto debians = run_client(kReferenceClient, ours, 60s);
  EXPECT_EQ(debians.exit_code, 0) << debians.err;
  EXPECT_EQ(debians.out, kPassword);
  auto our_client = run_client(MANDOS_CLIENT, ours, 60s);
  EXPECT_EQ(our_client.exit_code, 0) << our_client.err;
  EXPECT_EQ(our_client.out, kPassword);
}

TEST_F(ServerInterop, AnUnknownKeyGetsNothing) {
  write_file(dir.file("conf/clients.conf"), keygen_section(*client_, "client.example", false));
  start_server();
  // The client retries forever on refusal: it is stopped after 15 s.
  auto result = run_reference_client_until_stopped(*stranger_, 15s);
  EXPECT_EQ(result.exit_code, 124) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(server->wait_for_stderr(
      "Client not found for key ID: " + stranger_->key_id + ", address: ::1", 5s))
      << server->stderr_text();
  EXPECT_EQ(server->stderr_text().find("Sending secret"), std::string::npos);
}

TEST_F(ServerInterop, ADisabledClientGetsNothing) {
  write_file(dir.file("conf/clients.conf"),
             keygen_section(*client_, "client.example", false) + "enabled = False\n");
  start_server();
  auto result = run_reference_client_until_stopped(*client_, 15s);
  EXPECT_EQ(result.exit_code, 124) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(server->wait_for_stderr("Client client.example is disabled", 5s));
}

// A clients.conf as kept for the Python server: Debian's shipped file with
// [DEFAULT] edited, keygen output appended (ssh checker, ssh_fingerprint,
// multi-line secret, %%(host)s), and a hand-written client in the style of
// the shipped examples (secfile, spaced key ID, legacy durations).
TEST_F(ServerInterop, AClientsConfWrittenForThePythonServerLoadsUnchanged) {
  std::string shipped = read_file("/etc/mandos/clients.conf");
  ASSERT_THAT(shipped, HasSubstr("\n;interval = PT2M\n"));
  shipped.replace(shipped.find("\n;interval = PT2M\n"), 18, "\ninterval = PT2S\n");
  shipped.replace(shipped.find("\n;timeout = PT5M\n"), 17, "\ntimeout = 1h 30m\n");
  std::string spaced_key = std::string(64, 'a');
  spaced_key.insert(32, " ");
  write_file(dir.file("bar-secret.bin"), "raw secret bytes\n", 0644);
  std::string conf = shipped + "\n" + keygen_section(*client_, "client.example", true) +
                     "\n[bar]\n"
                     "# The key ID is not space or case sensitive\n"
                     "key_id = " + spaced_key + "\n"
                     "fingerprint = 3e393aeaefb84c7e89e2f547b3a107558fca3a27\n"
                     "secfile = " + dir.file("bar-secret.bin") + "\n"
                     "host = 192.0.2.3\n"
                     "interval = 1m\n"
                     "approved_by_default = False\n"
                     "approval_delay = PT30S\n";
  write_file(dir.file("conf/clients.conf"), conf, 0600);

  auto check = run({MANDOS_SERVER, "--check", "--configdir", dir.file("conf")}, limited(60s));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr("All checks passed"));

  start_server();
  // The ssh checker: %(ssh_fingerprint)s expanded at start, %%(host)s at run
  // time; the stand-in's answer matches, so the checker succeeds.
  EXPECT_TRUE(server->wait_for_stderr(
      "--regexp=client.example\" ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQfake\"\" for client.example",
      30s))
      << server->stderr_text();
  EXPECT_TRUE(server->wait_for_stderr("Checker for client.example succeeded", 30s))
      << server->stderr_text();
  auto result = run_reference_client(*client_, 60s);
  EXPECT_EQ(result.exit_code, 0) << result.err << "\n--- server:\n" << server->stderr_text();
  EXPECT_EQ(result.out, kPassword);
  auto stopped = server->stop(SIGTERM, 20s);
  server.reset();
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_THAT(read_file(dir.file("state/clients.json")), HasSubstr("\"name\": \"bar\""));
}

}  // namespace
}  // namespace mandos::test
