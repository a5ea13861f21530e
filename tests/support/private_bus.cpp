#include "mandos/test/private_bus.hpp"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

namespace mandos::test {
namespace {

const char* kConfigStart = R"(<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
)";

// Without the closing tag: eavesdropping may follow.
const char* kAllowAllRules = R"(  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
)";

const char* kDebianSystemPolicy = R"(  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
)";

std::string default_policy(const PrivateSystemBusOptions& options) {
  switch (options.default_policy) {
    case BusDefaultPolicy::kAllowAll: {
      std::string policy = kAllowAllRules;
      if (options.allow_eavesdrop) policy += "    <allow eavesdrop=\"true\"/>\n";
      return policy + "  </policy>\n";
    }
    case BusDefaultPolicy::kDebianSystem:
      return kDebianSystemPolicy;
  }
  throw std::logic_error("unknown BusDefaultPolicy");
}

}  // namespace

std::string private_system_bus_config(const std::string& socket,
                                      const PrivateSystemBusOptions& options) {
  std::string config = kConfigStart;
  config += "  <listen>unix:path=" + socket + "</listen>\n";
  config += "  <auth>EXTERNAL</auth>\n";
  config += default_policy(options);
  config += options.extra_policy;
  if (!options.include_file.empty()) config += "  <include>" + options.include_file + "</include>\n";
  config += "</busconfig>\n";
  return config;
}

PrivateSystemBus::PrivateSystemBus(const std::string& dir, const PrivateSystemBusOptions& options)
    : socket_(dir + "/system_bus_socket"), address_("unix:path=" + socket_) {
  const std::string config_path = dir + "/dbus.conf";
  write_file(config_path, private_system_bus_config(socket_, options), 0644);
  daemon_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"/usr/bin/dbus-daemon", "--nofork", "--nopidfile",
                               "--config-file=" + config_path},
      dir);
  if (!wait_until([&] { return ::access(socket_.c_str(), F_OK) == 0; }, 10s)) {
    throw std::runtime_error("dbus-daemon did not start: " + daemon_->stderr_text());
  }
}

PrivateSystemBus::~PrivateSystemBus() {
  if (daemon_) (void)daemon_->stop(SIGTERM, 5s);
}

}  // namespace mandos::test
