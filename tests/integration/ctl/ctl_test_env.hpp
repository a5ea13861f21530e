// Scenario helpers for mandos-ctl tests (integration: our server; interop:
// Debian's): a private system bus, a Mandos server with D-Bus on that bus,
// and running a mandos-ctl program against it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mandos/privileges.hpp"
#include "mandos/test/private_bus.hpp"
#include "mandos/test/support.hpp"

namespace mandos::ctl::test_env {

inline constexpr const char* kReferenceServer = "/usr/sbin/mandos";
inline constexpr const char* kReferenceCtl = "/usr/sbin/mandos-ctl";

// A dbus-daemon of type "system" listening on a socket in `dir`.
class PrivateBus {
 public:
  enum class Policy {
    kOpen,      // anyone may own names and call anything
    kRootOnly,  // like Debian's mandos.conf: only root may call se.recompile.Mandos
  };
  PrivateBus(const std::string& dir, Policy policy);  // throws on failure
  const std::string& address() const { return bus_.address(); }

 private:
  test::PrivateSystemBus bus_;
};

// Three clients with fake keys (enough for listing), checkers that never
// fire during a test (interval of a day), a non-ASCII host and checker,
// one client disabled and one with a duration over a day.
std::string sample_clients_conf();

// A Mandos server with D-Bus on `bus_address`, its files under `dir`
// (which must be reachable by the server's unprivileged user).
class MandosServer {
 public:
  MandosServer(const std::string& program, const std::string& dir,
               const std::string& clients_conf, const std::string& bus_address);
  ~MandosServer();
  MandosServer(const MandosServer&) = delete;
  MandosServer& operator=(const MandosServer&) = delete;

  // Waits until the server listens and owns se.recompile.Mandos.
  bool wait_ready(std::chrono::milliseconds timeout);
  bool owns_bus_name() const;
  int port() const { return port_; }
  std::string log() const;
  void stop();

 private:
  std::string bus_address_;
  int port_ = 0;
  std::unique_ptr<test::BackgroundProcess> process_;
};

struct CtlResult {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `program` (a mandos-ctl) with a fixed, UTF-8, 80-column environment.
CtlResult run_ctl(const std::string& program, const std::vector<std::string>& args,
                  const std::string& bus_address,
                  const std::optional<UserIds>& run_as = std::nullopt,
                  const std::string& input = "");

// A UTF-8, 80-column environment with the bus address, for any program.
test::RunOptions bus_run_options(const std::string& bus_address);

// The text of one client's object in a --dump-json document, "" if absent.
std::string json_block(const std::string& json, const std::string& name);

}  // namespace mandos::ctl::test_env
