#include "daemon/state.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "daemon/base64.hpp"
#include "mandos/log.hpp"
#include "mandos/tls.hpp"

namespace mandos::server {
namespace {

using nlohmann::json;
using std::chrono::microseconds;

constexpr std::string_view kKeyLabel = "mandos clients.json secret key v1";
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

Result<SecretBytes> derive_key(const SecretBytes& config_secret) {
  unsigned char digest[32];
  int rc = gnutls_hmac_fast(GNUTLS_MAC_SHA256, config_secret.data(), config_secret.size(),
                            kKeyLabel.data(), kKeyLabel.size(), digest);
  if (rc < 0) return tls::tls_error("HMAC-SHA256", rc);
  SecretBytes key(digest, sizeof digest);
  secure_wipe(digest, sizeof digest);
  return key;
}

struct Aead {
  gnutls_aead_cipher_hd_t handle = nullptr;
  ~Aead() {
    if (handle != nullptr) gnutls_aead_cipher_deinit(handle);
  }
};

Status init_aead(Aead& aead, const SecretBytes& config_secret) {
  auto key = derive_key(config_secret);
  if (!key) return key.error();
  gnutls_datum_t datum{reinterpret_cast<unsigned char*>(const_cast<char*>(key->data())),
                       static_cast<unsigned>(key->size())};
  int rc = gnutls_aead_cipher_init(&aead.handle, GNUTLS_CIPHER_AES_256_GCM, &datum);
  if (rc < 0) return tls::tls_error("AES-256-GCM", rc);
  return {};
}

json optional_time(const std::optional<WallTime>& time) {
  return time ? json(format_rfc3339(*time)) : json(nullptr);
}

json settings_json(const ClientConfig& c) {
  return json{{"timeout_us", c.timeout.count()},
              {"extended_timeout_us", c.extended_timeout.count()},
              {"interval_us", c.interval.count()},
              {"approval_delay_us", c.approval_delay.count()},
              {"approval_duration_us", c.approval_duration.count()},
              {"checker", c.checker},
              {"host", c.host},
              {"approved_by_default", c.approved_by_default},
              {"enabled", c.enabled},
              {"key_id", c.key_id},
              {"fingerprint", c.fingerprint}};
}

json client_json(const ClientData& d) {
  return json{{"name", d.name},
              {"key_id", d.key_id},
              {"fingerprint", d.fingerprint},
              {"host", d.host},
              {"checker", d.checker},
              {"timeout_us", d.timeout.count()},
              {"extended_timeout_us", d.extended_timeout.count()},
              {"interval_us", d.interval.count()},
              {"approval_delay_us", d.approval_delay.count()},
              {"approval_duration_us", d.approval_duration.count()},
              {"approved_by_default", d.approved_by_default},
              {"enabled", d.enabled},
              {"created", format_rfc3339(d.created)},
              {"last_enabled", optional_time(d.last_enabled)},
              {"expires", optional_time(d.expires)},
              {"last_checked_ok", optional_time(d.last_checked_ok)},
              {"last_approval_request", optional_time(d.last_approval_request)},
              {"last_checker_status", d.last_checker_status},
              {"last_checker_signal", d.last_checker_signal}};
}

// JSON text of `value`. Strings that are not UTF-8 (clients.conf bytes) get
// U+FFFD instead of failing the whole write; on restore such a setting then
// differs from clients.conf, so clients.conf wins (merge rule 2).
std::string dump_json(const json& value, int indent = -1) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

// Appends value.dump(1) as it reads `depth` levels deep in an indent-1 dump.
void append_nested(std::string& out, const json& value, int depth) {
  const std::string text = dump_json(value, 1);
  size_t from = 0;
  for (size_t newline = text.find('\n'); newline != std::string::npos;
       newline = text.find('\n', from)) {
    out.append(text, from, newline + 1 - from);
    out.append(static_cast<size_t>(depth), ' ');
    from = newline + 1;
  }
  out.append(text, from, std::string::npos);
}

void apply_new_settings(ClientData& d, const ClientConfig& now, const ClientConfig* then) {
  // Rule 2: a setting changed in clients.conf since the last start wins;
  // an unchanged one keeps the runtime value (e.g. set over D-Bus).
  auto take = [&](auto& field, const auto& new_value, const auto& old_value) {
    if (then == nullptr || !(new_value == old_value)) field = new_value;
  };
  const ClientConfig empty;
  const ClientConfig& old = then != nullptr ? *then : empty;
  take(d.timeout, now.timeout, old.timeout);
  take(d.extended_timeout, now.extended_timeout, old.extended_timeout);
  take(d.interval, now.interval, old.interval);
  take(d.approval_delay, now.approval_delay, old.approval_delay);
  take(d.approval_duration, now.approval_duration, old.approval_duration);
  take(d.checker, now.checker, old.checker);
  take(d.host, now.host, old.host);
  take(d.approved_by_default, now.approved_by_default, old.approved_by_default);
  take(d.enabled, now.enabled, old.enabled);
  take(d.key_id, now.key_id, old.key_id);
  take(d.fingerprint, now.fingerprint, old.fingerprint);
}

void expire_restored(ClientData& d, WallTime now) {
  // Rule 3: a client whose expiry passed while the server was down stays
  // enabled only if its last checker succeeded.
  if (!d.enabled || !d.expires || now < *d.expires) return;
  if (!d.last_checked_ok) {
    log::warning("disabling client ", d.name,
                 " - Client never performed a successful checker");
    d.enabled = false;
    d.expires.reset();
  } else if (d.last_checker_status != 0) {
    log::warning("disabling client ", d.name,
                 " - Client last checker failed with error code ", d.last_checker_status);
    d.enabled = false;
    d.expires.reset();
  } else {
    d.expires = now + d.timeout;
    log::debug("Last checker succeeded, keeping ", d.name, " enabled");
  }
}

}  // namespace

Result<EncryptedSecret> encrypt_secret(const SecretBytes& secret,
                                       const SecretBytes& config_secret,
                                       const std::string& client_name) {
  Aead aead;
  if (auto s = init_aead(aead, config_secret); !s) return s.error();
  std::string nonce(kNonceSize, '\0');
  int rc = gnutls_rnd(GNUTLS_RND_NONCE, nonce.data(), nonce.size());
  if (rc < 0) return tls::tls_error("random nonce", rc);
  std::string out(secret.size() + kTagSize, '\0');
  size_t out_size = out.size();
  rc = gnutls_aead_cipher_encrypt(aead.handle, nonce.data(), nonce.size(), client_name.data(),
                                  client_name.size(), kTagSize, secret.data(), secret.size(),
                                  out.data(), &out_size);
  if (rc < 0) return tls::tls_error("AES-256-GCM encryption", rc);
  out.resize(out_size);
  return EncryptedSecret{std::move(nonce), std::move(out)};
}

Result<SecretBytes> decrypt_secret(const EncryptedSecret& encrypted,
                                   const SecretBytes& config_secret,
                                   const std::string& client_name) {
  if (encrypted.nonce.size() != kNonceSize || encrypted.ciphertext.size() < kTagSize) {
    return fail("malformed encrypted secret");
  }
  Aead aead;
  if (auto s = init_aead(aead, config_secret); !s) return s.error();
  std::vector<char> out(encrypted.ciphertext.size());
  size_t out_size = out.size();
  int rc = gnutls_aead_cipher_decrypt(aead.handle, encrypted.nonce.data(), encrypted.nonce.size(),
                                      client_name.data(), client_name.size(), kTagSize,
                                      encrypted.ciphertext.data(), encrypted.ciphertext.size(),
                                      out.data(), &out_size);
  if (rc < 0) {
    secure_wipe(out.data(), out.size());
    return tls::tls_error("AES-256-GCM decryption", rc);
  }
  SecretBytes result(out.data(), out_size);
  secure_wipe(out.data(), out.size());
  return result;
}

Result<std::string> serialize_state(const std::vector<const ClientData*>& clients,
                                    const std::vector<ClientConfig>& settings,
                                    WallTime saved_at) {
  // Streamed one client at a time, the text json::dump(1) would give for the
  // whole document: a DOM of every client at once costs several times the
  // file's size in small allocations, and the heap keeps that peak.
  std::unordered_map<std::string_view, const ClientConfig*> config_of;
  config_of.reserve(settings.size());
  for (const ClientConfig& c : settings) config_of.emplace(c.name, &c);
  std::vector<const ClientConfig*> by_name;  // a JSON object's key order
  by_name.reserve(config_of.size());
  for (const auto& [name, config] : config_of) by_name.push_back(config);
  std::sort(by_name.begin(), by_name.end(),
            [](const ClientConfig* a, const ClientConfig* b) { return a->name < b->name; });
  std::string out;
  out.reserve(clients.size() * 2048 + settings.size() * 512 + 256);
  try {
    out += "{\n \"clients\": ";
    if (clients.empty()) out += "[]";
    for (size_t i = 0; i < clients.size(); ++i) {
      const ClientData& d = *clients[i];
      json entry = client_json(d);
      auto config = config_of.find(d.name);
      if (config != config_of.end()) {
        auto encrypted = encrypt_secret(d.secret, config->second->secret, d.name);
        if (!encrypted) return encrypted.error();
        entry["secret"] = json{{"algorithm", "AES-256-GCM"},
                               {"nonce", base64_encode(encrypted->nonce)},
                               {"ciphertext", base64_encode(encrypted->ciphertext)}};
      } else {
        entry["secret"] = nullptr;
      }
      out += i == 0 ? "[\n  " : ",\n  ";
      append_nested(out, entry, 2);
    }
    if (!clients.empty()) out += "\n ]";
    out += ",\n \"format\": " + dump_json(json(kStateFormatName));
    out += ",\n \"saved\": " + dump_json(json(format_rfc3339(saved_at)));
    out += ",\n \"settings\": ";
    if (by_name.empty()) out += "{}";
    for (size_t i = 0; i < by_name.size(); ++i) {
      out += i == 0 ? "{\n  " : ",\n  ";
      out += dump_json(json(by_name[i]->name)) + ": ";
      append_nested(out, settings_json(*by_name[i]), 2);
    }
    if (!by_name.empty()) out += "\n }";
    out += ",\n \"version\": " + std::to_string(kStateFormatVersion) + "\n}\n";
  } catch (const json::exception& e) {
    return fail(std::string("cannot serialize the state: ") + e.what());
  }
  return out;
}

ClientData client_from_config(const ClientConfig& config, WallTime now) {
  ClientData d;
  d.name = config.name;
  apply_new_settings(d, config, nullptr);
  d.secret = config.secret;
  d.created = now;
  if (d.enabled) d.last_enabled = now;
  return d;
}

std::vector<ClientData> merge_state(std::optional<SavedState> saved,
                                    const std::vector<ClientConfig>& configs, WallTime now) {
  std::vector<ClientData> result;
  result.reserve(configs.size());
  std::unordered_map<std::string_view, const ClientConfig*> by_name;
  by_name.reserve(configs.size());
  for (const ClientConfig& c : configs) by_name.emplace(c.name, &c);
  auto config_of = [&](const std::string& name) -> const ClientConfig* {
    auto found = by_name.find(name);
    return found == by_name.end() ? nullptr : found->second;
  };
  std::unordered_set<std::string_view> restored;  // views of configs' names
  if (saved) {
    for (SavedClient& client : saved->clients) {
      const ClientConfig* config = config_of(client.data.name);
      if (config == nullptr || restored.count(config->name) != 0) {
        log::debug("Not restoring client ", client.data.name, ": no longer in clients.conf");
        continue;  // rule 1
      }
      ClientData d = std::move(client.data);
      auto old = saved->settings.find(d.name);
      apply_new_settings(d, *config, old == saved->settings.end() ? nullptr : &old->second);
      expire_restored(d, now);
      // Rule 4: the saved secret is readable only with today's config secret.
      auto secret = client.secret.empty()
                        ? Result<SecretBytes>(fail("no saved secret"))
                        : decrypt_secret(client.secret, config->secret, d.name);
      if (secret) {
        d.secret = std::move(secret).value();
      } else {
        log::debug("Failed to decrypt ", d.name, " old secret");
        d.secret = config->secret;
      }
      restored.insert(config->name);
      result.push_back(std::move(d));
    }
  }
  for (const ClientConfig& config : configs) {
    if (restored.count(config.name) != 0) continue;
    if (saved && saved->settings.count(config.name) != 0) {
      // Rule 6 (QUIRK kept): removed at run time, so not re-created.
      log::warning("Client ", config.name,
                   " was removed while the server ran and is not re-created; start once "
                   "with --no-restore (or rename its section) to bring it back");
      continue;
    }
    result.push_back(client_from_config(config, now));  // rule 5
  }
  return result;
}

}  // namespace mandos::server
