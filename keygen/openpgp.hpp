// OpenPGP key generation for mandos-keygen. Generation goes through GPGME's
// GnuPG parameter block (gpgme_op_genkey) rather than gpg::generate_key,
// because --type/--length/--expire take exactly what the reference's gpg
// batch file takes (Key-Type names or numbers, Expire-Date syntax such as
// "2y" or "2030-01-01"), and GnuPG itself should interpret them.
#pragma once

#include <string>

#include "mandos/gpg.hpp"
#include "mandos/result.hpp"

namespace mandos::keygen {

struct OpenPgpKeyParameters {
  std::string key_type;
  std::string key_length;
  std::string subkey_type;
  std::string subkey_length;
  std::string name;
  std::string comment;  // omitted if empty
  std::string email;    // omitted if empty
  std::string expire;
};

// The GPGME parameter block: primary key sign+auth, subkey encrypt, no
// passphrase. Values must be single lines (check_keygen_settings).
std::string genkey_parameter_block(const OpenPgpKeyParameters& parameters);

// The armor "Comment:" of the exported key files: "Mandos client key for
// NAME", then " (COMMENT)" and " <EMAIL>" when given.
std::string key_file_comment(const std::string& name, const std::string& comment,
                             const std::string& email);

// Generates the key pair in ctx's GnuPG home; returns the primary key's
// fingerprint (40 uppercase hex digits).
[[nodiscard]] Result<std::string> generate_openpgp_key(gpg::Context& ctx,
                                                       const OpenPgpKeyParameters& parameters);

// The fingerprint of the first key in the keyring (uppercase), as the
// reference takes the first "fpr:" record of `gpg --fingerprint`.
[[nodiscard]] Result<std::string> first_key_fingerprint(gpg::Context& ctx);

}  // namespace mandos::keygen
