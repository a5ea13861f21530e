// Turning dbus-cpp messages into the monitor's events. Runs on the D-Bus
// thread; every function checks the message's signature first, so a
// malformed message yields an error, never an exception or a libdbus
// assertion.
#pragma once

#include <core/dbus/message.h>

#include <optional>
#include <string>

#include "events.hpp"
#include "mandos/result.hpp"
#include "value.hpp"

namespace mandos::monitor {

// One complete value of any type, popped from `reader`.
[[nodiscard]] Result<Value> read_value(core::dbus::Message::Reader& reader);
// An a{sv} dictionary, popped from `reader`.
[[nodiscard]] Result<Properties> read_properties(core::dbus::Message::Reader& reader);

// The reply to GetAllClientsWithProperties (a{oa{sv}}), or an error reply.
[[nodiscard]] Result<ClientsLoaded> decode_clients_reply(
    const core::dbus::Message::Ptr& reply);

// A signal on the server object `/`: InterfacesAdded, InterfacesRemoved or
// ClientNotFound. Other signals: no event.
[[nodiscard]] Result<std::optional<BusEvent>> decode_server_signal(
    const core::dbus::Message::Ptr& signal);

// A signal on a client object: PropertiesChanged and the five client
// signals the reference listens to. Other signals: no event.
[[nodiscard]] Result<std::optional<BusEvent>> decode_client_signal(
    const core::dbus::Message::Ptr& signal);

}  // namespace mandos::monitor
