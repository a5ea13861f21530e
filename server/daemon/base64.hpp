// Base64 as the server needs it: the strict RFC 4648 form of the state file
// (docs/state-format.md), and the lenient form of clients.conf secrets that
// the reference server accepts through Python's base64.b64decode().
#pragma once

#include <string>
#include <string_view>

#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::server {

// Standard alphabet, '=' padding, no line breaks.
std::string base64_encode(std::string_view data);

// The inverse of base64_encode: anything else (a stray character, missing
// or misplaced padding) is an error.
[[nodiscard]] Result<std::string> base64_decode_strict(std::string_view text);

// Python's base64.b64decode(text) (validate=False): characters outside the
// alphabet are skipped, decoding stops at a completing pad, a dangling quad
// is "Incorrect padding"; non-ASCII text is refused.
[[nodiscard]] Result<SecretBytes> decode_python_base64(std::string_view text);

}  // namespace mandos::server
