#include "dbus/properties.hpp"

#include "common/ipc.hpp"
#include "daemon/client_data.hpp"
#include "mandos/duration.hpp"
#include "mandos/timestamp.hpp"

namespace mandos::server::dbus {
namespace {

// The order is the reference's: it lists properties sorted by the Python
// attribute names ("CheckerRunning_dbus_property" < "Checker_dbus_property").
const std::vector<PropertyInfo> kProperties = {
    {Property::ApprovalDelay, "ApprovalDelay", "t", Access::ReadWrite, Emits::Yes, false},
    {Property::ApprovalDuration, "ApprovalDuration", "t", Access::ReadWrite, Emits::Yes, false},
    {Property::ApprovalPending, "ApprovalPending", "b", Access::Read, Emits::Yes, false},
    {Property::ApprovedByDefault, "ApprovedByDefault", "b", Access::ReadWrite, Emits::Yes, false},
    {Property::CheckerRunning, "CheckerRunning", "b", Access::ReadWrite, Emits::Yes, false},
    {Property::Checker, "Checker", "s", Access::ReadWrite, Emits::Yes, false},
    {Property::Created, "Created", "s", Access::Read, Emits::Const, false},
    {Property::Enabled, "Enabled", "b", Access::ReadWrite, Emits::Yes, false},
    {Property::Expires, "Expires", "s", Access::Read, Emits::Yes, false},
    {Property::ExtendedTimeout, "ExtendedTimeout", "t", Access::ReadWrite, Emits::Yes, false},
    {Property::Fingerprint, "Fingerprint", "s", Access::Read, Emits::Const, false},
    {Property::Host, "Host", "s", Access::ReadWrite, Emits::Yes, false},
    {Property::Interval, "Interval", "t", Access::ReadWrite, Emits::Yes, false},
    {Property::KeyID, "KeyID", "s", Access::Read, Emits::Const, false},
    {Property::LastApprovalRequest, "LastApprovalRequest", "s", Access::Read, Emits::Yes, false},
    {Property::LastCheckedOK, "LastCheckedOK", "s", Access::ReadWrite, Emits::Yes, false},
    {Property::LastCheckerStatus, "LastCheckerStatus", "n", Access::Read, Emits::Yes, false},
    {Property::LastEnabled, "LastEnabled", "s", Access::Read, Emits::Yes, false},
    {Property::Name, "Name", "s", Access::Read, Emits::Const, false},
    {Property::ObjectPath, "ObjectPath", "o", Access::Read, Emits::Const, true},
    {Property::Secret, "Secret", "ay", Access::Write, Emits::Invalidates, false},
    {Property::Timeout, "Timeout", "t", Access::ReadWrite, Emits::Yes, false},
};

CallError invalid(const PropertyInfo& info, const std::string& expected, const Value& got) {
  return CallError{std::string(kErrorInvalidArgs), "Property " + std::string(info.name) +
                                                       " must be " + expected + ", got " +
                                                       describe(got) + "; nothing was changed"};
}

// Integer properties in ms: any D-Bus integer type, not negative, and small
// enough to be held in microseconds.
std::optional<CallError> check_duration(const PropertyInfo& info, const Value& value) {
  const std::string expected = "a non-negative integer (milliseconds)";
  if (!value.is_integer()) return invalid(info, expected, value);
  auto ms = value.as_int64();
  if (!ms || *ms < 0 || !from_milliseconds(*ms)) return invalid(info, expected, value);
  return std::nullopt;
}

// Booleans: a D-Bus boolean, or the integers 0 and 1.
std::optional<bool> boolean_of(const Value& value) {
  if (value.kind() == Kind::Boolean) return value.as_bool();
  auto n = value.as_int64();
  if (n && (*n == 0 || *n == 1)) return *n == 1;
  return std::nullopt;
}

Micros micros_of(const Value& value) {
  // Checked by check_duration() before.
  return from_milliseconds(*value.as_int64()).value();
}

}  // namespace

const std::vector<PropertyInfo>& client_properties() { return kProperties; }

const PropertyInfo* find_property(std::string_view name) {
  for (const PropertyInfo& info : kProperties) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const PropertyInfo& property_info(Property property) {
  for (const PropertyInfo& info : kProperties) {
    if (info.property == property) return info;
  }
  return kProperties.front();  // unreachable: the table covers the enum
}

std::uint64_t duration_ms(Micros duration) {
  const std::int64_t ms = to_milliseconds(duration);
  return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

std::string timestamp_text(const std::optional<WallTime>& time) {
  return time ? format_iso_naive(*time) : std::string();
}

Value property_value(const Client& client, Property property) {
  const ClientData& d = client.data();
  switch (property) {
    case Property::ApprovalDelay: return Value::uint64(duration_ms(d.approval_delay));
    case Property::ApprovalDuration: return Value::uint64(duration_ms(d.approval_duration));
    case Property::ApprovalPending: return Value::boolean(client.approval_pending());
    case Property::ApprovedByDefault: return Value::boolean(d.approved_by_default);
    case Property::Checker: return Value::string(d.checker);
    case Property::CheckerRunning: return Value::boolean(client.checker_running());
    case Property::Created: return Value::string(format_iso_naive(d.created));
    case Property::Enabled: return Value::boolean(d.enabled);
    case Property::Expires: return Value::string(timestamp_text(d.expires));
    case Property::ExtendedTimeout: return Value::uint64(duration_ms(d.extended_timeout));
    case Property::Fingerprint: return Value::string(d.fingerprint);
    case Property::Host: return Value::string(d.host);
    case Property::Interval: return Value::uint64(duration_ms(d.interval));
    case Property::KeyID: return Value::string(d.key_id);
    case Property::LastApprovalRequest:
      return Value::string(timestamp_text(d.last_approval_request));
    case Property::LastCheckedOK: return Value::string(timestamp_text(d.last_checked_ok));
    case Property::LastCheckerStatus:
      return Value::int16(static_cast<std::int16_t>(d.last_checker_status));
    case Property::LastEnabled: return Value::string(timestamp_text(d.last_enabled));
    case Property::Name: return Value::string(d.name);
    case Property::ObjectPath: return Value::object_path(client_object_path(d.name));
    case Property::Secret: return Value::bytes({});  // write-only; never sent
    case Property::Timeout: return Value::uint64(duration_ms(d.timeout));
  }
  return Value::string("");
}

Value all_properties(const Client& client) {
  DictBuilder dict;
  for (const PropertyInfo& info : kProperties) {
    if (info.access == Access::Write) continue;
    dict.add(std::string(info.name), Value::variant(property_value(client, info.property)));
  }
  return std::move(dict).build();
}

std::optional<CallError> validate_set(const PropertyInfo& info, const Value& value) {
  if (info.access == Access::Read) {
    return CallError{std::string(kErrorAccess),
                     "Property " + std::string(info.name) + " is read-only"};
  }
  switch (info.property) {
    case Property::LastCheckedOK: return std::nullopt;  // any value: the Set means "checked OK now"
    case Property::Secret:
      if (value.kind() != Kind::Array || value.element_signature() != "y") {
        return invalid(info, "a byte array (ay)", value);
      }
      if (value.as_bytes().size() > ipc::kMaxSecretSize) {
        return CallError{std::string(kErrorInvalidArgs),
                         "Property Secret is limited to " + std::to_string(ipc::kMaxSecretSize) +
                             " bytes, got " + std::to_string(value.as_bytes().size()) +
                             "; nothing was changed"};
      }
      return std::nullopt;
    case Property::Checker:
    case Property::Host:
      if (value.kind() != Kind::String) return invalid(info, "a string", value);
      if (value.as_string().size() > kMaxStringProperty) {
        return CallError{std::string(kErrorInvalidArgs),
                         "Property " + std::string(info.name) + " is limited to " +
                             std::to_string(kMaxStringProperty) + " bytes; nothing was changed"};
      }
      return std::nullopt;
    case Property::ApprovedByDefault:
    case Property::CheckerRunning:
    case Property::Enabled:
      if (!boolean_of(value)) return invalid(info, "a boolean", value);
      return std::nullopt;
    case Property::ApprovalDelay:
    case Property::ApprovalDuration:
    case Property::ExtendedTimeout:
    case Property::Interval:
    case Property::Timeout: return check_duration(info, value);
    case Property::ApprovalPending:
    case Property::Created:
    case Property::Expires:
    case Property::Fingerprint:
    case Property::KeyID:
    case Property::LastApprovalRequest:
    case Property::LastCheckerStatus:
    case Property::LastEnabled:
    case Property::Name:
    case Property::ObjectPath: break;
  }
  return CallError{std::string(kErrorAccess),
                   "Property " + std::string(info.name) + " is read-only"};
}

std::optional<CallError> set_property(Registry& registry, Client& client, const PropertyInfo& info,
                                      const Value& value) {
  if (auto error = validate_set(info, value)) return error;
  switch (info.property) {
    case Property::ApprovalDelay: registry.set_approval_delay(client, micros_of(value)); break;
    case Property::ApprovalDuration:
      registry.set_approval_duration(client, micros_of(value));
      break;
    case Property::ExtendedTimeout: registry.set_extended_timeout(client, micros_of(value)); break;
    case Property::Interval: registry.set_interval(client, micros_of(value)); break;
    case Property::Timeout: registry.set_timeout(client, micros_of(value)); break;
    case Property::ApprovedByDefault:
      registry.set_approved_by_default(client, *boolean_of(value));
      break;
    case Property::Enabled: registry.set_enabled(client, *boolean_of(value)); break;
    case Property::CheckerRunning:
      if (*boolean_of(value)) {
        registry.start_checker(client);
      } else {
        registry.stop_checker(client);
      }
      break;
    case Property::Checker: registry.set_checker(client, value.as_string()); break;
    case Property::Host: registry.set_host(client, value.as_string()); break;
    case Property::LastCheckedOK: registry.checked_ok(client); break;
    case Property::Secret: registry.set_secret(client, value.as_bytes()); break;
    case Property::ApprovalPending:
    case Property::Created:
    case Property::Expires:
    case Property::Fingerprint:
    case Property::KeyID:
    case Property::LastApprovalRequest:
    case Property::LastCheckerStatus:
    case Property::LastEnabled:
    case Property::Name:
    case Property::ObjectPath: break;  // rejected by validate_set()
  }
  return std::nullopt;
}

}  // namespace mandos::server::dbus
