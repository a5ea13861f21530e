// Asks the local SSH server for its host key with ssh-keyscan, for the
// "checker" and "ssh_fingerprint" options (keygen.md §3).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "section.hpp"

namespace mandos::keygen {

// Tried in this order; the first that gives a key wins.
inline constexpr const char* kSshKeyTypes[] = {"ecdsa-sha2-nistp256", "ed25519", "rsa"};

// ssh-keyscan gives up on a silent server after 5 s by default; this is
// our own hard limit per run, after which it is killed.
inline constexpr std::chrono::milliseconds kSshKeyscanTimeout{15000};
// More output than any host key line needs.
inline constexpr size_t kMaxSshKeyscanOutput = 64 * 1024;

// The full path of `program` found through $PATH, or "" if none.
std::string find_in_path(const std::string& program);

// Runs `keyscan -t TYPE localhost` for each type in kSshKeyTypes, stderr
// discarded. A run counts if it exits 0 with output; the output's trailing
// newlines and a leading "localhost " are removed. nullopt if no run gave
// a key, `keyscan` is "" or a signal interrupted the probe.
std::optional<SshHostKey> probe_ssh_host_key(const std::string& keyscan,
                                             std::chrono::milliseconds timeout = kSshKeyscanTimeout);

}  // namespace mandos::keygen
