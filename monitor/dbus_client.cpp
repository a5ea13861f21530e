#include "dbus_client.hpp"

#include <core/dbus/asio/executor.h>
#include <core/dbus/match_rule.h>
#include <core/dbus/types/object_path.h>
#include <core/dbus/types/signature.h>
#include <core/dbus/well_known_bus.h>
#include <dbus/dbus.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <exception>
#include <utility>

#include "dbus_decode.hpp"

namespace mandos::monitor {
namespace {

using core::dbus::Message;
using core::dbus::MatchRule;
using core::dbus::types::ObjectPath;

// dbus-python's default; the reference waits as long at start-up.
constexpr std::chrono::milliseconds kCallTimeout{25000};
constexpr const char* kLocalPath = "/org/freedesktop/DBus/Local";

// libdbus's error struct, freed on every path.
class DBusErrorGuard {
 public:
  DBusErrorGuard() { dbus_error_init(&error_); }
  ~DBusErrorGuard() { dbus_error_free(&error_); }
  DBusErrorGuard(const DBusErrorGuard&) = delete;
  DBusErrorGuard& operator=(const DBusErrorGuard&) = delete;
  DBusError* get() { return &error_; }
  bool set() const { return dbus_error_is_set(&error_) != 0; }
  std::string text() const {
    return std::string(error_.name ? error_.name : "") + ": " +
           (error_.message ? error_.message : "");
  }

 private:
  DBusError error_;
};

// The D-Bus thread takes no asynchronous signals: the UI thread handles
// them (signalfd, ncurses' SIGTSTP handler).
class BlockSignals {
 public:
  BlockSignals() {
    sigset_t all;
    sigfillset(&all);
    for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigdelset(&all, fault);
    pthread_sigmask(SIG_BLOCK, &all, &saved_);
  }
  ~BlockSignals() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  BlockSignals(const BlockSignals&) = delete;
  BlockSignals& operator=(const BlockSignals&) = delete;

 private:
  sigset_t saved_;
};

}  // namespace

DBusClient::DBusClient(Sink sink) : sink_(std::move(sink)) {}

Result<std::unique_ptr<DBusClient>> DBusClient::connect(Sink sink) {
  std::unique_ptr<DBusClient> client(new DBusClient(std::move(sink)));
  try {
    client->bus_ = std::make_shared<core::dbus::Bus>(core::dbus::WellKnownBus::system);
    client->executor_ = core::dbus::asio::make_executor(client->bus_, client->io_);
    client->bus_->install_executor(client->executor_);
  } catch (const std::exception& e) {
    return fail(std::string("cannot connect to the D-Bus system bus: ") + e.what());
  }
  if (Status subscribed = client->subscribe(); !subscribed) return subscribed.error();
  return client;
}

Status DBusClient::subscribe() {
  // Server-object signals: dbus-cpp's MatchRule expresses these.
  const MatchRule server =
      MatchRule().type(Message::Type::signal).sender(kBusName).path(ObjectPath("/"));
  // Client signals come from every client object, whose paths appear and
  // vanish at run time. MatchRule always adds a path (an empty ObjectPath
  // is rejected), so these two path-less rules go to libdbus directly.
  const std::string any_client =
      std::string("type='signal',sender='") + kBusName + "',interface='" + kClientInterface + "'";
  const std::string properties = std::string("type='signal',sender='") + kBusName +
                                 "',interface='" + kPropertiesInterface +
                                 "',member='PropertiesChanged'";
  try {
    bus_->add_match(MatchRule(server).interface(kObjectManagerInterface));
    bus_->add_match(MatchRule(server).interface(kServerInterface).member("ClientNotFound"));
  } catch (const std::exception& e) {
    return fail(std::string("cannot subscribe to Mandos server signals: ") + e.what());
  }
  for (const std::string& rule : {any_client, properties}) {
    DBusErrorGuard error;
    dbus_bus_add_match(bus_->raw(), rule.c_str(), error.get());
    if (error.set()) return fail("cannot subscribe to " + rule + ": " + error.text());
  }
  // dbus-cpp routes signals by exact object path; client routes are added
  // as clients become known (watch_client).
  auto& router = bus_->access_signal_router();
  router.install_route(ObjectPath("/"), [this](const Message::Ptr& m) { on_server_signal(m); });
  router.install_route(ObjectPath(kLocalPath), [this](const Message::Ptr& m) {
    try {
      if (m->member() == "Disconnected") {
        sink_(BusLost{"Lost the connection to the D-Bus system bus"});
      }
    } catch (const std::exception&) {
      // Runs inside libdbus's dispatch: nothing may escape. The queue is
      // the only way to report, and it just failed.
    }
  });
  return {};
}

// dbus-cpp's asio executor has no shutdown of its own: its pending waits
// and posted wake-ups refer to the executor, the bus and the io_service,
// and destroying those in any order with work pending crashes. So: end the
// thread, close the connection (which cancels the waits), run what is left
// while everything still exists, and only then take things apart.
DBusClient::~DBusClient() {
  stop();
  if (!bus_) return;
  DBusConnection* connection = bus_->raw();
  dbus_connection_set_wakeup_main_function(connection, nullptr, nullptr, nullptr);
  dbus_connection_close(connection);
  try {
    // Until nothing is left (a leftover stop request would end one round).
    do {
      io_.restart();
    } while (io_.poll() != 0);
  } catch (const std::exception&) {
    // Only cancelled waits and final dispatches run here: nothing to report.
  }
  auto& router = bus_->access_signal_router();
  router.uninstall_route(ObjectPath("/"));
  router.uninstall_route(ObjectPath(kLocalPath));
  for (const std::string& path : watched_) router.uninstall_route(ObjectPath(path));
  bus_->install_executor(nullptr);  // the executor and the bus own each other
  executor_.reset();
  bus_.reset();
}

Status DBusClient::start() {
  if (thread_.joinable()) return fail("the D-Bus thread is already running");
  BlockSignals blocked;  // inherited by the new thread, undone here afterwards
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::exception& e) {
    return fail(std::string("cannot start the D-Bus thread: ") + e.what());
  }
  return {};
}

