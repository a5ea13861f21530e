#include "dbus/value.hpp"

#include <limits>

namespace mandos::server::dbus {

Value Value::byte(std::uint8_t v) {
  Value r(Kind::Byte);
  r.scalar_ = std::uint64_t{v};
  return r;
}
Value Value::boolean(bool v) {
  Value r(Kind::Boolean);
  r.scalar_ = v;
  return r;
}
Value Value::int16(std::int16_t v) {
  Value r(Kind::Int16);
  r.scalar_ = std::int64_t{v};
  return r;
}
Value Value::uint16(std::uint16_t v) {
  Value r(Kind::UInt16);
  r.scalar_ = std::uint64_t{v};
  return r;
}
Value Value::int32(std::int32_t v) {
  Value r(Kind::Int32);
  r.scalar_ = std::int64_t{v};
  return r;
}
Value Value::uint32(std::uint32_t v) {
  Value r(Kind::UInt32);
  r.scalar_ = std::uint64_t{v};
  return r;
}
Value Value::int64(std::int64_t v) {
  Value r(Kind::Int64);
  r.scalar_ = v;
  return r;
}
Value Value::uint64(std::uint64_t v) {
  Value r(Kind::UInt64);
  r.scalar_ = v;
  return r;
}
Value Value::dbl(double v) {
  Value r(Kind::Double);
  r.scalar_ = v;
  return r;
}
Value Value::string(std::string v) {
  Value r(Kind::String);
  r.scalar_ = std::move(v);
  return r;
}
Value Value::object_path(std::string v) {
  Value r(Kind::ObjectPath);
  r.scalar_ = std::move(v);
  return r;
}
Value Value::signature_value(std::string v) {
  Value r(Kind::Signature);
  r.scalar_ = std::move(v);
  return r;
}
Value Value::bytes(SecretBytes v) {
  Value r(Kind::Array);
  // assign(1, 'y'), not = "y": GCC 12 -O2 reports a false -Wrestrict for
  // the latter (GCC bug 105329).
  r.element_signature_.assign(1, 'y');
  r.bytes_ = std::move(v);
  return r;
}
Value Value::array(std::string element_signature, std::vector<Value> items) {
  if (element_signature == "y") {
    // Keep every `ay` in the compact form, so readers need one code path.
    SecretBytes data;
    for (const Value& item : items) {
      auto b = static_cast<char>(item.as_uint64().value_or(0));
      data.append(&b, 1);
    }
    return bytes(std::move(data));
  }
  Value r(Kind::Array);
  r.element_signature_ = std::move(element_signature);
  r.children_ = std::move(items);
  return r;
}
Value Value::structure(std::vector<Value> fields) {
  Value r(Kind::Struct);
  r.children_ = std::move(fields);
  return r;
}
Value Value::dict_entry(Value key, Value value) {
  Value r(Kind::DictEntry);
  r.children_.push_back(std::move(key));
  r.children_.push_back(std::move(value));
  return r;
}
Value Value::variant(Value inner) {
  Value r(Kind::Variant);
  r.children_.push_back(std::move(inner));
  return r;
}

std::string Value::signature() const {
  switch (kind_) {
    case Kind::Array: return std::string(1, 'a').append(element_signature_);
    case Kind::Struct: {
      std::string s = "(";
      for (const Value& f : children_) s += f.signature();
      return s + ")";
    }
    case Kind::DictEntry:
      return std::string(1, '{')
          .append(children_.at(0).signature())
          .append(children_.at(1).signature())
          .append(1, '}');
    case Kind::Byte:
    case Kind::Boolean:
    case Kind::Int16:
    case Kind::UInt16:
    case Kind::Int32:
    case Kind::UInt32:
    case Kind::Int64:
    case Kind::UInt64:
    case Kind::Double:
    case Kind::String:
    case Kind::ObjectPath:
    case Kind::Signature:
    case Kind::Variant: break;
  }
  return std::string(1, static_cast<char>(kind_));
}

bool Value::is_integer() const {
  switch (kind_) {
    case Kind::Byte:
    case Kind::Int16:
    case Kind::UInt16:
    case Kind::Int32:
    case Kind::UInt32:
    case Kind::Int64:
    case Kind::UInt64: return true;
    case Kind::Boolean:
    case Kind::Double:
    case Kind::String:
    case Kind::ObjectPath:
    case Kind::Signature:
    case Kind::Array:
    case Kind::Struct:
    case Kind::DictEntry:
    case Kind::Variant: return false;
  }
  return false;
}

std::optional<std::int64_t> Value::as_int64() const {
  if (!is_integer()) return std::nullopt;
  if (const auto* s = std::get_if<std::int64_t>(&scalar_)) return *s;
  const std::uint64_t u = std::get<std::uint64_t>(scalar_);
  if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(u);
}

std::optional<std::uint64_t> Value::as_uint64() const {
  if (!is_integer()) return std::nullopt;
  if (const auto* u = std::get_if<std::uint64_t>(&scalar_)) return *u;
  const std::int64_t s = std::get<std::int64_t>(scalar_);
  if (s < 0) return std::nullopt;
  return static_cast<std::uint64_t>(s);
}

bool Value::as_bool() const {
  const auto* b = std::get_if<bool>(&scalar_);
  return b != nullptr && *b;
}

double Value::as_double() const {
  const auto* d = std::get_if<double>(&scalar_);
  return d == nullptr ? 0.0 : *d;
}

const std::string& Value::as_string() const {
  static const std::string kEmpty;
  const auto* s = std::get_if<std::string>(&scalar_);
  return s == nullptr ? kEmpty : *s;
}

bool Value::operator==(const Value& other) const {
  return kind_ == other.kind_ && scalar_ == other.scalar_ && bytes_ == other.bytes_ &&
         children_ == other.children_ && element_signature_ == other.element_signature_;
}

DictBuilder& DictBuilder::add(std::string key, Value value) {
  entries_.push_back(Value::dict_entry(Value::string(std::move(key)), std::move(value)));
  return *this;
}

Value DictBuilder::build() && { return Value::array("{sv}", std::move(entries_)); }

std::string describe(const Value& value) {
  switch (value.kind()) {
    case Kind::Byte: return "byte " + std::to_string(*value.as_uint64());
    case Kind::Boolean: return value.as_bool() ? "boolean true" : "boolean false";
    case Kind::Int16: return "int16 " + std::to_string(*value.as_int64());
    case Kind::UInt16: return "uint16 " + std::to_string(*value.as_uint64());
    case Kind::Int32: return "int32 " + std::to_string(*value.as_int64());
    case Kind::UInt32: return "uint32 " + std::to_string(*value.as_uint64());
    case Kind::Int64: return "int64 " + std::to_string(*value.as_int64());
    case Kind::UInt64: return "uint64 " + std::to_string(*value.as_uint64());
    case Kind::Double: return "double " + std::to_string(value.as_double());
    case Kind::String: return "string";
    case Kind::ObjectPath: return "object path";
    case Kind::Signature: return "signature";
    case Kind::Array:
      if (value.element_signature() == "y") {
        return "array of " + std::to_string(value.as_bytes().size()) + " bytes";
      }
      return "array of type '" + value.signature() + "'";
    case Kind::Struct: return "struct of type '" + value.signature() + "'";
    case Kind::DictEntry: return "dict entry";
    case Kind::Variant: return "variant";
  }
  return "value";
}

}  // namespace mandos::server::dbus
