// A private dbus-daemon of type "system" for tests of programs that use the
// system bus (the server's D-Bus API, mandos-ctl, mandos-monitor, Debian's
// server, which connects even with --no-dbus).
#pragma once

#include <memory>
#include <string>

#include "mandos/test/support.hpp"

namespace mandos::test {

// The rules of the bus's <policy context="default">.
enum class BusDefaultPolicy {
  // Every local user may own any name and send to anyone.
  kAllowAll,
  // The defaults of Debian's /usr/share/dbus-1/system.conf: nobody may own
  // names or call methods except the bus's own; a policy file under test
  // (PrivateSystemBusOptions::include_file) then grants what it grants.
  kDebianSystem,
};

struct PrivateSystemBusOptions {
  BusDefaultPolicy default_policy = BusDefaultPolicy::kAllowAll;
  // kAllowAll only: also allow old-style eavesdropping match rules.
  bool allow_eavesdrop = false;
  // <policy> elements placed after the default policy.
  std::string extra_policy;
  // A policy file <include>d last, e.g. systemd/mandos-dbus-policy.conf.
  std::string include_file;
};

// The bus configuration for a daemon listening on `socket`.
std::string private_system_bus_config(const std::string& socket,
                                      const PrivateSystemBusOptions& options);

// Writes DIR/dbus.conf, starts dbus-daemon on DIR/system_bus_socket and
// waits for the socket (throws std::runtime_error if it does not appear).
// The daemon is stopped on destruction.
class PrivateSystemBus {
 public:
  explicit PrivateSystemBus(const std::string& dir, const PrivateSystemBusOptions& options = {});
  ~PrivateSystemBus();
  PrivateSystemBus(const PrivateSystemBus&) = delete;
  PrivateSystemBus& operator=(const PrivateSystemBus&) = delete;

  const std::string& socket_path() const { return socket_; }
  // "unix:path=SOCKET"
  const std::string& address() const { return address_; }
  // "DBUS_SYSTEM_BUS_ADDRESS=ADDRESS", for programs that use the system bus.
  std::string environment_entry() const { return "DBUS_SYSTEM_BUS_ADDRESS=" + address_; }

 private:
  std::string socket_;
  std::string address_;
  std::unique_ptr<BackgroundProcess> daemon_;
};

}  // namespace mandos::test
