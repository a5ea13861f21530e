// The boundary between the API logic (service.hpp, main loop) and the bus
// connection (bus_connection.hpp, its own thread). Calls come in as plain
// values; replies, errors and signals go out the same way. Unit tests put a
// recording fake in place of the bus.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dbus/properties.hpp"
#include "dbus/value.hpp"

namespace mandos::server::dbus {

// A method call addressed to one of our objects.
struct IncomingCall {
  std::uint64_t token = 0;  // names the call in reply()/error(); 0: no reply wanted
  std::string path;
  std::string interface;  // may be empty (D-Bus allows calls without one)
  std::string member;
  std::string signature;
  std::vector<Value> args;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Each call with a token gets exactly one reply() or error().
  virtual void reply(std::uint64_t token, std::vector<Value> args) = 0;
  virtual void error(std::uint64_t token, CallError error) = 0;
  virtual void signal(std::string path, std::string interface, std::string member,
                      std::vector<Value> args) = 0;
};

}  // namespace mandos::server::dbus
