// clients.conf: one section per client, the built-in client defaults acting
// as [DEFAULT] entries (server.md §2-§3). Parsing happens as root before any
// socket is bound; `secfile` files are read later, after privileges are
// dropped (read_secret_files()).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "mandos/config.hpp"
#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::server {

// The settings of one client as written in clients.conf (parsed values).
struct ClientConfig {
  std::string name;  // section name, case-sensitive
  std::chrono::microseconds timeout{};
  std::chrono::microseconds extended_timeout{};
  std::chrono::microseconds interval{};
  std::chrono::microseconds approval_delay{};
  std::chrono::microseconds approval_duration{};
  std::string checker;  // after start-time interpolation: "fping -q -- %(host)s"
  std::string host;
  bool approved_by_default = true;
  bool enabled = true;
  std::string key_id;       // upper-case, spaces removed
  std::string fingerprint;  // upper-case, spaces removed; empty if unset
  SecretBytes secret;       // decoded `secret`, or the secfile's bytes once read
  std::string secfile;      // expanded path; empty when `secret` was given
  std::string secfile_origin;  // "FILE:LINE" of the secfile option, for errors

  // Compares every setting except the secret (merge rule 2 of server.md §9).
  bool same_settings(const ClientConfig& other) const;
};

// The reference's built-in client defaults, as [DEFAULT] entries.
const config::Defaults& client_defaults();

// Parses every client section. Any error names FILE:LINE, the section and
// the option, and never shows the value of `secret`.
[[nodiscard]] Result<std::vector<ClientConfig>> parse_client_configs(const config::IniFile& ini);

// Loads CONFIGDIR/clients.conf (missing file = no clients) and parses it.
[[nodiscard]] Result<std::vector<ClientConfig>> load_client_configs(const std::string& path);

// Reads the secfile of every client that has one (after privileges are
// dropped). Relative paths are relative to the current directory.
[[nodiscard]] Status read_secret_files(std::vector<ClientConfig>& clients);

// os.path.expanduser(os.path.expandvars(path)) with the given environment
// lookup (nullptr result = unset).
std::string expand_secfile_path(std::string_view path);

}  // namespace mandos::server
