// `mandos --check`: the server's built-in self-tests (parsing, expansion,
// state encoding) on fixed fixtures, then a validation of the configuration
// in --configdir. Prints one "ok"/"FAIL" line per check.
#pragma once

#include <ostream>
#include <string>

#include "daemon/settings.hpp"

namespace mandos::server {

// Returns 0 if every check passed, else 1. `config_error` is a mandos.conf
// problem found while parsing the settings (empty if none).
int run_self_check(const ServerSettings& settings, const std::string& config_error,
                   std::ostream& out);

}  // namespace mandos::server
