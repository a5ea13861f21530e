// The system bus connection of the server, with dbus-cpp (core::dbus) on a
// thread of its own: the bus thread runs dbus-cpp's asio executor, receives
// every method call to "/" and below, and hands it to the GLib main loop
// through an eventfd; replies and signals made on the main loop are posted
// back to the bus thread, which alone touches the connection. The registry
// thus stays single-threaded and libdbus is used from one thread only.
//
// Where dbus-cpp has no API for what the server needs, the libdbus
// connection it wraps (Bus::raw()) is used directly, on the bus thread:
// one fallback object-path handler for the whole tree (dbus-cpp's
// per-object registration is typed per method and leaks a vtable per
// object), and reading call arguments (dbus-cpp's Message::Reader cannot
// tell the element type of an empty array). docs/DBUS-API.md has details.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dbus/transport.hpp"
#include "mandos/result.hpp"

namespace mandos::server::dbus {

class BusConnection final : public Transport {
 public:
  // At most this many calls wait for the main loop; more are refused with
  // org.freedesktop.DBus.Error.LimitsExceeded.
  static constexpr size_t kMaxQueuedCalls = 1024;

  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS if set) and claims
  // every name in `names` with "do not queue". Any failure closes the
  // connection again; the error says which step failed.
  [[nodiscard]] static Result<std::unique_ptr<BusConnection>> open(
      const std::vector<std::string>& names);
  ~BusConnection() override;
  BusConnection(const BusConnection&) = delete;
  BusConnection& operator=(const BusConnection&) = delete;

  // Exports the object tree and starts the bus thread. `handler` is called
  // on the default GLib main context, once per incoming call.
  [[nodiscard]] Status start(std::function<void(const IncomingCall&)> handler);

  // Answers calls still waiting with an error, sends everything queued,
  // disconnects and joins the bus thread. Idempotent; the destructor calls it.
  void stop();

  // Transport. Thread-safe: queued to the bus thread.
  void reply(std::uint64_t token, std::vector<Value> args) override;
  void error(std::uint64_t token, CallError error) override;
  void signal(std::string path, std::string interface, std::string member,
              std::vector<Value> args) override;

  struct Impl;

 private:
  BusConnection();
  std::unique_ptr<Impl> impl_;
};

// Text fit for a D-Bus string: valid UTF-8 without NUL bytes (libdbus aborts
// the process on anything else). Invalid sequences become U+FFFD.
std::string to_dbus_string(std::string_view text);

}  // namespace mandos::server::dbus
