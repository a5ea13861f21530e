#include "dbus/paths.hpp"

#include <map>

#include "daemon/client_data.hpp"

namespace mandos::server::dbus {

bool is_path_element(std::string_view element) {
  if (element.empty()) return false;
  for (char c : element) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Status check_client_paths(const std::vector<std::string>& names) {
  std::vector<std::string> problems;
  std::map<std::string, std::string> owner;  // path -> first client name
  for (const std::string& name : names) {
    const std::string path = client_object_path(name);
    if (!is_path_element(std::string_view(path).substr(9))) {
      problems.push_back("client \"" + name +
                         "\": its name gives the invalid D-Bus object path \"" + path +
                         "\" (only letters, digits, '_', '.' and '-' are usable)");
      continue;
    }
    auto [it, inserted] = owner.emplace(path, name);
    if (!inserted) {
      problems.push_back("clients \"" + it->second + "\" and \"" + name +
                         "\" both map to the D-Bus object path " + path);
    }
  }
  if (problems.empty()) return {};
  std::string message = "Cannot export clients over D-Bus: ";
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) message += "; ";
    message += problems[i];
  }
  return fail(message + " (rename the section in clients.conf, or run with --no-dbus)");
}

}  // namespace mandos::server::dbus
