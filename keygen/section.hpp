// The clients.conf section that password mode prints (keygen.md §3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::keygen {

struct SshHostKey {
  std::string key_type;     // as passed to ssh-keyscan -t, e.g. "ed25519"
  std::string fingerprint;  // ssh-keyscan's line without "localhost ", e.g. "ssh-ed25519 AAAA..."
};

struct ClientSection {
  std::string name;
  std::optional<std::string> key_id;  // printed as given
  std::string fingerprint;
  std::vector<std::string> secret_lines;  // base64 lines, not yet indented
  std::optional<SshHostKey> ssh;
};

// The base64 lines of an ASCII-armored "PGP MESSAGE": the text between the
// blank line that ends the armor headers and the END line, without the
// CRC-24 line ("=XXXX"). Fails if the BEGIN line, the blank line or the END
// line is missing, or if there are no base64 lines.
[[nodiscard]] Result<std::vector<std::string>> armored_message_body(std::string_view armored);

// The section text, every line ending in "\n":
//   [NAME] / host = NAME / key_id = ... (if any) / fingerprint = ... /
//   secret = / four-space-indented lines / checker + ssh_fingerprint (if any)
std::string format_client_section(const ClientSection& section);

}  // namespace mandos::keygen
