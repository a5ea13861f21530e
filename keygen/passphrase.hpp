// The password to encrypt in password mode (keygen.md §3).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::keygen {

// Upper bound on a password: cryptsetup's default maximum key file size,
// since the password unlocks a LUKS device.
inline constexpr size_t kMaxPasswordBytes = size_t{8} << 20;

// The exact bytes of FILE ("-" is standard input, as for cat(1)); nothing
// is stripped. Errors name the file.
[[nodiscard]] Result<SecretBytes> read_passfile(const std::string& path);

// What the shell's `read -r` keeps of a line with the default IFS: leading
// and trailing spaces, tabs and newlines removed, backslashes literal.
std::string_view strip_read_whitespace(std::string_view line);

// Asks twice: the prompts go to /dev/tty (to stderr if there is no
// terminal), the answers are read from `in_fd` with echo off when it is a
// terminal. On a mismatch prints "Passphrase mismatch" to stderr, then asks
// again if `in_fd` is a terminal, else fails with that message (already
// printed: the error's code is 1 and its message is empty).
[[nodiscard]] Result<SecretBytes> prompt_passphrase(int in_fd);

}  // namespace mandos::keygen
