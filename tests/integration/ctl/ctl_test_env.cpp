#include "ctl_test_env.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

namespace mandos::ctl::test_env {
namespace {

using namespace std::chrono_literals;

const char* kRootOnlyPolicy = R"(  <policy context="default">
    <deny send_destination="se.recompile.Mandos"/>
  </policy>
  <policy user="root">
    <allow send_destination="se.recompile.Mandos"/>
  </policy>
)";

std::vector<std::string> base_environment(const std::string& bus_address) {
  return {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8",
          "DBUS_SYSTEM_BUS_ADDRESS=" + bus_address};
}

}  // namespace

test::PrivateSystemBusOptions bus_options(PrivateBus::Policy policy) {
  test::PrivateSystemBusOptions options;
  switch (policy) {
    case PrivateBus::Policy::kOpen:
      break;
    case PrivateBus::Policy::kRootOnly:
      options.extra_policy = kRootOnlyPolicy;
      break;
  }
  return options;
}

PrivateBus::PrivateBus(const std::string& dir, Policy policy) : bus_(dir, bus_options(policy)) {}

std::string sample_clients_conf() {
  return "[DEFAULT]\n"
         "interval = P1D\n"
         "checker = true\n"
         "\n"
         "[foo]\n"
         "key_id = f33fcbed11ed5e03073f6a55b86ffe92af0e24c045fb6e3b40547b3dc0c030ed\n"
         "fingerprint = 7788 2722 5BA7 DE53 9C5A  7CFA 59CF F7CD BD9A 5920\n"
         "secret = aGVsbG8=\n"
         "host = foo.example.org\n"
         "timeout = P1DT2H3M5S\n"
         "\n"
         "[bar.baz-1]\n"
         "key_id = a33fcbed11ed5e03073f6a55b86ffe92af0e24c045fb6e3b40547b3dc0c030ed\n"
         "fingerprint = A788 2722 5BA7 DE53 9C5A  7CFA 59CF F7CD BD9A 5920\n"
         "secret = aGVsbG8=\n"
         "host = h\xc3\xb4st-\xc3\xbc.example\n"
         "checker = echo \"\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80\" %%(host)s\n"
         "enabled = False\n"
         "approved_by_default = False\n"
         "\n"
         "[q]\n"
         "key_id = b33fcbed11ed5e03073f6a55b86ffe92af0e24c045fb6e3b40547b3dc0c030ed\n"
         "fingerprint = B788 2722 5BA7 DE53 9C5A  7CFA 59CF F7CD BD9A 5920\n"
         "secret = aGVsbG8=\n"
         "checker = false\n";
}

MandosServer::MandosServer(const std::string& program, const std::string& dir,
                           const std::string& clients_conf, const std::string& bus_address)
    : bus_address_(bus_address) {
  const std::string conf = dir + "/conf";
  const std::string state = dir + "/state";
  ::mkdir(conf.c_str(), 0755);
  ::mkdir(state.c_str(), 0755);
  test::write_file(conf + "/mandos.conf", "[DEFAULT]\n", 0644);
  test::write_file(conf + "/clients.conf", clients_conf, 0600);
  // The server drops to _mandos (else nobody) and writes its state there.
  const UserIds user = resolve_server_user();
  if (::geteuid() == 0 && ::chown(state.c_str(), user.uid, user.gid) != 0) {
    throw std::runtime_error("cannot chown " + state);
  }
  port_ = test::free_tcp_port();
  test::RunOptions options;
  options.environment = base_environment(bus_address);
  options.environment->push_back("TMPDIR=" + dir);
  process_ = std::make_unique<test::BackgroundProcess>(
      std::vector<std::string>{program, "--configdir", conf, "--statedir", state,
                               "--no-zeroconf", "--foreground", "--address", "::1", "--port",
                               std::to_string(port_)},
      dir, options);
}

MandosServer::~MandosServer() { stop(); }

void MandosServer::stop() {
  if (process_) process_->stop(SIGTERM, 10s);
}

bool MandosServer::owns_bus_name() const {
  test::RunOptions options;
  options.environment = base_environment(bus_address_);
  options.timeout = 10s;
  const auto result = test::run({"/usr/bin/dbus-send", "--system", "--print-reply",
                                 "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus.NameHasOwner",
                                 "string:se.recompile.Mandos"},
                                options);
  return result.exit_code == 0 && result.out.find("boolean true") != std::string::npos;
}

bool MandosServer::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!test::wait_for_tcp_port("::1", port_, timeout)) return false;
  return test::wait_until(
      [&] { return owns_bus_name() || !process_->running(); },
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                            std::chrono::steady_clock::now()),
      100ms) &&
         process_->running() && owns_bus_name();
}

std::string MandosServer::log() const {
  return process_ ? process_->stdout_text() + process_->stderr_text() : "";
}

CtlResult run_ctl(const std::string& program, const std::vector<std::string>& args,
                  const std::string& bus_address, const std::optional<UserIds>& run_as,
                  const std::string& input) {
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), args.begin(), args.end());
  test::RunOptions options;
  options.environment = base_environment(bus_address);
  options.timeout = 60s;
  options.run_as = run_as;
  options.input = input;
  const auto result = test::run(argv, options);
  return {result.exited ? result.exit_code : 128 + result.signal, result.out, result.err};
}

test::RunOptions bus_run_options(const std::string& bus_address) {
  test::RunOptions options;
  options.environment = base_environment(bus_address);
  return options;
}

std::string json_block(const std::string& json, const std::string& name) {
  const std::string key = "\n    \"" + name + "\": {";
  const std::size_t start = json.find(key);
  if (start == std::string::npos) return "";
  const std::size_t end = json.find("\n    }", start);
  return json.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace mandos::ctl::test_env
