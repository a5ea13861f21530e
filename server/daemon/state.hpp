// The persistent state file STATEDIR/clients.json (docs/state-format.md):
// every client's runtime attributes plus the clients.conf settings of the
// start that wrote it, so the next start can apply the reference's merge
// rules (server.md §9). Secrets are stored AES-256-GCM-encrypted under a key
// derived from the client's clients.conf secret, mirroring the reference's
// gpg --symmetric with a passphrase derived from that secret.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/client_config.hpp"
#include "daemon/client_data.hpp"
#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::server {

inline constexpr std::string_view kStateFormatName = "mandos-server-state";
inline constexpr int kStateFormatVersion = 1;
inline constexpr size_t kMaxStateFileBytes = size_t{256} << 20;

struct EncryptedSecret {
  std::string nonce;       // 12 bytes
  std::string ciphertext;  // ciphertext + 16-byte tag
  bool empty() const { return nonce.empty() && ciphertext.empty(); }
};

struct SavedClient {
  ClientData data;  // data.secret is empty: see `secret`
  EncryptedSecret secret;
};

struct SavedState {
  std::vector<SavedClient> clients;            // internal order
  std::map<std::string, ClientConfig> settings;  // clients.conf then (no secrets)
};

// Encrypts `secret` for `client_name` under a key derived from `config_secret`.
[[nodiscard]] Result<EncryptedSecret> encrypt_secret(const SecretBytes& secret,
                                                     const SecretBytes& config_secret,
                                                     const std::string& client_name);
// Fails if the key (config secret) or the name differ, or the data was altered.
[[nodiscard]] Result<SecretBytes> decrypt_secret(const EncryptedSecret& encrypted,
                                                 const SecretBytes& config_secret,
                                                 const std::string& client_name);

// JSON text of the state. `settings` are clients.conf as parsed at this
// start; each client's secret is encrypted with its entry's secret there
// (clients without one are saved without a secret).
[[nodiscard]] Result<std::string> serialize_state(const std::vector<const ClientData*>& clients,
                                                  const std::vector<ClientConfig>& settings,
                                                  WallTime saved_at);

// Parses and validates a state file's text; errors name `path` and the
// offending field or position.
[[nodiscard]] Result<SavedState> parse_state(std::string_view text, const std::string& path);

// What a start finds on disk.
enum class StateLoad { Loaded, Missing, Empty };
struct LoadedState {
  StateLoad status = StateLoad::Missing;
  SavedState state;
};
// Missing or empty files are not errors (the caller warns); anything
// unreadable or malformed is, and the file is left untouched.
[[nodiscard]] Result<LoadedState> load_state_file(const std::string& path);

// Merge rules 1-6 of server.md §9. Returns the clients to create, restored
// ones first (saved order), then new ones (clients.conf order). Logs the
// decisions as the reference does. No saved state: --no-restore, or none
// found.
std::vector<ClientData> merge_state(std::optional<SavedState> saved,
                                    const std::vector<ClientConfig>& configs, WallTime now);

// A fresh client from its clients.conf settings.
ClientData client_from_config(const ClientConfig& config, WallTime now);

}  // namespace mandos::server
