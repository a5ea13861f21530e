// Test harness for the server's D-Bus API: a private system-type
// dbus-daemon, a `gdbus monitor` watching our bus name, and the real
// `mandos` server started against that bus. Shared by the integration tests
// (tests/integration/dbus) and the interop test with Debian's mandos-ctl
// (tests/interop/dbus).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mandos/test/private_bus.hpp"
#include "mandos/test/support.hpp"
#include "test_client.hpp"

namespace mandos::test::dbus {

inline constexpr const char* kBusName = "se.recompile.Mandos";
inline constexpr const char* kLegacyBusName = "se.bsnet.fukt.Mandos";

// True if busctl, gdbus and dbus-daemon are all installed.
bool tools_available();

// A dbus-daemon of type "system" listening on a socket in `dir`. Without
// `policy_file` every local user may own names and talk; with one, the
// defaults of Debian's system bus apply (nobody owns names or calls methods)
// and `policy_file` (e.g. systemd/mandos-dbus-policy.conf) is included.
class PrivateBus {
 public:
  explicit PrivateBus(const std::string& dir, const std::string& policy_file = "");

  const std::string& address() const { return bus_.address(); }
  // "DBUS_SYSTEM_BUS_ADDRESS=..." for programs that use the system bus.
  std::string env() const { return bus_.environment_entry(); }

  // busctl --address=ADDRESS ARGS...
  RunResult busctl(const std::vector<std::string>& args) const;
  // gdbus COMMAND --address ADDRESS ARGS...
  RunResult gdbus(const std::string& command, const std::vector<std::string>& args) const;
  bool name_has_owner(const std::string& name) const;

 private:
  PrivateSystemBus bus_;
};

// `busctl monitor` on the bus: every signal sent by anyone but the bus
// itself, one line each: "PATH: INTERFACE.MEMBER ARGS" with ARGS the
// arguments as busctl's compact JSON, e.g.
//   /clients/foo: se.recompile.Mandos.Client.PropertyChanged ["Enabled",{"type":"b","data":false}]
// Start it before the action it should see; the constructor waits until it
// is monitoring. (busctl monitor sees everything; gdbus monitor --dest was
// tried first and sometimes missed the first signal after a name appeared.)
class SignalMonitor {
 public:
  SignalMonitor(const PrivateBus& bus, const std::string& log_dir);
  // All signal lines so far.
  std::string text() const;
  // Lines containing `needle`.
  std::vector<std::string> lines(const std::string& needle) const;
  size_t count(const std::string& needle) const { return lines(needle).size(); }
  bool wait_for(const std::string& needle, size_t times = 1,
                std::chrono::milliseconds timeout = 10s) const;

 private:
  std::vector<std::string> all_lines() const;
  std::unique_ptr<BackgroundProcess> process_;
};

// The mandos server under test on [::1]:port, Zeroconf off, debug log on
// stderr, state in DIR/state (owned by the server's user).
class ServerUnderTest {
 public:
  ServerUnderTest(const std::string& dir, const PrivateBus& bus);
  ~ServerUnderTest();
  ServerUnderTest(const ServerUnderTest&) = delete;
  ServerUnderTest& operator=(const ServerUnderTest&) = delete;

  // A client section for `name` with a fresh raw key; returns its keys.
  client::KeyFiles make_keys(const std::string& name);
  void write_clients(const std::string& text);
  std::vector<std::string> command(const std::vector<std::string>& extra) const;
  // Starts and waits for "Now listening" and, unless --no-dbus is among
  // `extra` or expect_bus is false, for our bus name to be owned.
  void start(const std::vector<std::string>& extra = {}, bool expect_bus = true);
  RunResult stop(int sig = 15);
  BackgroundProcess& process() { return *server_; }
  bool running() { return server_ && server_->running(); }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

  // One exchange with the server as the client owning `keys`.
  client::ExchangeResult exchange(const client::KeyFiles& keys,
                                  std::chrono::seconds limit = 20s) const;

 private:
  std::string dir_;
  const PrivateBus& bus_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> server_;
};

// "/clients/foo" ... for busctl: the object path of a client.
std::string client_path(const std::string& name);

}  // namespace mandos::test::dbus
