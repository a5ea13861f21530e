// MandosBus over the system bus with dbus-cpp (libdbus-cpp). Calls block
// with libdbus's usual 25 s limit. With a debug stream, every call is
// logged there first in the reference's "D-Bus: ..." form (ctl.md §1).
#pragma once

#include <iosfwd>
#include <memory>

#include "mandos_bus.hpp"

namespace core::dbus {
class Message;
}  // namespace core::dbus

namespace mandos::ctl {

// Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS, else the standard
// socket). Fails with BusErrorKind::kNoBus.
[[nodiscard]] Result<std::unique_ptr<MandosBus>> connect_system_bus(std::ostream* debug);

// Decodes a GetManagedObjects reply (a{oa{sa{sv}}}) into the objects that
// have the client interface. Exposed for tests.
[[nodiscard]] Result<std::vector<Client>> decode_managed_objects(core::dbus::Message& reply);

// Python repr() of a Set value as the reference's debug line shows it:
// True, 300000, 'text'; the secret is not shown, only its size.
std::string debug_repr(const SetValue& value);

}  // namespace mandos::ctl
