#include "value.hpp"

#include <limits>

namespace mandos::monitor {

bool bool_property(const Properties& properties, const std::string& name, bool fallback) {
  auto found = properties.find(name);
  if (found == properties.end()) return fallback;
  if (const bool* value = std::get_if<bool>(&found->second)) return *value;
  return fallback;
}

std::int64_t int_property(const Properties& properties, const std::string& name,
                          std::int64_t fallback) {
  auto found = properties.find(name);
  if (found == properties.end()) return fallback;
  if (const auto* value = std::get_if<std::int64_t>(&found->second)) return *value;
  if (const auto* value = std::get_if<std::uint64_t>(&found->second)) {
    // Saturate: a duration beyond int64 ms is beyond any countdown we show.
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(*value > kMax ? kMax : *value);
  }
  return fallback;
}

std::string string_property(const Properties& properties, const std::string& name) {
  auto found = properties.find(name);
  if (found == properties.end()) return "";
  if (const auto* value = std::get_if<std::string>(&found->second)) return *value;
  return "";
}

}  // namespace mandos::monitor
