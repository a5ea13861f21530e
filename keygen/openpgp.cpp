#include "openpgp.hpp"

#include <cctype>

namespace mandos::keygen {
namespace {

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

Error gpgme_failure(const std::string& what, gpgme_error_t err) {
  return fail(what + ": " + gpg::error_string(err), 1);
}

}  // namespace

std::string genkey_parameter_block(const OpenPgpKeyParameters& p) {
  std::string block = "<GnupgKeyParms format=\"internal\">\n";
  block += "Key-Type: " + p.key_type + "\n";
  block += "Key-Length: " + p.key_length + "\n";
  block += "Key-Usage: sign,auth\n";
  block += "Subkey-Type: " + p.subkey_type + "\n";
  block += "Subkey-Length: " + p.subkey_length + "\n";
  block += "Subkey-Usage: encrypt\n";
  block += "Name-Real: " + p.name + "\n";
  if (!p.comment.empty()) block += "Name-Comment: " + p.comment + "\n";
  if (!p.email.empty()) block += "Name-Email: " + p.email + "\n";
  block += "Expire-Date: " + p.expire + "\n";
  block += "%no-protection\n";
  block += "</GnupgKeyParms>\n";
  return block;
}

std::string key_file_comment(const std::string& name, const std::string& comment,
                             const std::string& email) {
  std::string text = "Mandos client key for " + name;
  if (!comment.empty()) text += " (" + comment + ")";
  if (!email.empty()) text += " <" + email + ">";
  return text;
}

Result<std::string> generate_openpgp_key(gpg::Context& ctx, const OpenPgpKeyParameters& p) {
  const std::string block = genkey_parameter_block(p);
  gpgme_error_t err = gpgme_op_genkey(ctx.get(), block.c_str(), nullptr, nullptr);
  if (err) {
    return gpgme_failure("cannot generate the OpenPGP key (type " + p.key_type + ", length " +
                             p.key_length + ", subkey type " + p.subkey_type + ", length " +
                             p.subkey_length + ", expiry " + p.expire + ")",
                         err);
  }
  gpgme_genkey_result_t result = gpgme_op_genkey_result(ctx.get());
  if (result == nullptr || result->fpr == nullptr || !result->primary || !result->sub) {
    return fail("OpenPGP key generation did not report a key and a subkey", 1);
  }
  return upper(result->fpr);
}

Result<std::string> first_key_fingerprint(gpg::Context& ctx) {
  if (gpgme_error_t err = gpgme_op_keylist_start(ctx.get(), nullptr, 0); err) {
    return gpgme_failure("cannot list the imported keys", err);
  }
  gpgme_key_t raw = nullptr;
  gpgme_error_t err = gpgme_op_keylist_next(ctx.get(), &raw);
  gpg::Key key(raw);
  (void)gpgme_op_keylist_end(ctx.get());
  if (err) return gpgme_failure("no OpenPGP key was imported", err);
  if (key->subkeys == nullptr || key->subkeys->fpr == nullptr) {
    return fail("the imported OpenPGP key has no fingerprint", 1);
  }
  return upper(key->subkeys->fpr);
}

}  // namespace mandos::keygen
