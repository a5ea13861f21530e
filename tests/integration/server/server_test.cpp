// The mandos server as a whole: real binary, real workers, loopback only.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "mandos/privileges.hpp"
#include "mandos/test/support.hpp"
#include "test_client.hpp"

namespace mandos::test {
namespace {

RunOptions limited(std::chrono::milliseconds timeout) {
  RunOptions options;
  options.timeout = timeout;
  return options;
}

const std::string kSecret = "the disk password\n";
const std::string kSecretBase64 = "dGhlIGRpc2sgcGFzc3dvcmQK";

// pids of the processes whose parent is `parent`.
std::set<pid_t> children_of(pid_t parent) {
  std::set<pid_t> result;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return result;
  while (dirent* entry = ::readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z') result.insert(pid);
  }
  ::closedir(proc);
  return result;
}

bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

bool port_is_free(int port) {
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  address.sin6_port = htons(static_cast<uint16_t>(port));
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

// [DEFAULT]-free sections of `count` clients that never connect, each with
// a distinct key ID and a `secret_size`-byte secret written as keygen does
// (indented base64 lines).
std::string filler_sections(int count, size_t secret_size) {
  std::string base64;
  for (size_t i = 0; i < secret_size / 3; ++i) base64 += "QUFB";  // "AAA"
  std::string secret;
  for (size_t at = 0; at < base64.size(); at += 76) secret += "\n    " + base64.substr(at, 76);
  std::string text;
  for (int i = 0; i < count; ++i) {
    char key_id[65];
    std::snprintf(key_id, sizeof key_id, "%064X", i + 1);
    text += "[filler" + std::to_string(i) + "]\nkey_id = " + key_id + "\nsecret =" + secret +
            "\nchecker = true\ninterval = PT1H\n\n";
  }
  return text;
}

// Why `text` is not a complete state file with `clients` clients ("" if it is).
std::string state_problem(const std::string& text, size_t clients) {
  if (text.empty()) return "missing or empty";
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return "not valid JSON (torn?), " + std::to_string(text.size()) + " bytes";
  if (!doc.is_object() || doc.value("format", "") != "mandos-server-state") return "no format";
  if (!doc.contains("clients") || !doc["clients"].is_array() || doc["clients"].size() != clients) {
    return "wrong clients";
  }
  return "";
}

// Temporary files of state writes (write_file_atomically: ".clients.json.XXXXXX").
std::vector<std::string> interrupted_writes(const std::string& statedir) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(statedir.c_str());
  if (dir == nullptr) return names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.rfind(".clients.json.", 0) == 0) names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

// Reports files created in a directory (inotify), from construction on.
class CreationWatch {
 public:
  explicit CreationWatch(const std::string& directory)
      : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    if (!fd_ || ::inotify_add_watch(fd_.get(), directory.c_str(), IN_CREATE) < 0) {
      ADD_FAILURE() << "inotify on " << directory << ": " << std::strerror(errno);
    }
  }
  // True as soon as a file whose name starts with `prefix` was created.
  bool wait_for(const std::string& prefix, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    alignas(inotify_event) char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd ready{fd_.get(), POLLIN, 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      ssize_t got = ::read(fd_.get(), buffer, sizeof buffer);
      for (ssize_t at = 0; got > 0 && at < got;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        if (event->len > 0 && std::string(event->name).rfind(prefix, 0) == 0) return true;
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    return false;
  }

 private:
  UniqueFd fd_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir.file("conf").c_str(), 0755);
    ::mkdir(dir.file("state").c_str(), 0700);
    ::mkdir(dir.file("keys").c_str(), 0755);
    // The server drops root; its state directory must be its own.
    if (::geteuid() == 0) {
      UserIds ids = resolve_server_user();
      ASSERT_EQ(::chown(dir.file("state").c_str(), ids.uid, ids.gid), 0);
    }
    auto made = client::make_key_files(dir.file("keys"), "foo");
    ASSERT_TRUE(made) << made.error().message;
    key = *made;
    auto other = client::make_key_files(dir.file("keys"), "stranger");
    ASSERT_TRUE(other) << other.error().message;
    stranger = *other;
  }

  void TearDown() override {
    if (server) server->stop(SIGTERM, 10s);
  }

