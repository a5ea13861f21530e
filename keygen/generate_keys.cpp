#include <langinfo.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <optional>

#include "interrupt.hpp"
#include "key_files.hpp"
#include "mandos/atomic_file.hpp"
#include "mandos/gpg.hpp"
#include "modes.hpp"
#include "openpgp.hpp"
#include "tls_keys.hpp"

namespace mandos::keygen {
namespace {

struct OpenPgpKeyFiles {
  SecretBytes seckey;
  std::string pubkey;
};

// The time as date(1) prints it by default in the current locale.
std::string now_as_date_prints() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char text[256] = {};
  // The format is the locale's own date(1) format, not user input.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  size_t size = std::strftime(text, sizeof text, ::nl_langinfo(_DATE_FMT), &local);
#pragma GCC diagnostic pop
  return std::string(text, size);
}

void print_entropy_note() {
  std::fputs(
      "Note: key generation needs a lot of random data.  Where the system has\n"
      "little entropy it may take from minutes to many hours; adding entropy\n"
      "(e.g. keyboard or disk activity) speeds it up.\n",
      stdout);
}

// Generates the OpenPGP key pair in a throw-away GnuPG home, removed (its
// secret key files overwritten first) before returning.
Result<OpenPgpKeyFiles> make_openpgp_key_files(const Settings& s, const std::string& name) {
  if (Status ok = gpg::init(); !ok) return ok.error();
  auto home = gpg::TempGnupgHome::create();
  if (!home) return home.error();
  auto ctx = gpg::Context::create(home->path());
  if (!ctx) return ctx.error();

  OpenPgpKeyParameters parameters{s.key_type, s.key_length, s.subkey_type, s.subkey_length,
                                  name,       s.comment,    s.email,       s.expire};
  auto fingerprint = generate_openpgp_key(*ctx, parameters);
  if (!fingerprint) return fingerprint.error();
  gpg::ExportOptions options;
  options.comment = key_file_comment(name, s.comment, s.email);
  auto seckey = gpg::export_secret_key(*ctx, *fingerprint, options);
  if (!seckey) return seckey.error();
  auto pubkey = gpg::export_public_key(*ctx, *fingerprint, options);
  if (!pubkey) return pubkey.error();
  if (Status removed = home->remove(); !removed) return removed.error();
  return OpenPgpKeyFiles{std::move(*seckey), std::move(*pubkey)};
}

// Keeps an existing file as a numbered backup, then puts `content` in its
// place (atomically, mode 0600).
Status install_key_file(const std::string& dir, const char* name, std::string_view content) {
  const std::string path = join_path(dir, name);
  auto backup = back_up_file(path);
  if (!backup) return backup.error();
  return write_file_atomically(path, content, kKeyFileMode);
}

}  // namespace

int generate_keys(const Settings& s, const std::string& dir, const std::string& name) {
  if (!s.force && any_key_file_exists(dir)) {
    std::fputs("Refusing to overwrite old key files; use --force\n", stderr);
    return 1;
  }
  const bool on_terminal = ::isatty(STDIN_FILENO) != 0;
  if (on_terminal) {
    print_entropy_note();
    std::printf("Started: %s\n", now_as_date_prints().c_str());
    std::fflush(stdout);
  }

  // A TLS key GnuTLS cannot make (an unknown or unsupported type) leaves
  // the TLS files alone, as in the reference; the OpenPGP keys still come.
  std::optional<TlsKeyPair> tls;
  if (auto made = generate_tls_key_pair(s.tls_key_type); made) {
    tls = std::move(*made);
  } else {
    report("no TLS key written: " + made.error().message);
  }
  if (pending_interrupt() != 0) return 1;

  auto openpgp = make_openpgp_key_files(s, name);
  if (pending_interrupt() != 0) return 1;
  if (!openpgp) {
    report(openpgp.error().message);
    return 1;
  }
  if (on_terminal) std::printf("Finished: %s\n", now_as_date_prints().c_str());

  // Everything is made; only now are old files touched.
  Status written;
  if (tls) {
    written = install_key_file(dir, kTlsPrivkeyFile, tls->private_pem.view());
    if (written) written = install_key_file(dir, kTlsPubkeyFile, tls->public_pem);
  }
  if (written) written = install_key_file(dir, kSeckeyFile, openpgp->seckey.view());
  if (written) written = install_key_file(dir, kPubkeyFile, openpgp->pubkey);
  if (!written) {
    report(written.error().message);
    return 1;
  }
  return 0;
}

}  // namespace mandos::keygen
