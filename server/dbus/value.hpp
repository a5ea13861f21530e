// One D-Bus value of any type, as a plain C++ tree. The main loop builds and
// inspects only these; the bus thread (bus_connection.cpp) converts them to
// and from wire messages. Keeping libdbus types out of the API logic lets the
// whole API run in unit tests without a bus.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mandos/secret.hpp"

namespace mandos::server::dbus {

// The D-Bus type codes we carry (the code is the signature character;
// structs use '(' and dict entries '{').
enum class Kind : char {
  Byte = 'y',
  Boolean = 'b',
  Int16 = 'n',
  UInt16 = 'q',
  Int32 = 'i',
  UInt32 = 'u',
  Int64 = 'x',
  UInt64 = 't',
  Double = 'd',
  String = 's',
  ObjectPath = 'o',
  Signature = 'g',
  Array = 'a',
  Struct = '(',
  DictEntry = '{',
  Variant = 'v',
};

class Value {
 public:
  static Value byte(std::uint8_t v);
  static Value boolean(bool v);
  static Value int16(std::int16_t v);
  static Value uint16(std::uint16_t v);
  static Value int32(std::int32_t v);
  static Value uint32(std::uint32_t v);
  static Value int64(std::int64_t v);
  static Value uint64(std::uint64_t v);
  static Value dbl(double v);
  static Value string(std::string v);
  static Value object_path(std::string v);
  static Value signature_value(std::string v);
  // `ay`, stored compactly and wiped when freed (it may be a secret).
  static Value bytes(SecretBytes v);
  // An array; element_signature is needed for empty arrays.
  static Value array(std::string element_signature, std::vector<Value> items = {});
  static Value structure(std::vector<Value> fields);
  static Value dict_entry(Value key, Value value);
  static Value variant(Value inner);

  Kind kind() const { return kind_; }
  // The complete signature of this value ("a{sv}", "t", ...).
  std::string signature() const;

  bool is_integer() const;
  // Integer value if it fits; nullopt for non-integers or out of range.
  std::optional<std::int64_t> as_int64() const;
  std::optional<std::uint64_t> as_uint64() const;
  bool as_bool() const;
  double as_double() const;
  // String, object path or signature text.
  const std::string& as_string() const;
  // Bytes of an `ay` value.
  const SecretBytes& as_bytes() const { return bytes_; }
  // Array items, struct fields, dict entry (key, value), variant (inner).
  const std::vector<Value>& children() const { return children_; }
  const std::string& element_signature() const { return element_signature_; }

  bool operator==(const Value& other) const;

 private:
  Value(Kind kind) : kind_(kind) {}
  Kind kind_;
  std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string> scalar_;
  SecretBytes bytes_;
  std::vector<Value> children_;
  std::string element_signature_;
};

// An `a{sv}` dictionary built in insertion order.
class DictBuilder {
 public:
  DictBuilder& add(std::string key, Value value);
  Value build() &&;

 private:
  std::vector<Value> entries_;
};

// Text for messages: "uint64 5", "string \"x\"", "array of 3 bytes".
std::string describe(const Value& value);

}  // namespace mandos::server::dbus
