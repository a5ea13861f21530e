#include "tls_keys.hpp"

#include "mandos/tls.hpp"

namespace mandos::keygen {

Result<TlsKeyPair> generate_tls_key_pair(const std::string& key_type) {
  auto init = tls::GlobalInit::create();
  if (!init) return init.error();
  auto algorithm = tls::parse_key_type(key_type);
  if (!algorithm) return algorithm.error();
  auto privkey = tls::generate_privkey(*algorithm, GNUTLS_SEC_PARAM_ULTRA);
  if (!privkey) return privkey.error();
  auto private_pem = tls::export_privkey_pkcs8_pem(*privkey);
  if (!private_pem) return private_pem.error();
  auto pubkey = tls::pubkey_from_privkey(*privkey);
  if (!pubkey) return pubkey.error();
  auto public_pem = tls::export_pubkey(*pubkey, GNUTLS_X509_FMT_PEM);
  if (!public_pem) return public_pem.error();
  return TlsKeyPair{std::move(*private_pem), std::move(*public_pem)};
}

}  // namespace mandos::keygen
