// The two things mandos-keygen does, after the command line was checked.
// Each prints its own errors and returns the exit status.
#pragma once

#include <string>

#include "options.hpp"

namespace mandos::keygen {

// Key generation mode (keygen.md §2): writes the four key files in `dir`.
int generate_keys(const Settings& settings, const std::string& dir, const std::string& name);

// Password mode (keygen.md §3): prints a clients.conf section for `name`.
int encrypt_password(const Settings& settings, const std::string& dir, const std::string& name);

// Prints "mandos-keygen: MESSAGE" to stderr (our own messages; the
// reference's exact messages are printed bare by the callers).
void report(const std::string& message);

}  // namespace mandos::keygen
