#include "section.hpp"

namespace mandos::keygen {
namespace {

constexpr std::string_view kBeginLine = "-----BEGIN PGP MESSAGE-----";
constexpr std::string_view kEndLine = "-----END PGP MESSAGE-----";

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

// The armor checksum line: "=" and four radix-64 characters (RFC 4880 §6.2).
bool is_checksum_line(std::string_view line) { return line.size() == 5 && line[0] == '='; }

}  // namespace

Result<std::vector<std::string>> armored_message_body(std::string_view armored) {
  enum class Phase { kBeforeBegin, kHeaders, kBody, kDone };
  Phase phase = Phase::kBeforeBegin;
  std::vector<std::string> body;
  for (std::string_view line : split_lines(armored)) {
    switch (phase) {
      case Phase::kBeforeBegin:
        if (line == kBeginLine) phase = Phase::kHeaders;
        break;
      case Phase::kHeaders:
        if (line == kEndLine) return fail("armored message has no blank line after its headers");
        if (line.empty()) phase = Phase::kBody;
        break;
      case Phase::kBody:
        if (line == kEndLine) {
          phase = Phase::kDone;
        } else if (!line.empty() && !is_checksum_line(line)) {
          body.emplace_back(line);
        }
        break;
      case Phase::kDone:
        break;
    }
  }
  if (phase == Phase::kBeforeBegin) return fail("no \"" + std::string(kBeginLine) + "\" line");
  if (phase != Phase::kDone) return fail("no \"" + std::string(kEndLine) + "\" line");
  if (body.empty()) return fail("armored message has no data lines");
  return body;
}

std::string format_client_section(const ClientSection& section) {
  std::string out;
  out += "[" + section.name + "]\n";
  out += "host = " + section.name + "\n";
  if (section.key_id) out += "key_id = " + *section.key_id + "\n";
  out += "fingerprint = " + section.fingerprint + "\n";
  out += "secret =\n";
  for (const std::string& line : section.secret_lines) out += "    " + line + "\n";
  if (section.ssh) {
    // "%%" and "%(...)s" are for the server: the first is expanded when it
    // reads clients.conf, the second when it runs the checker (server.md).
    out += "checker = ssh-keyscan -t " + section.ssh->key_type +
           " %%(host)s 2>/dev/null | grep --fixed-strings --line-regexp --quiet"
           " --regexp=%%(host)s\" %(ssh_fingerprint)s\"\n";
    out += "ssh_fingerprint = " + section.ssh->fingerprint + "\n";
  }
  return out;
}

}  // namespace mandos::keygen
