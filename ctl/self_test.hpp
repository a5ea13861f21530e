// mandos-ctl --check: built-in checks of option parsing, TIME conversion,
// table and JSON output and client selection, for an installed binary.
// The reference runs its Python unit tests instead; the exit status means
// the same (0: all passed, 1: a check failed).
#pragma once

#include <iosfwd>

namespace mandos::ctl {

// Runs every check, reports failures and a summary on `err`.
int run_self_tests(std::ostream& err);

}  // namespace mandos::ctl
