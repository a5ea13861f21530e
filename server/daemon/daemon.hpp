// The main process from start-up to exit, in the order of server.md §11:
// settings and logging, clients.conf (as root), the listening socket, the
// PID file, the privilege drop, daemonising, the D-Bus names, secfiles,
// state restore, D-Bus objects, workers, checkers, Zeroconf, then the GLib
// main loop until a signal.
#pragma once

#include <string>

#include "daemon/settings.hpp"

namespace mandos::server {

// Returns the process exit status.
int run_server(const ServerSettings& settings);

// Logging as the reference sets it up (syslog tag, stderr copy in debug).
void configure_logging(const ServerSettings& settings);

// Double fork, setsid, chdir /, stdio to /dev/null.
[[nodiscard]] Status daemonize();

// "/run/mandos.pid" if /run is a directory, else "/var/run/mandos.pid".
std::string pid_file_path();

}  // namespace mandos::server
