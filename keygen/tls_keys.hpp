// The TLS key pair (keygen.md §2): what `certtool --generate-privkey
// --sec-param ultra --key-type=TYPE --pkcs8 --password=''` and `certtool
// --pubkey-info` write, made with GnuTLS directly.
#pragma once

#include <string>

#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::keygen {

struct TlsKeyPair {
  SecretBytes private_pem;  // unencrypted PKCS#8, "-----BEGIN PRIVATE KEY-----"
  std::string public_pem;   // SubjectPublicKeyInfo, "-----BEGIN PUBLIC KEY-----"
};

// `key_type` is a certtool --key-type name (ed25519, rsa, ecdsa, ...); the
// size is GnuTLS's for security level "ultra", as certtool chooses it.
[[nodiscard]] Result<TlsKeyPair> generate_tls_key_pair(const std::string& key_type);

}  // namespace mandos::keygen
