// A registry on the virtual clock of tests/unit/server/fakes.hpp, with
// clients built from typical clients.conf values.
#pragma once

#include <string>

#include "daemon/registry.hpp"
#include "fakes.hpp"

namespace mandos::server::dbus::test {

using namespace std::chrono_literals;
using server::test::FakeLauncher;
using server::test::FakeScheduler;

inline ClientData client_data(const std::string& name, char key_digit = 'A') {
  ClientData d;
  d.name = name;
  d.key_id = std::string(64, key_digit);
  d.fingerprint = std::string(40, key_digit);
  d.host = name + ".example.org";
  d.checker = "fping -q -- %%(host)s";
  d.timeout = 5min;
  d.extended_timeout = 15min;
  d.interval = 2min;
  d.approval_delay = 0s;
  d.approval_duration = 1s;
  d.secret = SecretBytes(std::string_view("secret of " + name));
  d.created = WallTime(std::chrono::seconds(1'700'000'000)) + 123456us;
  return d;
}

struct RegistryFixture {
  FakeScheduler scheduler;
  FakeLauncher launcher;
  Registry registry{scheduler, launcher, [](Micros) { return Micros::zero(); },
                    RegistryOptions{true, true, 5s}};
};

}  // namespace mandos::server::dbus::test
