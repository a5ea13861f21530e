// The client's OpenPGP side (client.md §2 step 8, protocol.md §6): a
// throw-away GnuPG home with pubkey.txt and seckey.txt imported, used to
// decrypt what a server sends. The home (it holds the unprotected secret
// key) is wiped and removed when the Decryptor goes, signals included,
// since the main loop always unwinds before a caught signal is re-raised.
#pragma once

#include <string>
#include <string_view>

#include "mandos/gpg.hpp"
#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::client {

class Decryptor {
 public:
  // Creates the home (under /run/tmp, $TMPDIR or /tmp, or under base_dir
  // if given) and imports the public key, then the secret key. The error
  // code is kExitOsError for a home that cannot be made, kExitUnavailable
  // for GPGME or key problems (the exit statuses to use).
  [[nodiscard]] static Result<Decryptor> create(const std::string& pubkey,
                                                const std::string& seckey,
                                                const std::string& base_dir = {});

  // Decrypts one OpenPGP message (signatures are not checked).
  [[nodiscard]] Result<SecretBytes> decrypt(std::string_view ciphertext);

  const std::string& home() const { return home_.path(); }
  // Removes the home now, reporting errors (the destructor ignores them).
  [[nodiscard]] Status remove() { return home_.remove(); }

 private:
  Decryptor(gpg::TempGnupgHome home, gpg::Context context)
      : home_(std::move(home)), context_(std::move(context)) {}
  // Destroyed in reverse: the context is released before the home goes.
  gpg::TempGnupgHome home_;
  gpg::Context context_;
};

}  // namespace mandos::client
