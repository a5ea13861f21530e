// The four key files in the key directory (keygen.md §2) and how old ones
// are kept: GNU numbered backups "FILE.~N~", as `cp --backup=numbered`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::keygen {

inline constexpr const char* kSeckeyFile = "seckey.txt";
inline constexpr const char* kPubkeyFile = "pubkey.txt";
inline constexpr const char* kTlsPrivkeyFile = "tls-privkey.pem";
inline constexpr const char* kTlsPubkeyFile = "tls-pubkey.pem";
// Key files are created with this mode (the reference runs under umask 077).
inline constexpr unsigned kKeyFileMode = 0600;

// "DIR/NAME" without doubling a trailing slash.
std::string join_path(const std::string& dir, const std::string& name);

// True if any of the four files exists (following symlinks, as test -e).
bool any_key_file_exists(const std::string& dir);

// The name of the next numbered backup of `file_name` given the names in
// its directory: "FILE.~N~" with N one more than the largest existing
// backup number (numbers start with 1-9; others are not backups), or 1.
// Works on decimal strings, so no number is too large.
std::string next_backup_name(std::string_view file_name,
                             const std::vector<std::string>& directory_entries);

// Moves an existing `path` aside to its next numbered backup (a hard link
// where the filesystem allows it, so the file never goes missing; else a
// rename). Returns the backup path, or "" if `path` does not exist.
[[nodiscard]] Result<std::string> back_up_file(const std::string& path);

}  // namespace mandos::keygen
