// A Mandos client as the server lists it over D-Bus: its object path and the
// property dict of interface se.recompile.Mandos.Client (dbus-api.md §4),
// in the order the server sent them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mandos::ctl {

// A property of a type mandos-ctl does not display (arrays, structs...);
// shown by its D-Bus signature.
struct OtherValue {
  std::string signature;
  bool operator==(const OtherValue&) const = default;
};

// Signed D-Bus integers (n, i, x, and y for simplicity) are int64, unsigned
// ones (q, u, t) uint64; strings include object paths and signatures.
using PropertyValue =
    std::variant<bool, std::int64_t, std::uint64_t, double, std::string, OtherValue>;

struct Client {
  std::string path;
  std::vector<std::pair<std::string, PropertyValue>> properties;

  // nullptr when the server did not send the property.
  const PropertyValue* find(std::string_view property) const;
  // The Name property, or "" when it is missing or not a string.
  std::string name() const;
};

struct Column {
  const char* property;
  const char* header;
};

// Every property mandos-ctl shows, in the order of the verbose table and of
// --dump-json (ctl.md §4). The default table is the first four.
inline constexpr std::array<Column, 20> kColumns = {{
    {"Name", "Name"},
    {"Enabled", "Enabled"},
    {"Timeout", "Timeout"},
    {"LastCheckedOK", "Last Successful Check"},
    {"Created", "Created"},
    {"Interval", "Interval"},
    {"Host", "Host"},
    {"KeyID", "Key ID"},
    {"Fingerprint", "Fingerprint"},
    {"CheckerRunning", "Check Is Running"},
    {"LastEnabled", "Last Enabled"},
    {"ApprovalPending", "Approval Is Pending"},
    {"ApprovedByDefault", "Approved By Default"},
    {"LastApprovalRequest", "Last Approval Request"},
    {"ApprovalDelay", "Approval Delay"},
    {"ApprovalDuration", "Approval Duration"},
    {"Checker", "Checker"},
    {"ExtendedTimeout", "Extended Timeout"},
    {"Expires", "Expires"},
    {"LastCheckerStatus", "Last Checker Status"},
}};
inline constexpr std::size_t kDefaultColumnCount = 4;

// Properties holding milliseconds, shown as [dT]HH:MM:SS in tables.
bool is_duration_property(std::string_view property);

}  // namespace mandos::ctl
