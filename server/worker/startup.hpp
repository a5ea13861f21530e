// Start-up hardening of mandos-tls-worker, in the order main() applies it.
// The worker parses untrusted network input, so it runs with as little as
// possible: no root, no capabilities, no way to gain privileges, no fds but
// its own, and it dies with its parent.
#pragma once

#include <string>

#include "mandos/result.hpp"

namespace mandos::server::worker {

// Closes every fd above kListenFd (stdio, channel and listening socket stay).
void close_inherited_fds();

// Fails if any real/effective/saved uid or gid is 0 (the main process must
// start the worker as an unprivileged user).
[[nodiscard]] Status check_not_root();

// PR_SET_PDEATHSIG(SIGKILL), then fails if the parent is already gone
// (we were re-parented before the setting took effect).
[[nodiscard]] Status die_with_parent();

// PR_SET_NO_NEW_PRIVS, not dumpable (no ptrace by other processes of the
// same user, no core files holding secrets), every capability dropped.
[[nodiscard]] Status restrict_process();

// fd 3 must be a connected AF_UNIX stream socket, fd 4 a listening TCP
// socket.
[[nodiscard]] Status check_inherited_fds();

// Raises the soft RLIMIT_NOFILE to the hard limit; returns how many
// connections fit (the limit minus fds the worker needs for itself).
size_t raise_fd_limit();

}  // namespace mandos::server::worker
