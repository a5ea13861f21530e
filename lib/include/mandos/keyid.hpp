// Client identities (protocol.md §5): the key ID is the SHA-256 of the DER
// SubjectPublicKeyInfo of the client's raw TLS public key, written as 64
// uppercase hex digits. OpenPGP fingerprints (legacy) share the
// normalisation rules.
#pragma once

#include <string>
#include <string_view>

#include "mandos/result.hpp"

namespace mandos {

// SHA-256 of empty input. Broken 1.8.0 clients sent it; it never matches.
inline constexpr std::string_view kEmptyKeyId =
    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";

// Bytes as uppercase hex ("\x0a\xff" -> "0AFF").
std::string hex_upper(std::string_view bytes);

// SHA-256 of `der` as 64 uppercase hex digits. Equals
// gnutls_pubkey_get_key_id(GNUTLS_KEYID_USE_SHA256) and, upper-cased,
// `certtool --key-id --hash sha256` for a DER SubjectPublicKeyInfo.
std::string key_id_from_spki_der(std::string_view der);

// Key ID of a PEM public key file (tls-pubkey.pem). Errors name the file.
[[nodiscard]] Result<std::string> key_id_from_pem_file(const std::string& path);

// Removes ASCII spaces and upper-cases ASCII letters, as the server does to
// the key_id and fingerprint options before comparing.
std::string normalize_key_id(std::string_view id);

// True for IDs that must be treated as "client not found" even if a client
// is configured with them (the empty-input hash). Expects a normalised ID.
bool is_never_matching_key_id(std::string_view normalized_id);

}  // namespace mandos
