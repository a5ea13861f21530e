#include "client.hpp"

namespace mandos::ctl {

const PropertyValue* Client::find(std::string_view property) const {
  for (const auto& [key, value] : properties) {
    if (key == property) return &value;
  }
  return nullptr;
}

std::string Client::name() const {
  const PropertyValue* value = find("Name");
  if (value == nullptr) return "";
  const auto* text = std::get_if<std::string>(value);
  return text != nullptr ? *text : "";
}

bool is_duration_property(std::string_view property) {
  return property == "Timeout" || property == "Interval" || property == "ApprovalDelay" ||
         property == "ApprovalDuration" || property == "ExtendedTimeout";
}

}  // namespace mandos::ctl
