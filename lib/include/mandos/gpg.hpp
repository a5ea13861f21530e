// RAII wrappers over GPGME and the OpenPGP operations Mandos needs: the
// client imports its key pair into a throw-away GnuPG home and decrypts the
// secret (protocol.md §6, client.md §2 step 8); mandos-keygen generates a
// key pair and encrypts passwords to it (keygen.md §2, §3).
//
// All contexts use pinentry mode "loopback" and never receive a passphrase,
// so gpg can never wait for a pinentry (there is none in the initramfs).
// Keys must be unprotected, as mandos-keygen makes them (%no-protection).
//
// gpg-agent: GnuPG ≥ 2.1 keeps secret keys in gpg-agent, which gpg starts
// on demand for the temporary home and which then outlives gpg.
// TempGnupgHome stops that agent when it is destroyed (see remove()).
#pragma once

#include <gpgme.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::gpg {

// Caps on untrusted or file input.
inline constexpr size_t kMaxKeyFileBytes = 1 << 20;
inline constexpr size_t kMaxPlaintextBytes = 16 << 20;

// gpgme_check_version and the OpenPGP engine check, done once per process
// (thread-safe). Every other function here calls it; it is public so a
// program can fail early with a clear message.
[[nodiscard]] Status init();

// "<gpgme_strerror text> (<error source>)".
std::string error_string(gpgme_error_t err);

namespace internal {
template <class Handle, void (*Free)(Handle)>
struct Deleter {
  void operator()(Handle handle) const { Free(handle); }
};
template <class Handle, void (*Free)(Handle)>
using Owned = std::unique_ptr<std::remove_pointer_t<Handle>, Deleter<Handle, Free>>;
struct SinkState;
}  // namespace internal

using Key = internal::Owned<gpgme_key_t, gpgme_key_unref>;

// An OpenPGP context bound to one GnuPG home directory.
class Context {
 public:
  [[nodiscard]] static Result<Context> create(const std::string& home_dir);
  gpgme_ctx_t get() const { return ctx_.get(); }
  const std::string& home_dir() const { return home_dir_; }

 private:
  using Handle = internal::Owned<gpgme_ctx_t, gpgme_release>;
  Context(Handle ctx, std::string home_dir) : ctx_(std::move(ctx)), home_dir_(std::move(home_dir)) {}
  Handle ctx_;
  std::string home_dir_;
};

// A gpgme_data_t in one of three flavours.
class Data {
 public:
  ~Data();
  Data(Data&&) noexcept;
  Data& operator=(Data&&) noexcept;
  Data(const Data&) = delete;
  Data& operator=(const Data&) = delete;

  // An empty, growable buffer in GPGME's memory (for non-secret output).
  [[nodiscard]] static Result<Data> create();
  // Reads `bytes` without copying them; they must outlive the Data.
  [[nodiscard]] static Result<Data> borrow(std::string_view bytes);
  // An output sink that keeps what GPGME writes in memory wiped on free,
  // refusing more than max_bytes.
  [[nodiscard]] static Result<Data> secret_sink(size_t max_bytes);

  gpgme_data_t get() const { return data_.get(); }
  // create(): everything written so far.
  [[nodiscard]] Result<std::string> contents() const;
  // secret_sink(): takes the bytes written; true in overflowed() if the
  // writer went past max_bytes.
  SecretBytes take_secret();
  bool overflowed() const;

 private:
  using Handle = internal::Owned<gpgme_data_t, gpgme_data_release>;
  Data() = default;
  // Destroyed after data_ (declared first): callbacks point into it.
  std::unique_ptr<internal::SinkState> sink_;
  Handle data_;
};

