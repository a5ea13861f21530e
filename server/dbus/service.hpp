// The D-Bus API of the server (dbus-api.md), on the main loop: the server
// object `/` (with ObjectManager) and one object per client. Incoming calls
// are checked against the interface declarations (interfaces.hpp) and carried
// out through the registry's setters; registry events become signals.
//
// Single-threaded: handle() and the observer hooks run on the GLib main
// loop, like every other registry user. The Transport does the threading.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "daemon/registry.hpp"
#include "dbus/interfaces.hpp"
#include "dbus/transport.hpp"

namespace mandos::server::dbus {

class Service final : public RegistryObserver {
 public:
  // Registers as an observer: clients added from now on are exported.
  Service(Registry& registry, Transport& transport);
  ~Service() override;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // One incoming method call; replies through the transport.
  void handle(const IncomingCall& call);

  // Shutdown (server.md §13): InterfacesRemoved and ClientRemoved for every
  // client, then nothing more is exported or signalled.
  void remove_all();

  // RegistryObserver
  void client_added(const Client& client) override;
  void client_removed(const Client& client) override;
  void property_changed(const Client& client, Property property) override;
  void checker_completed(const Client& client, int exit_code, std::int64_t wait_value,
                         const std::string& command) override;
  void checker_started(const Client& client, const std::string& command) override;
  void got_secret(const Client& client) override;
  void need_approval(const Client& client, std::uint64_t delay_ms,
                     bool approved_by_default) override;
  void rejected(const Client& client, const std::string& reason) override;
  void client_not_found(const std::string& key_id, const std::string& address) override;

 private:
  using Outcome = std::variant<std::vector<Value>, CallError>;

  Outcome dispatch(const IncomingCall& call);
  Outcome call_server(const std::string& interface, const MemberSpec& member,
                      const IncomingCall& call);
  Outcome call_client(Client& client, const std::string& interface, const MemberSpec& member,
                      const IncomingCall& call);
  Outcome properties_call(Client& client, const std::string& member, const IncomingCall& call);
  Outcome remove_client(const std::string& path);

  Client* client_at(const std::string& path);
  Value interfaces_and_properties(const Client& client) const;
  Value managed_objects() const;
  std::vector<std::string> child_nodes() const;

  // A signal on both the current and the legacy interface.
  void signal_both(const std::string& path, std::string_view current, std::string_view legacy,
                   const std::string& member, const std::vector<Value>& args);
  void client_signal(const Client& client, const std::string& member,
                     const std::vector<Value>& args);
  void announce_removal(const std::string& path, const std::string& name);

  Registry& registry_;
  Transport& transport_;
  std::map<std::string, std::string> clients_by_path_;  // exported path -> client name
  bool closed_ = false;
};

}  // namespace mandos::server::dbus