  void write_clients(const std::string& extra, const std::string& more_sections = "") {
    write_file(dir.file("conf/clients.conf"),
               "[foo]\nkey_id = " + key.key_id + "\nsecret = " + kSecretBase64 + "\n" + extra +
                   "\n" + more_sections);
  }

  std::vector<std::string> command(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {MANDOS_SERVER, "--configdir", dir.file("conf"),
                                     "--statedir", dir.file("state"), "--no-zeroconf",
                                     "--no-dbus", "--foreground", "--debug",
                                     "--address", "::1", "--port", std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  void start(const std::vector<std::string>& extra = {}) {
    if (port == 0) port = free_tcp_port();
    server = std::make_unique<BackgroundProcess>(command(extra), dir.path());
    ASSERT_TRUE(server->wait_for_stderr("Now listening on", 10s)) << server->stderr_text();
    ASSERT_TRUE(wait_until([&] { return children_of(server->pid()).size() >= 2; }, 10s));
  }

  void restart(const std::vector<std::string>& extra = {}) {
    server->stop(SIGTERM, 10s);
    server.reset();
    start(extra);
  }

  client::ExchangeResult exchange(const client::KeyFiles& keys, std::chrono::seconds limit = 20s) {
    auto credentials = tls::CertificateCredentials::from_rawpk_files(keys.pubkey_path,
                                                                     keys.privkey_path);
    EXPECT_TRUE(credentials) << credentials.error().message;
    client::ExchangeOptions options;
    options.port = port;
    options.timeout = limit;
    return client::run_exchange(options, *credentials);
  }

  std::string state_text() { return read_file(dir.file("state/clients.json")); }

  TempDir dir{"mandos-server-test"};
  client::KeyFiles key;
  client::KeyFiles stranger;
  int port = 0;
  std::unique_ptr<BackgroundProcess> server;
};

TEST_F(ServerTest, DeliversTheSecretToAKnownClient) {
  write_clients("checker = true");
  start();
  auto result = exchange(key);
  ASSERT_EQ(result.outcome, client::Outcome::Received) << result.error;
  EXPECT_EQ(result.data.view(), kSecret);
  EXPECT_TRUE(server->wait_for_stderr("Sending secret to foo", 5s));
}

TEST_F(ServerTest, TheFakeClientProgramGetsTheSecretToo) {
  write_clients("checker = true");
  start();
  auto result = run({MANDOS_FAKE_CLIENT, "--connect=::1:" + std::to_string(port),
                     "--tls-pubkey=" + key.pubkey_path, "--tls-privkey=" + key.privkey_path},
                    limited(30s));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, kSecret);
}

TEST_F(ServerTest, RefusesAnUnknownKey) {
  write_clients("checker = true");
  start();
  auto result = exchange(stranger);
  EXPECT_EQ(result.outcome, client::Outcome::Refused) << result.error;
  EXPECT_TRUE(server->wait_for_stderr("Client not found for key ID: " + stranger.key_id +
                                          ", address: ::1",
                                      5s));
}

TEST_F(ServerTest, RefusesADisabledClient) {
  write_clients("checker = true\nenabled = false");
  start();
  auto result = exchange(key);
  EXPECT_EQ(result.outcome, client::Outcome::Refused) << result.error;
  EXPECT_TRUE(server->wait_for_stderr("Client foo is disabled", 5s));
}

TEST_F(ServerTest, ApprovalTimeoutWithDefaultDenyRefuses) {
  write_clients("checker = true\napproval_delay = PT1S\napproved_by_default = False");
  start();
  auto result = exchange(key);
  EXPECT_EQ(result.outcome, client::Outcome::Refused) << result.error;
  EXPECT_TRUE(server->wait_for_stderr("Client foo needs approval", 5s));
  EXPECT_TRUE(server->wait_for_stderr("Client foo timed out while waiting for approval", 5s));
}

TEST_F(ServerTest, ApprovalTimeoutWithDefaultApproveDelivers) {
  write_clients("checker = true\napproval_delay = PT1S\napproved_by_default = True");
  start();
  auto result = exchange(key);
  ASSERT_EQ(result.outcome, client::Outcome::Received) << result.error;
  EXPECT_EQ(result.data.view(), kSecret);
  EXPECT_TRUE(server->wait_for_stderr("Client foo needs approval", 5s));
}

TEST_F(ServerTest, FailingCheckerLetsTheClientTimeOutAndBeDisabled) {
  write_clients("checker = false\ninterval = PT1S\ntimeout = PT1S");
  start();
  ASSERT_TRUE(server->wait_for_stderr("Checker for foo failed", 10s));
  ASSERT_TRUE(server->wait_for_stderr("Disabling client foo", 10s));
  auto result = exchange(key);
  EXPECT_EQ(result.outcome, client::Outcome::Refused) << result.error;
}

TEST_F(ServerTest, HungCheckerIsKilledWhenTheClientTimesOut) {
  write_clients("checker = exec sleep 300\ninterval = PT1S\ntimeout = PT1S");
  start();
  ASSERT_TRUE(server->wait_for_stderr("Starting checker \"exec sleep 300\"", 10s));
  ASSERT_TRUE(server->wait_for_stderr("Disabling client foo", 10s));
  // The checker's process group got SIGTERM: no sleep is left behind.
  EXPECT_TRUE(wait_until(
      [&] {
        for (pid_t pid : children_of(server->pid())) {
          std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
          std::string name;
          std::getline(comm, name);
          if (name == "sleep") return false;
        }
        return true;
      },
      10s));
}

TEST_F(ServerTest, SucceedingCheckerKeepsTheClientEnabled) {
  write_clients("checker = true\ninterval = PT1S\ntimeout = PT2S");
  start();
  // Three successful checks take the client well past its first expiry.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(wait_until(
        [&] {
          std::string err = server->stderr_text();
          size_t count = 0;
          for (size_t at = err.find("Checker for foo succeeded"); at != std::string::npos;
               at = err.find("Checker for foo succeeded", at + 1)) {
            ++count;
          }
          return count > static_cast<size_t>(i + 1);
        },
        10s));
  }
  EXPECT_EQ(server->stderr_text().find("Disabling client foo"), std::string::npos);
  auto result = exchange(key);
  EXPECT_EQ(result.outcome, client::Outcome::Received) << result.error;
}

