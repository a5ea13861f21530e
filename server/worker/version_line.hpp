// The protocol version line a Mandos client sends before TLS (protocol.md
// §3): one line to LF; its first whitespace-separated token must parse as
// a decimal integer no greater than 1. The reference parses it with
// Python's int(), so a sign, leading zeros and single underscores between
// digits are accepted as Python accepts them; bytes after the first token
// are ignored.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mandos/result.hpp"

namespace mandos::server::worker {

// Longest accepted line, CR LF included. The reference has no limit; a
// peer sending more without a LF is rejected.
inline constexpr size_t kMaxVersionLineBytes = 64;

// `line` is the complete line including its LF. The error text follows
// "Unknown protocol version: " in the log.
[[nodiscard]] Status check_version_line(std::string_view line);

// Python-style repr of bytes ('1\r\n'), for log lines about untrusted input.
std::string python_repr(std::string_view bytes);

}  // namespace mandos::server::worker
