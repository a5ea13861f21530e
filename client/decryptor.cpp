#include "decryptor.hpp"

#include "options.hpp"

namespace mandos::client {

Result<Decryptor> Decryptor::create(const std::string& pubkey, const std::string& seckey,
                                    const std::string& base_dir) {
  if (Status ok = gpg::init(); !ok) return fail(ok.error().message, kExitUnavailable);
  auto home = base_dir.empty() ? gpg::TempGnupgHome::create()
                               : gpg::TempGnupgHome::create_in(base_dir);
  if (!home) {
    return fail("Failed to create a GnuPG home: " + home.error().message, kExitOsError);
  }
  auto context = gpg::Context::create(home->path());
  if (!context) return fail(context.error().message, kExitUnavailable);
  for (const std::string* path : {&pubkey, &seckey}) {
    auto imported = gpg::import_key_file(*context, *path);
    if (!imported) return fail(imported.error().message, kExitUnavailable);
  }
  return Decryptor(std::move(*home), std::move(*context));
}

Result<SecretBytes> Decryptor::decrypt(std::string_view ciphertext) {
  return gpg::decrypt(context_, ciphertext);
}

}  // namespace mandos::client
