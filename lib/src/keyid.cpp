#include "mandos/keyid.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "mandos/tls.hpp"

namespace mandos {

std::string hex_upper(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0f]);
  }
  return out;
}

std::string key_id_from_spki_der(std::string_view der) {
  std::array<unsigned char, 32> digest{};
  int ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data(), der.size(), digest.data());
  if (ret < 0) {
    // Only possible if SHA-256 itself is unavailable (a broken GnuTLS
    // build): no key could ever be identified, so stop rather than return
    // an ID that might collide with a configured one.
    std::fprintf(stderr, "mandos: SHA-256 unavailable in GnuTLS: %s\n",
                 gnutls_strerror(ret));
    std::abort();
  }
  return hex_upper({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

Result<std::string> key_id_from_pem_file(const std::string& path) {
  auto pubkey = tls::load_pubkey_pem_file(path);
  if (!pubkey) return pubkey.error();
  auto der = tls::export_pubkey(*pubkey, GNUTLS_X509_FMT_DER);
  if (!der) return fail(path + ": " + der.error().message, der.error().code);
  return key_id_from_spki_der(*der);
}

std::string normalize_key_id(std::string_view id) {
  std::string out;
  out.reserve(id.size());
  for (char c : id) {
    if (c == ' ') continue;
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

bool is_never_matching_key_id(std::string_view normalized_id) {
  return normalized_id == kEmptyKeyId;
}

}  // namespace mandos