TEST_F(ServerTest, RuntimeDisableSurvivesARestartButNotNoRestore) {
  write_clients("checker = false\ninterval = PT1S\ntimeout = PT1S");
  start();
  ASSERT_TRUE(server->wait_for_stderr("Disabling client foo", 10s));
  ASSERT_TRUE(wait_until([&] { return state_text().find("\"enabled\": false") != std::string::npos; }, 10s));
  write_clients("checker = true\ninterval = PT1H\ntimeout = PT1H");  // enabled unchanged
  restart();
  EXPECT_EQ(exchange(key).outcome, client::Outcome::Refused);
  restart({"--no-restore"});
  EXPECT_EQ(exchange(key).outcome, client::Outcome::Received);
}

TEST_F(ServerTest, StateWrittenBeforeAKill9IsRestored) {
  write_clients("checker = false\ninterval = PT1S\ntimeout = PT1S");
  start();
  ASSERT_TRUE(server->wait_for_stderr("Disabling client foo", 10s));
  ASSERT_TRUE(wait_until([&] { return state_text().find("\"enabled\": false") != std::string::npos; }, 10s));
  std::set<pid_t> workers = children_of(server->pid());
  server->stop(SIGKILL, 5s);
  ASSERT_TRUE(wait_until([&] { for (pid_t w : workers) if (alive(w)) return false; return true; }, 10s));
  write_clients("checker = true\ninterval = PT1H\ntimeout = PT1H");
  start();
  EXPECT_EQ(server->stderr_text().find("Could not load persistent state"), std::string::npos);
  EXPECT_EQ(exchange(key).outcome, client::Outcome::Refused);
}