void DBusClient::stop() {
  if (!thread_.joinable()) return;
  // Calls the user just made are sent before the thread ends.
  io_.post([this] {
    dbus_connection_flush(bus_->raw());
    io_.stop();
  });
  thread_.join();
}

void DBusClient::run() {
  try {
    load_clients();
    // Messages that arrived during the blocking call wait in libdbus's
    // queue with nothing on the socket to wake the executor: dispatch them.
    io_.post([this] { dispatch_queued(); });
    io_.run();
  } catch (const std::exception& e) {
    // The thread ends here; the UI learns why and exits.
    try {
      sink_(BusLost{std::string("D-Bus failure: ") + e.what()});
    } catch (const std::exception&) {
      std::terminate();  // cannot even report: the terminal is restored on the way out
    }
  }
}

void DBusClient::dispatch_queued() {
  DBusConnection* connection = bus_->raw();
  while (dbus_connection_get_dispatch_status(connection) == DBUS_DISPATCH_DATA_REMAINS) {
    dbus_connection_dispatch(connection);
  }
}

void DBusClient::load_clients() {
  ClientsLoaded loaded;
  try {
    auto request = Message::make_method_call(kBusName, ObjectPath("/"), kServerInterface,
                                             "GetAllClientsWithProperties");
    auto reply = bus_->send_with_reply_and_block_for_at_most(request, kCallTimeout);
    auto decoded = decode_clients_reply(reply);
    if (decoded) {
      loaded = std::move(*decoded);
    } else if (reply->type() != Message::Type::error) {
      sink_(BusProblem{decoded.error().message});
    }
  } catch (const std::exception&) {
    // No reply at all (timeout, disconnect): as if no server runs.
  }
  for (const auto& [path, properties] : loaded.clients) watch_client(path);
  sink_(std::move(loaded));
}

void DBusClient::watch_client(const std::string& path) {
  if (!watched_.insert(path).second) return;
  bus_->access_signal_router().install_route(
      ObjectPath(path), [this](const Message::Ptr& m) { on_client_signal(m); });
}

void DBusClient::unwatch_client(const std::string& path) {
  if (watched_.erase(path) == 0) return;
  bus_->access_signal_router().uninstall_route(ObjectPath(path));
}

void DBusClient::forward(Result<std::optional<BusEvent>> decoded) {
  if (!decoded) {
    sink_(BusProblem{decoded.error().message});
    return;
  }
  if (*decoded) sink_(std::move(**decoded));
}

// Runs inside libdbus's dispatch: nothing may be thrown from here.
void DBusClient::on_server_signal(const Message::Ptr& signal) {
  try {
    auto decoded = decode_server_signal(signal);
    if (decoded && *decoded) {
      if (const auto* added = std::get_if<ClientAdded>(&**decoded); added && added->is_client) {
        watch_client(added->path);
      }
      if (const auto* removed = std::get_if<ClientRemoved>(&**decoded);
          removed && removed->is_client) {
        unwatch_client(removed->path);
      }
    }
    forward(std::move(decoded));
  } catch (const std::exception& e) {
    sink_(BusProblem{std::string("D-Bus signal handling failed: ") + e.what()});
  }
}

void DBusClient::on_client_signal(const Message::Ptr& signal) {
  try {
    forward(decode_client_signal(signal));
  } catch (const std::exception& e) {
    sink_(BusProblem{std::string("D-Bus signal handling failed: ") + e.what()});
  }
}

void DBusClient::call(const std::string& path, const std::string& interface,
                      const std::string& method,
                      std::function<void(Message::Writer&)> arguments) {
  io_.post([this, path, interface, method, arguments = std::move(arguments)] {
    try {
      auto message = Message::make_method_call(kBusName, ObjectPath(path), interface, method);
      Message::Writer writer = message->writer();
      arguments(writer);
      bus_->send(message);
    } catch (const std::exception& e) {
      sink_(BusProblem{"D-Bus call " + method + " on " + path + " failed: " + e.what()});
    }
  });
}

void DBusClient::set_property(const std::string& path, const std::string& name, bool value) {
  call(path, kPropertiesInterface, "Set", [name, value](Message::Writer& writer) {
    const std::string interface = kClientInterface;
    writer.push_stringn(interface.c_str(), interface.size());
    writer.push_stringn(name.c_str(), name.size());
    Message::Writer variant = writer.open_variant(core::dbus::types::Signature("b"));
    variant.push_boolean(value);
    writer.close_variant(std::move(variant));
  });
}

void DBusClient::set_enabled(const std::string& path, bool enabled) {
  set_property(path, "Enabled", enabled);
}

void DBusClient::set_checker_running(const std::string& path, bool running) {
  set_property(path, "CheckerRunning", running);
}

void DBusClient::approve(const std::string& path, bool approved) {
  call(path, kClientInterface, "Approve",
       [approved](Message::Writer& writer) { writer.push_boolean(approved); });
}

void DBusClient::checked_ok(const std::string& path) {
  call(path, kClientInterface, "CheckedOK", [](Message::Writer&) {});
}

void DBusClient::remove_client(const std::string& path) {
  call("/", kServerInterface, "RemoveClient",
       [path](Message::Writer& writer) { writer.push_object_path(ObjectPath(path)); });
}

}  // namespace mandos::monitor
