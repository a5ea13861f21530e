#include "dbus_harness.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "mandos/privileges.hpp"

namespace mandos::test::dbus {
namespace {

PrivateSystemBusOptions bus_options(const std::string& policy_file) {
  PrivateSystemBusOptions options;
  options.allow_eavesdrop = true;
  if (!policy_file.empty()) {
    options.default_policy = BusDefaultPolicy::kDebianSystem;
    options.include_file = policy_file;
  }
  return options;
}

RunOptions limited(std::chrono::milliseconds timeout) {
  RunOptions options;
  options.timeout = timeout;
  return options;
}

}  // namespace

bool tools_available() {
  for (const char* tool : {"/usr/bin/dbus-daemon", "/usr/bin/busctl", "/usr/bin/gdbus"}) {
    if (::access(tool, X_OK) != 0) return false;
  }
  return true;
}

PrivateBus::PrivateBus(const std::string& dir, const std::string& policy_file)
    : bus_(dir, bus_options(policy_file)) {
  // The socket must be reachable by the server after it drops root.
  ::chmod(bus_.socket_path().c_str(), 0666);
}

RunResult PrivateBus::busctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"/usr/bin/busctl", "--address=" + address()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, limited(30s));
}

RunResult PrivateBus::gdbus(const std::string& command,
                            const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"/usr/bin/gdbus", command, "--address", address()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, limited(30s));
}

bool PrivateBus::name_has_owner(const std::string& name) const {
  auto r =
      gdbus("call", {"--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
                     "--method", "org.freedesktop.DBus.NameHasOwner", name});
  return r.exit_code == 0 && r.out.find("true") != std::string::npos;
}

SignalMonitor::SignalMonitor(const PrivateBus& bus, const std::string& log_dir) {
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"/usr/bin/busctl", "--address=" + bus.address(), "monitor",
                               "--json=short", "--match", "type='signal'"},
      log_dir);
  // Printed once the bus has made it a monitor.
  if (!process_->wait_for_stderr("Monitoring bus message stream", 10s)) {
    throw std::runtime_error("busctl monitor did not start: " + process_->stderr_text());
  }
}

std::vector<std::string> SignalMonitor::all_lines() const {
  std::vector<std::string> result;
  const std::string all = process_->stdout_text();
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\n', start);
    if (end == std::string::npos) break;  // only complete lines
    auto message = nlohmann::ordered_json::parse(all.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (message.is_discarded() || message.value("type", "") != "signal") continue;
    if (message.value("sender", "") == "org.freedesktop.DBus") continue;
    std::string args = "[]";
    if (message.contains("payload")) args = message["payload"]["data"].dump();
    result.push_back(message.value("path", "") + ": " + message.value("interface", "") + "." +
                     message.value("member", "") + " " + args);
  }
  return result;
}

std::string SignalMonitor::text() const {
  std::string text;
  for (const std::string& line : all_lines()) text += line + "\n";
  return text;
}

std::vector<std::string> SignalMonitor::lines(const std::string& needle) const {
  std::vector<std::string> found;
  for (std::string& line : all_lines()) {
    if (line.find(needle) != std::string::npos) found.push_back(std::move(line));
  }
  return found;
}

bool SignalMonitor::wait_for(const std::string& needle, size_t times,
                             std::chrono::milliseconds timeout) const {
  return wait_until([&] { return count(needle) >= times; }, timeout, 50ms);
}

ServerUnderTest::ServerUnderTest(const std::string& dir, const PrivateBus& bus)
    : dir_(dir), bus_(bus), port_(free_tcp_port()) {
  ::mkdir((dir + "/conf").c_str(), 0755);
  ::mkdir((dir + "/state").c_str(), 0700);
  ::mkdir((dir + "/keys").c_str(), 0755);
  if (::geteuid() == 0) {
    UserIds ids = resolve_server_user();
    if (::chown((dir + "/state").c_str(), ids.uid, ids.gid) != 0) {
      throw std::runtime_error("chown of the state directory failed");
    }
  }
}

ServerUnderTest::~ServerUnderTest() {
  if (server_ && server_->running()) (void)server_->stop(SIGTERM, 10s);
}

client::KeyFiles ServerUnderTest::make_keys(const std::string& name) {
  auto made = client::make_key_files(dir_ + "/keys", name);
  if (!made) throw std::runtime_error(made.error().message);
  return *made;
}

void ServerUnderTest::write_clients(const std::string& text) {
  write_file(dir_ + "/conf/clients.conf", text);
}

std::vector<std::string> ServerUnderTest::command(const std::vector<std::string>& extra) const {
  std::vector<std::string> argv = {MANDOS_SERVER,  "--configdir",   dir_ + "/conf",
                                   "--statedir",   dir_ + "/state", "--no-zeroconf",
                                   "--foreground", "--debug",       "--address",
                                   "::1",          "--port",        std::to_string(port_)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

void ServerUnderTest::start(const std::vector<std::string>& extra, bool expect_bus) {
  RunOptions options;
  options.env_add = {bus_.env()};
  server_ = std::make_unique<BackgroundProcess>(command(extra), dir_, options);
  ASSERT_TRUE(server_->wait_for_stderr("Now listening on", 15s)) << server_->stderr_text();
  bool with_bus = expect_bus;
  for (const std::string& arg : extra) with_bus = with_bus && arg != "--no-dbus";
  if (with_bus) {
    ASSERT_TRUE(wait_until([&] { return bus_.name_has_owner(kBusName); }, 10s))
        << server_->stderr_text();
  }
}

RunResult ServerUnderTest::stop(int sig) {
  RunResult result = server_->stop(sig, 15s);
  return result;
}

client::ExchangeResult ServerUnderTest::exchange(const client::KeyFiles& keys,
                                                 std::chrono::seconds limit) const {
  auto credentials =
      tls::CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.privkey_path);
  if (!credentials) {
    client::ExchangeResult failed;
    failed.error = credentials.error().message;
    return failed;
  }
  client::ExchangeOptions options;
  options.port = port_;
  options.timeout = limit;
  return client::run_exchange(options, *credentials);
}

std::string client_path(const std::string& name) {
  std::string path = "/clients/" + name;
  for (size_t i = 9; i < path.size(); ++i) {
    if (path[i] == '.' || path[i] == '-') path[i] = '_';
  }
  return path;
}

}  // namespace mandos::test::dbus