TEST_F(ServerTest, StateFileIsNeverTornByAKill9DuringAWrite) {
  // foo's interval and timeout outlast the test, so no restart finds it
  // expired (merge rule 3 would then disable it, however intact the file).
  // 200 more clients with 3,000-byte secrets make every write long (about
  // 1 MB, written and fsynced), so a kill right after the write began lands
  // inside it (the test records how often: kills_inside_a_write).
  constexpr size_t kClients = 201;
  write_clients("checker = true\ninterval = PT1H\ntimeout = PT2H", filler_sections(200, 3000));
  start();
  server->stop(SIGTERM, 30s);  // a complete state to begin with
  server.reset();
  ASSERT_EQ(state_problem(state_text(), kClients), "");
  int interrupted = 0;
  for (int round = 0; round < 4; ++round) {
    CreationWatch watch(dir.file("state"));
    start();
    std::set<pid_t> workers = children_of(server->pid());
    // Every start writes the merged state soon: kill -9 as it begins.
    ASSERT_TRUE(watch.wait_for(".clients.json.", 30s)) << "no state write began";
    ::kill(server->pid(), SIGKILL);
    server->stop(SIGKILL, 5s);
    server.reset();
    ASSERT_TRUE(wait_until([&] { for (pid_t w : workers) if (alive(w)) return false; return true; }, 10s));
    if (!interrupted_writes(dir.file("state")).empty()) ++interrupted;
    EXPECT_EQ(state_problem(state_text(), kClients), "") << "after kill " << round;
  }
  const std::vector<std::string> debris = interrupted_writes(dir.file("state"));
  start();
  std::string err = server->stderr_text();
  auto at = err.find("Could not load persistent state");
  EXPECT_EQ(at, std::string::npos) << err.substr(at == std::string::npos ? 0 : at, 400);
  EXPECT_EQ(exchange(key).outcome, client::Outcome::Received);
  // The temporary files of the interrupted writes are cleaned up.
  for (const std::string& name : debris) {
    EXPECT_NE(::access(dir.file("state/" + name).c_str(), F_OK), 0) << name;
  }
  RecordProperty("kills_inside_a_write", interrupted);
}

TEST_F(ServerTest, GarbageAndSilentPeersDoNotBlockALegitimateClient) {
  write_clients("checker = true");
  start();
  std::vector<UniqueFd> peers;
  for (int i = 0; i < 40; ++i) {
    UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    address.sin6_port = htons(static_cast<uint16_t>(port));
    ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    if (i % 2 == 0) {
      std::string garbage = i % 4 == 0 ? "1\r\n\x16\x03\x01garbage" : "GET / HTTP/1.0\r\n\r\n";
      (void)::send(fd.get(), garbage.data(), garbage.size(), MSG_NOSIGNAL);
    }
    peers.push_back(std::move(fd));
  }
  auto result = exchange(key, 10s);
  ASSERT_EQ(result.outcome, client::Outcome::Received) << result.error;
  EXPECT_EQ(result.data.view(), kSecret);
}

TEST_F(ServerTest, KilledWorkersAreRespawnedAndServiceResumes) {
  write_clients("checker = true");
  start();
  std::set<pid_t> before = children_of(server->pid());
  ASSERT_GE(before.size(), 2u);
  for (pid_t pid : before) ::kill(pid, SIGKILL);
  ASSERT_TRUE(wait_until(
      [&] {
        std::set<pid_t> now = children_of(server->pid());
        if (now.size() < before.size()) return false;
        for (pid_t pid : now) {
          if (before.count(pid) != 0) return false;
        }
        return true;
      },
      20s));
  auto result = exchange(key);
  EXPECT_EQ(result.outcome, client::Outcome::Received) << result.error;
  EXPECT_TRUE(server->running());
}

TEST_F(ServerTest, KillingTheMainProcessMakesWorkersExitAndFreesThePort) {
  write_clients("checker = true");
  start();
  std::set<pid_t> workers = children_of(server->pid());
  ASSERT_FALSE(workers.empty());
  server->stop(SIGKILL, 5s);
  EXPECT_TRUE(wait_until([&] { for (pid_t w : workers) if (alive(w)) return false; return true; }, 10s));
  EXPECT_TRUE(wait_until([&] { return port_is_free(port); }, 10s));
}

TEST_F(ServerTest, SigtermSavesStateAndExitsZero) {
  write_clients("checker = true");
  start();
  auto result = server->stop(SIGTERM, 10s);
  server.reset();
  EXPECT_TRUE(result.exited);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(state_text().find("\"name\": \"foo\""), std::string::npos);
}

