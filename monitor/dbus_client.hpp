// The monitor's side of the Mandos D-Bus API, with dbus-cpp: one connection
// to the system bus, run by dbus-cpp's asio executor on a thread of its own.
// Signals become events handed to a sink (the UI's queue); calls from the
// UI thread are posted to the executor thread, the only one that touches
// the connection.
#pragma once

#include <boost/asio/io_service.hpp>
#include <core/dbus/bus.h>
#include <core/dbus/executor.h>
#include <core/dbus/message.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "events.hpp"
#include "keys.hpp"
#include "mandos/result.hpp"

namespace mandos::monitor {

class DBusClient final : public ClientBus {
 public:
  // Called on the D-Bus thread; must be thread-safe (EventQueue::push).
  using Sink = std::function<void(BusEvent)>;

  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured) and
  // subscribes to the signals of monitor.md §1. Nothing runs yet.
  [[nodiscard]] static Result<std::unique_ptr<DBusClient>> connect(Sink sink);
  ~DBusClient() override;
  DBusClient(const DBusClient&) = delete;
  DBusClient& operator=(const DBusClient&) = delete;

  // Starts the D-Bus thread, which first asks the server for its clients
  // (GetAllClientsWithProperties) and then waits for signals.
  [[nodiscard]] Status start();
  // Stops and joins the thread. Waits for a start-up call in progress.
  void stop();

  // ClientBus: fire-and-forget calls, posted to the D-Bus thread.
  void set_enabled(const std::string& path, bool enabled) override;
  void approve(const std::string& path, bool approved) override;
  void remove_client(const std::string& path) override;
  void set_checker_running(const std::string& path, bool running) override;
  void checked_ok(const std::string& path) override;

 private:
  explicit DBusClient(Sink sink);
  [[nodiscard]] Status subscribe();
  void run();
  void load_clients();
  void dispatch_queued();
  void on_server_signal(const core::dbus::Message::Ptr& signal);
  void on_client_signal(const core::dbus::Message::Ptr& signal);
  void watch_client(const std::string& path);
  void unwatch_client(const std::string& path);
  void forward(Result<std::optional<BusEvent>> decoded);
  void set_property(const std::string& path, const std::string& name, bool value);
  void call(const std::string& path, const std::string& interface, const std::string& method,
            std::function<void(core::dbus::Message::Writer&)> arguments);

  // Declared first: the executor's watches refer to it until the bus is
  // gone, so it must be destroyed last.
  boost::asio::io_service io_;
  std::shared_ptr<core::dbus::Bus> bus_;
  std::shared_ptr<core::dbus::Executor> executor_;
  Sink sink_;
  std::thread thread_;
  std::set<std::string> watched_;  // client paths with a signal route; D-Bus thread only
};

}  // namespace mandos::monitor
