// --test: checks this agent's own machinery on the running system (key-file
// parsing, locked memory, datagram answers, inotify) and reports each check
// TAP-style on stdout. The reference runs its GLib unit tests here; ours
// live in the build tree, so this runs checks that exercise the target
// system's kernel and libraries instead.
#pragma once

namespace mandos::agent {

// Returns 0 when every check passed, else 1.
int run_self_tests();

}  // namespace mandos::agent
