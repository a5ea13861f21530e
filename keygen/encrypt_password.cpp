#include <unistd.h>

#include <cstdio>
#include <optional>

#include "interrupt.hpp"
#include "key_files.hpp"
#include "mandos/fd.hpp"
#include "mandos/gpg.hpp"
#include "mandos/keyid.hpp"
#include "modes.hpp"
#include "openpgp.hpp"
#include "passphrase.hpp"
#include "section.hpp"
#include "ssh_probe.hpp"

namespace mandos::keygen {
namespace {

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// key_id as `certtool --key-id --hash=sha256` prints it (lowercase), or
// nothing if tls-pubkey.pem is not readable (an old client's key set).
Result<std::optional<std::string>> tls_key_id(const std::string& dir) {
  const std::string path = join_path(dir, kTlsPubkeyFile);
  if (::access(path.c_str(), R_OK) != 0) return std::optional<std::string>();
  auto id = key_id_from_pem_file(path);
  if (!id) return fail("cannot compute the key ID of " + path + ": " + id.error().message, 1);
  return std::optional<std::string>(lower(*id));
}

Result<SecretBytes> password(const Settings& s) {
  if (!s.passfile.empty()) return read_passfile(s.passfile);
  return prompt_passphrase(STDIN_FILENO);
}

// Imports the client's keys into a throw-away GnuPG home, encrypts and
// signs the password to them, and fills in fingerprint and secret lines.
Status encrypt_into(const Settings& s, const std::string& dir, ClientSection& section) {
  if (Status ok = gpg::init(); !ok) return ok.error();
  auto home = gpg::TempGnupgHome::create();
  if (!home) return home.error();
  auto ctx = gpg::Context::create(home->path());
  if (!ctx) return ctx.error();
  for (const char* name : {kSeckeyFile, kPubkeyFile}) {
    if (auto imported = gpg::import_key_file(*ctx, join_path(dir, name)); !imported) {
      return imported.error();
    }
  }
  auto fingerprint = first_key_fingerprint(*ctx);
  if (!fingerprint) return fingerprint.error();
  auto key_id = tls_key_id(dir);
  if (!key_id) return key_id.error();

  auto secret = password(s);
  if (!secret) return secret.error();
  auto message = gpg::encrypt_to(*ctx, *fingerprint, secret->view());
  if (!message) return message.error();
  auto lines = armored_message_body(*message);
  if (!lines) return fail("unexpected output from GnuPG: " + lines.error().message, 1);
  if (Status removed = home->remove(); !removed) return removed.error();

  section.key_id = std::move(*key_id);
  section.fingerprint = std::move(*fingerprint);
  section.secret_lines = std::move(*lines);
  return {};
}

}  // namespace

int encrypt_password(const Settings& s, const std::string& dir, const std::string& name) {
  ClientSection section;
  section.name = name;
  if (s.ssh) section.ssh = probe_ssh_host_key(find_in_path("ssh-keyscan"));
  if (pending_interrupt() != 0) return 1;

  if (Status ok = encrypt_into(s, dir, section); !ok) {
    if (pending_interrupt() != 0) return 1;
    // An empty message was already printed (a passphrase mismatch).
    if (!ok.error().message.empty()) report(ok.error().message);
    return 1;
  }
  const std::string text = format_client_section(section);
  if (Status written = write_all(STDOUT_FILENO, text.data(), text.size()); !written) {
    report("cannot write to standard output: " + written.error().message);
    return 1;
  }
  return 0;
}

void report(const std::string& message) {
  std::fprintf(stderr, "mandos-keygen: %s\n", message.c_str());
}

}  // namespace mandos::keygen
