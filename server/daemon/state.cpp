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

// Writes the text nlohmann-json's dump(1) gives for the document, without
// building one: a json object per client (and its dump) was most of the
// cost of a state write, which a large server repeats every few minutes.
// Keys must be written in sorted order, as a json object (a std::map) has
// them; the text-equality unit test holds this to dump(1).
class IndentedJson {
 public:
  explicit IndentedJson(std::string& out) : out_(out) {}

  void open(char bracket) {
    out_ += bracket;
    ++depth_;
    empty_ = true;
  }
  void close(char bracket) {
    --depth_;
    if (!empty_) newline();
    out_ += bracket;
    empty_ = false;
  }
  IndentedJson& key(std::string_view name) {
    separate();
    string(name);
    out_ += ": ";
    return *this;
  }
  void element() { separate(); }

  void string(std::string_view text) {
    if (std::all_of(text.begin(), text.end(), is_plain)) {
      out_ += '"';
      out_ += text;
      out_ += '"';
      return;
    }
    // Escapes, and U+FFFD for bytes that are not UTF-8 (clients.conf
    // values): on restore such a setting then differs from clients.conf,
    // so clients.conf wins (merge rule 2).
    out_ += json(text).dump(-1, ' ', false, json::error_handler_t::replace);
  }
  void number(std::int64_t value) { out_ += std::to_string(value); }
  void boolean(bool value) { out_ += value ? "true" : "false"; }
  void time(WallTime value) { string(format_rfc3339(value)); }
  void time(const std::optional<WallTime>& value) {
    if (value) {
      time(*value);
    } else {
      out_ += "null";
    }
  }
  void null() { out_ += "null"; }

 private:
  static bool is_plain(char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }
  void separate() {
    if (!empty_) out_ += ',';
    newline();
    empty_ = false;
  }
  void newline() {
    out_ += '\n';
    out_.append(depth_, ' ');
  }

  std::string& out_;
  size_t depth_ = 0;
  bool empty_ = true;  // nothing written in the innermost open container
};

void write_settings(IndentedJson& w, const ClientConfig& c) {
  w.open('{');
  w.key("approval_delay_us").number(c.approval_delay.count());
  w.key("approval_duration_us").number(c.approval_duration.count());
  w.key("approved_by_default").boolean(c.approved_by_default);
  w.key("checker").string(c.checker);
  w.key("enabled").boolean(c.enabled);
  w.key("extended_timeout_us").number(c.extended_timeout.count());
  w.key("fingerprint").string(c.fingerprint);
  w.key("host").string(c.host);
  w.key("interval_us").number(c.interval.count());
  w.key("key_id").string(c.key_id);
  w.key("timeout_us").number(c.timeout.count());
  w.close('}');
}

void write_secret(IndentedJson& w, const EncryptedSecret* secret) {
  if (secret == nullptr) return w.null();
  w.open('{');
  w.key("algorithm").string("AES-256-GCM");
  w.key("ciphertext").string(base64_encode(secret->ciphertext));
  w.key("nonce").string(base64_encode(secret->nonce));
  w.close('}');
}

void write_client(IndentedJson& w, const ClientData& d, const EncryptedSecret* secret) {
  w.open('{');
  w.key("approval_delay_us").number(d.approval_delay.count());
  w.key("approval_duration_us").number(d.approval_duration.count());
  w.key("approved_by_default").boolean(d.approved_by_default);
  w.key("checker").string(d.checker);
  w.key("created").time(d.created);
  w.key("enabled").boolean(d.enabled);
  w.key("expires").time(d.expires);
  w.key("extended_timeout_us").number(d.extended_timeout.count());
  w.key("fingerprint").string(d.fingerprint);
  w.key("host").string(d.host);
  w.key("interval_us").number(d.interval.count());
  w.key("key_id").string(d.key_id);
  w.key("last_approval_request").time(d.last_approval_request);
  w.key("last_checked_ok").time(d.last_checked_ok);
  w.key("last_checker_signal").number(d.last_checker_signal);
  w.key("last_checker_status").number(d.last_checker_status);
  w.key("last_enabled").time(d.last_enabled);
  w.key("name").string(d.name);
  w.key("secret");
  write_secret(w, secret);
  w.key("timeout_us").number(d.timeout.count());
  w.close('}');
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
    IndentedJson w(out);
    w.open('{');
    w.key("clients");
    w.open('[');
    for (const ClientData* d : clients) {
      std::optional<EncryptedSecret> secret;
      if (auto config = config_of.find(d->name); config != config_of.end()) {
        auto encrypted = encrypt_secret(d->secret, config->second->secret, d->name);
        if (!encrypted) return encrypted.error();
        secret = std::move(encrypted).value();
      }
      w.element();
      write_client(w, *d, secret ? &*secret : nullptr);
    }
    w.close(']');
    w.key("format").string(kStateFormatName);
    w.key("saved").time(saved_at);
    w.key("settings");
    w.open('{');
    for (const ClientConfig* config : by_name) {
      w.key(config->name);
      write_settings(w, *config);
    }
    w.close('}');
    w.key("version").number(kStateFormatVersion);
    w.close('}');
    out += '\n';
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