TEST_F(ServerTest, AnOldPickleIsIgnoredAndLeftInPlace) {
  write_clients("checker = true");
  write_file(dir.file("state/clients.pickle"), "\x80\x02}q\x00.");
  start();
  EXPECT_TRUE(server->wait_for_stderr("clients.pickle", 5s));
  EXPECT_EQ(exchange(key).outcome, client::Outcome::Received);
  EXPECT_EQ(read_file(dir.file("state/clients.pickle")), "\x80\x02}q\x00.");
}

TEST_F(ServerTest, CorruptStateIsFatalAndLeftUntouched) {
  write_clients("checker = true");
  write_file(dir.file("state/clients.json"), "{\"format\": \"mandos-server-st");
  if (port == 0) port = free_tcp_port();
  auto result = run(command(), limited(20s));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("clients.json"), std::string::npos) << result.err;
  EXPECT_EQ(read_file(dir.file("state/clients.json")), "{\"format\": \"mandos-server-st");
}

TEST_F(ServerTest, BrokenClientsConfIsFatalBeforeBindingOrTouchingState) {
  write_clients("timeout = soon");
  port = free_tcp_port();
  auto result = run(command(), limited(20s));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("clients.conf:4"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("'timeout'"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("Now listening"), std::string::npos);
  EXPECT_TRUE(read_file(dir.file("state/clients.json")).empty());
}

TEST_F(ServerTest, NoZeroconfWithoutPortIsAUsageError) {
  auto result = run({MANDOS_SERVER, "--configdir", dir.file("conf"), "--no-zeroconf"},
                    limited(20s));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("Needs port or socket to work without Zeroconf"), std::string::npos);
}

TEST_F(ServerTest, CheckValidatesTheConfiguration) {
  write_clients("checker = true");
  auto good = run({MANDOS_SERVER, "--check", "--configdir", dir.file("conf")},
                  limited(20s));
  EXPECT_EQ(good.exit_code, 0) << good.out;
  EXPECT_NE(good.out.find("All checks passed"), std::string::npos);
  write_clients("interval = never");
  auto bad = run({MANDOS_SERVER, "--check", "--configdir", dir.file("conf")},
                 limited(20s));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("FAIL"), std::string::npos);
  EXPECT_NE(bad.out.find("'interval'"), std::string::npos);
}

// Avahi on a private bus in a private network namespace (loopback only).
// Skipped where that cannot be set up (no root, no avahi-daemon, ...).
TEST_F(ServerTest, ZeroconfAnnouncesRenamesOnCollisionAndSurvivesAvahiRestarts) {
  if (::geteuid() != 0 || ::access("/usr/sbin/avahi-daemon", X_OK) != 0 ||
      ::access("/usr/bin/dbus-daemon", X_OK) != 0 || ::access("/usr/bin/unshare", X_OK) != 0) {
    GTEST_SKIP() << "needs root, avahi-daemon and dbus-daemon";
  }
  write_clients("checker = true");
  ::mkdir(dir.file("zeroconf").c_str(), 0755);
  auto result = run({"/usr/bin/unshare", "-n", "/bin/bash", MANDOS_SOURCE_DIR "/tests/integration/server/zeroconf_scenario.sh",
                     MANDOS_SERVER, dir.file("conf"), dir.file("state"), dir.file("zeroconf")},
                    limited(60s));
  if (result.exit_code == 77 || (result.exited && result.exit_code != 0)) {
    GTEST_SKIP() << "cannot run avahi-daemon in a network namespace here: " << result.err;
  }
  std::string first = read_file(dir.file("zeroconf/first.log"));
  std::string second = read_file(dir.file("zeroconf/second.log"));
  EXPECT_NE(first.find("Adding Zeroconf service 'Test' of type '_mandos._tcp'"), std::string::npos);
  EXPECT_NE(second.find("Changing Zeroconf service name to 'Test #2'"), std::string::npos) << second;
  // Established twice: at start and again after avahi-daemon came back.
  size_t established = 0;
  for (size_t at = first.find("Zeroconf service established"); at != std::string::npos;
       at = first.find("Zeroconf service established", at + 1)) {
    ++established;
  }
  EXPECT_EQ(established, 2u) << first;
}

}  // namespace
}  // namespace mandos::test
