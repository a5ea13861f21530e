// Client object paths (dbus-api.md §2): "/clients/" + name with '.' and '-'
// replaced by '_'. A name that still has characters D-Bus does not allow in
// a path element, or two names that map to the same path, make start-up
// fail, as with the reference; unlike the reference we say which clients.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::server::dbus {

// True if `element` is a valid object path element: [A-Za-z0-9_]+.
bool is_path_element(std::string_view element);

// Checks every client name; the error lists each offending client.
[[nodiscard]] Status check_client_paths(const std::vector<std::string>& names);

}  // namespace mandos::server::dbus