// A private GnuPG home: `<base>/mandosXXXXXX`, mode 0700. The base is
// /run/tmp if it exists, else $TMPDIR, else /tmp (create()), or the given
// directory (create_in()). Destruction calls remove().
class TempGnupgHome {
 public:
  [[nodiscard]] static Result<TempGnupgHome> create();
  [[nodiscard]] static Result<TempGnupgHome> create_in(const std::string& base_dir);
  ~TempGnupgHome();
  TempGnupgHome(TempGnupgHome&& other) noexcept;
  TempGnupgHome& operator=(TempGnupgHome&& other) noexcept;
  TempGnupgHome(const TempGnupgHome&) = delete;
  TempGnupgHome& operator=(const TempGnupgHome&) = delete;

  const std::string& path() const { return path_; }

  // Stops the home's gpg-agent (if one was started), overwrites the
  // regular files with zeros (private-keys-v1.d holds unprotected secret
  // keys), and deletes the tree including sockets. Idempotent. Called by
  // the destructor, which ignores the result; call it to see errors.
  [[nodiscard]] Status remove();

 private:
  explicit TempGnupgHome(std::string path) : path_(std::move(path)) {}
  std::string path_;  // empty when moved from or removed
};

// Asks the gpg-agent serving `home_dir` to exit, through GPGME: the socket
// path comes from gpgconf (GPGME's gpgconf engine; falls back to
// HOME/S.gpg-agent), then over Assuan "GETINFO pid" and "KILLAGENT" (what
// `gpgconf --kill gpg-agent` sends). Waits, at most 5 s, until the socket
// is gone and the process has exited (or is a zombie awaiting its reaper;
// the agent daemonises, so it is not our child). No agent or a stale
// socket is not an error.
[[nodiscard]] Status stop_agent(const std::string& home_dir);

// Import result counts, for logging.
struct ImportSummary {
  int considered = 0;
  int imported = 0;
  int unchanged = 0;
  int secret_imported = 0;
  int secret_unchanged = 0;
};

// Imports an OpenPGP key file (armored or binary, public or secret). Fails,
// naming the file, if it is missing, too big, holds no key, or a key in it
// could not be imported. The file bytes are held in wiped memory.
[[nodiscard]] Result<ImportSummary> import_key_file(Context& ctx, const std::string& path);
[[nodiscard]] Result<ImportSummary> import_key(Context& ctx, std::string_view key_data,
                                               std::string_view origin);

// Decrypts an OpenPGP message (binary or ASCII-armored). Signatures are not
// checked. The plaintext never sits in unwiped memory on our side.
[[nodiscard]] Result<SecretBytes> decrypt(Context& ctx, std::string_view ciphertext,
                                          size_t max_plaintext = kMaxPlaintextBytes);

struct EncryptOptions {
  bool sign = true;    // sign with the recipient's own secret key
  bool armor = true;   // ASCII armor
};
// Encrypts to the key with fingerprint `recipient` (trust model "always",
// as mandos-keygen's gpg --trust-model always). With sign, the recipient's
// secret key must be in the keyring (mandos-keygen's situation).
[[nodiscard]] Result<std::string> encrypt_to(Context& ctx, std::string_view recipient,
                                             std::string_view plaintext,
                                             EncryptOptions options = {});

struct KeySpec {
  std::string user_id;                      // "Name (Comment) <email>"
  std::string algorithm = "rsa4096";        // primary key, usage sign+auth
  std::string subkey_algorithm = "rsa4096"; // subkey, usage encrypt
  unsigned long expires_seconds = 0;        // 0 = never expires
};
// Generates an unprotected key pair; returns the primary key's fingerprint
// (40 uppercase hex digits).
[[nodiscard]] Result<std::string> generate_key(Context& ctx, const KeySpec& spec);

struct ExportOptions {
  bool armor = true;
  bool minimal = true;      // gpg --export-options export-minimal
  std::string comment;      // armor "Comment:" header; no line breaks
};
[[nodiscard]] Result<std::string> export_public_key(Context& ctx, std::string_view fingerprint,
                                                    const ExportOptions& options = {});
[[nodiscard]] Result<SecretBytes> export_secret_key(Context& ctx, std::string_view fingerprint,
                                                    const ExportOptions& options = {});

}  // namespace mandos::gpg
