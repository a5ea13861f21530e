// What mandos-ctl needs from the Mandos server's D-Bus API (dbus-api.md),
// as an interface so that the command logic can be tested with a fake.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "client.hpp"
#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::ctl {

inline constexpr const char* kBusName = "se.recompile.Mandos";
inline constexpr const char* kServerPath = "/";
inline constexpr const char* kServerInterface = "se.recompile.Mandos";
inline constexpr const char* kClientInterface = "se.recompile.Mandos.Client";

// Error::code of a failed bus operation; Error::message is the D-Bus error
// message (without the error name).
enum class BusErrorKind {
  kFailed = 1,    // the server answered with an error, or the reply is malformed
  kNoBus,         // no connection to the system bus
  kNoServer,      // nobody owns se.recompile.Mandos
  kAccessDenied,  // the bus policy refused the call
};

inline BusErrorKind bus_error_kind(const Error& error) {
  return static_cast<BusErrorKind>(error.code);
}

// A Set value, typed as the server's property signatures: b, t, s, ay.
using SetValue = std::variant<bool, std::uint64_t, std::string, SecretBytes>;

class MandosBus {
 public:
  virtual ~MandosBus() = default;
  // ObjectManager.GetManagedObjects on "/": every object with the client
  // interface, in the server's order.
  [[nodiscard]] virtual Result<std::vector<Client>> clients() = 0;
  [[nodiscard]] virtual Status set_property(const std::string& path, const std::string& property,
                                            const SetValue& value) = 0;
  [[nodiscard]] virtual Status approve(const std::string& path, bool approve) = 0;
  [[nodiscard]] virtual Status remove_client(const std::string& path) = 0;
};

}  // namespace mandos::ctl
