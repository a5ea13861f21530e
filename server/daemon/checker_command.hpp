// Runtime expansion of checker commands (server.md §5): Python's
// `command % mapping`, every value being shlex.quote(str(attribute)).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "daemon/client_data.hpp"
#include "mandos/result.hpp"

namespace mandos::server {

// Python's shlex.quote().
std::string shell_quote(std::string_view text);
// Python's repr() of a str (ascii_only: ascii()).
std::string python_repr(std::string_view text, bool ascii_only = false);

// The str() forms of the runtime expansion keys, unquoted. With
// with_object_path, also "dbus_object_path" (the reference has it only when
// D-Bus is enabled).
std::map<std::string, std::string> checker_expansion_values(const ClientData& client,
                                                            bool with_object_path);

// `format % mapping` for a mapping of str values (values are used as given:
// quote them first). Errors: unknown key, positional specifier, numeric
// conversion of a str, unsupported or incomplete specifier.
[[nodiscard]] Result<std::string> python_percent_format(
    std::string_view format, const std::map<std::string, std::string>& mapping);

// The command a checker runs for this client right now.
[[nodiscard]] Result<std::string> expand_checker_command(const ClientData& client,
                                                         bool with_object_path);

}  // namespace mandos::server
