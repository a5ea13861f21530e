// What the D-Bus thread hands to the UI thread: plain values, one struct per
// kind of news, so that the UI never touches the bus library.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "value.hpp"

namespace mandos::monitor {

// Reply to GetAllClientsWithProperties at start-up.
struct ClientsLoaded {
  bool server_found = false;  // false: the call failed (no server, no access)
  std::vector<std::pair<std::string, Properties>> clients;  // object path → properties
};

// ObjectManager InterfacesAdded / InterfacesRemoved on the server object.
struct ClientAdded {
  std::string path;
  bool is_client = false;  // carries the se.recompile.Mandos.Client interface
  Properties properties;
};
struct ClientRemoved {
  std::string path;
  bool is_client = false;
};

// se.recompile.Mandos.ClientNotFound on the server object.
struct ClientNotFound {
  std::string key_id;
  std::string address;
};

// Signals of one client object.
struct PropertiesChanged {
  std::string path;
  std::string interface;
  Properties changed;
};
struct CheckerCompleted {
  std::string path;
  std::int64_t exit_code = 0;
  std::int64_t wait_status = 0;
  std::string command;
};
struct CheckerStarted {
  std::string path;
  std::string command;
};
struct GotSecret {
  std::string path;
};
struct NeedApproval {
  std::string path;
  std::uint64_t delay_ms = 0;
  bool approved_by_default = false;
};
struct Rejected {
  std::string path;
  std::string reason;
};

// A signal that could not be decoded, or a failed call: logged, not fatal.
struct BusProblem {
  std::string message;
};
// The connection to the bus is gone: the monitor cannot go on.
struct BusLost {
  std::string message;
};

using BusEvent = std::variant<ClientsLoaded, ClientAdded, ClientRemoved, ClientNotFound,
                              PropertiesChanged, CheckerCompleted, CheckerStarted, GotSecret,
                              NeedApproval, Rejected, BusProblem, BusLost>;

}  // namespace mandos::monitor
