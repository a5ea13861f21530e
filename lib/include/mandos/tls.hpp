// RAII wrappers over GnuTLS and the TLS helpers both ends of the Mandos
// protocol need (protocol.md §1, §4, §5). The Mandos *client* is the TLS
// server (it presents its raw public key); the Mandos *server* is the TLS
// client (no certificate).
//
// Handles are move-only; copies are deleted so a C handle is never freed
// twice. Nothing here logs: errors are returned and callers log once.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::tls {

// Default priority string of both ends (protocol.md §4): TLS 1.3 only,
// X.509 disabled, raw public keys enabled.
inline constexpr std::string_view kDefaultPriority =
    "SECURE128:!CTYPE-X.509:+CTYPE-RAWPK:!RSA:!VERS-ALL:+VERS-TLS1.3:%PROFILE_ULTRA";

// GnuTLS debug log level the reference programs use in --debug mode.
inline constexpr int kDebugLogLevel = 11;

// Size caps for key files read from disk (a 15424-bit RSA key, the largest
// certtool makes with --sec-param ultra, is about 12 KiB as PKCS#8 PEM).
inline constexpr size_t kMaxKeyFileBytes = 1 << 20;

// ---------------------------------------------------------------------------
// Errors and logging

// "<gnutls_strerror text> (GNUTLS_E_NAME)".
std::string error_string(int gnutls_code);
// fail("<what>: <error_string(code)>", code).
Error tls_error(std::string_view what, int gnutls_code);

// Receives GnuTLS's debug log lines (trailing newline removed). The callback
// must not throw (exceptions are swallowed at the C boundary). Global state:
// set it before starting threads that use GnuTLS.
using LogCallback = std::function<void(int level, std::string_view line)>;
void set_log_callback(LogCallback callback);
// gnutls_global_set_log_level; 0 disables, kDebugLogLevel for --debug.
void set_log_level(int level);

// ---------------------------------------------------------------------------
// Plain handles (unique_ptr with deleters)

namespace internal {
template <class Handle, void (*Free)(Handle)>
struct Deleter {
  void operator()(Handle handle) const { Free(handle); }
};
template <class Handle, void (*Free)(Handle)>
using Owned = std::unique_ptr<std::remove_pointer_t<Handle>, Deleter<Handle, Free>>;
}  // namespace internal

using Pubkey = internal::Owned<gnutls_pubkey_t, gnutls_pubkey_deinit>;
using Privkey = internal::Owned<gnutls_privkey_t, gnutls_privkey_deinit>;
using X509Privkey = internal::Owned<gnutls_x509_privkey_t, gnutls_x509_privkey_deinit>;
using DhParams = internal::Owned<gnutls_dh_params_t, gnutls_dh_params_deinit>;
using Priority = internal::Owned<gnutls_priority_t, gnutls_priority_deinit>;

// A gnutls_datum_t that GnuTLS allocated; released with gnutls_free. If
// `secret`, the bytes are wiped first.
class Datum {
 public:
  explicit Datum(bool secret = false) : secret_(secret) {}
  ~Datum();
  Datum(const Datum&) = delete;
  Datum& operator=(const Datum&) = delete;

  gnutls_datum_t* out() { return &datum_; }  // for GnuTLS output parameters
  std::string_view view() const {
    return {reinterpret_cast<const char*>(datum_.data), datum_.size};
  }

 private:
  gnutls_datum_t datum_{nullptr, 0};
  bool secret_;
};

// Keeps GnuTLS initialised while alive (gnutls_global_init/deinit are
// reference counted by GnuTLS, so nested guards are fine).
class GlobalInit {
 public:
  [[nodiscard]] static Result<GlobalInit> create();
  ~GlobalInit();
  GlobalInit(GlobalInit&& other) noexcept : active_(std::exchange(other.active_, false)) {}
  GlobalInit& operator=(GlobalInit&&) = delete;
  GlobalInit(const GlobalInit&) = delete;
  GlobalInit& operator=(const GlobalInit&) = delete;

 private:
  GlobalInit() = default;
  bool active_ = false;
};

// Parses a priority string; the error names the offending position, e.g.
// `invalid priority string "X" at offset 3 ("BAD"): ...`.
[[nodiscard]] Result<Priority> make_priority(const std::string& priority);

// ---------------------------------------------------------------------------
// Keys

// Loads a PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----"). Errors
// name the file and say whether it is missing, unreadable, too large, not
// PEM, a private key, or an X.509/OpenPGP certificate.
[[nodiscard]] Result<Pubkey> load_pubkey_pem_file(const std::string& path);
// Loads an unencrypted PEM private key (PKCS#8 or legacy PKCS#1/SEC1).
[[nodiscard]] Result<Privkey> load_privkey_pem_file(const std::string& path);
[[nodiscard]] Result<Pubkey> import_pubkey(std::string_view data, gnutls_x509_crt_fmt_t format);

// Generates a key pair, e.g. (GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA)
// as `certtool --generate-privkey --key-type ed25519 --sec-param ultra` does.
[[nodiscard]] Result<Privkey> generate_privkey(gnutls_pk_algorithm_t algorithm,
                                               gnutls_sec_param_t level);
// Maps a certtool --key-type name ("ed25519", "rsa", "ecdsa", "ed448") to an
// algorithm.
[[nodiscard]] Result<gnutls_pk_algorithm_t> parse_key_type(std::string_view name);
[[nodiscard]] Result<Pubkey> pubkey_from_privkey(const Privkey& privkey);
// SubjectPublicKeyInfo, DER or PEM.
[[nodiscard]] Result<std::string> export_pubkey(const Pubkey& pubkey,
                                                gnutls_x509_crt_fmt_t format);
// Unencrypted PKCS#8 ("-----BEGIN PRIVATE KEY-----"), as certtool --pkcs8
// --password=''. Returned as SecretBytes (wiped when freed).
[[nodiscard]] Result<SecretBytes> export_privkey_pkcs8_pem(const Privkey& privkey);
// gnutls_pubkey_get_key_id(GNUTLS_KEYID_USE_SHA256), 64 uppercase hex digits
// (what the reference server computes).
[[nodiscard]] Result<std::string> pubkey_key_id(const Pubkey& pubkey);

// DH parameters (--dh-params FILE / --dh-bits N). Unused by TLS 1.3, still
// accepted for compatibility with the reference client's options.
[[nodiscard]] Result<DhParams> load_dh_params_pem_file(const std::string& path);
[[nodiscard]] Result<DhParams> generate_dh_params(unsigned bits);

// ---------------------------------------------------------------------------
// Credentials

// Certificate credentials; owns the DH parameters set on it (GnuTLS keeps
// only a pointer to them). Must outlive every Session using it.
class CertificateCredentials {
 public:
  // Empty credentials (the Mandos server's side: no certificate).
  [[nodiscard]] static Result<CertificateCredentials> create();
  // Raw-public-key credentials from tls-pubkey.pem / tls-privkey.pem (the
  // Mandos client's side). Both files are validated first so errors name
  // the file at fault, and the key pair must match.
  [[nodiscard]] static Result<CertificateCredentials> from_rawpk_files(
      const std::string& pubkey_path, const std::string& privkey_path);

  void set_dh_params(DhParams params);
  gnutls_certificate_credentials_t get() const { return creds_.get(); }

 private:
  using Handle = internal::Owned<gnutls_certificate_credentials_t,
                                 gnutls_certificate_free_credentials>;
  explicit CertificateCredentials(Handle creds) : creds_(std::move(creds)) {}
  // Declared before creds_ so it is destroyed after the credentials.
  DhParams dh_params_;
  Handle creds_;
};

// ---------------------------------------------------------------------------
// Sessions

// A TLS session over a file descriptor the caller owns (the fd is not
// closed by the session and must stay open while it is used).
class Session {
 public:
  [[nodiscard]] static Result<Session> create(unsigned init_flags);

  gnutls_session_t get() const { return session_.get(); }
  int fd() const { return fd_; }
  void set_fd(int fd);
  // gnutls_priority_set_direct; the error names the bad position.
  [[nodiscard]] Status set_priority(const std::string& priority);
  // `creds` must outlive the session.
  [[nodiscard]] Status set_credentials(const CertificateCredentials& creds);
  // Makes the session own credentials (used for the empty ones).
  [[nodiscard]] Status adopt_credentials(CertificateCredentials creds);

  // Negotiated version and a one-line description, for logging.
  gnutls_protocol_t version() const;
  std::string description() const;

 private:
  using Handle = internal::Owned<gnutls_session_t, gnutls_deinit>;
  explicit Session(Handle session) : session_(std::move(session)) {}
  // Destroyed after session_ (declared first).
  std::unique_ptr<CertificateCredentials> owned_creds_;
  Handle session_;
  int fd_ = -1;
};

// Both add GNUTLS_NO_SIGNAL to the reference's init flags (MSG_NOSIGNAL: a
// peer that hangs up yields an error, not SIGPIPE); the wire is unchanged.
//
// The Mandos client's session: TLS server, raw public key, client
// certificate not requested.
[[nodiscard]] Result<Session> make_server_side_session(int fd,
                                                       const CertificateCredentials& creds,
                                                       const std::string& priority);
// The Mandos server's session: TLS client with empty credentials, default
// priority then `priority`, private extensions enabled.
[[nodiscard]] Result<Session> make_client_side_session(int fd, const std::string& priority);

// The peer's raw public key as DER SubjectPublicKeyInfo. Fails if the peer
// sent no certificate or one that is not a raw public key.
[[nodiscard]] Result<std::string> peer_public_key_der(const Session& session);
// The peer's key ID as the reference server derives it: import the DER
// SubjectPublicKeyInfo, then gnutls_pubkey_get_key_id(SHA-256), uppercase.
[[nodiscard]] Result<std::string> peer_key_id(const Session& session);

// ---------------------------------------------------------------------------
// Non-blocking steps, for an event loop. kNone means the operation is done;
// kRead/kWrite mean: wait until the fd is readable/writable, then call the
// same step again.

enum class Wait { kNone, kRead, kWrite };

[[nodiscard]] Result<Wait> handshake_step(Session& session);
// gnutls_bye(GNUTLS_SHUT_RDWR): send close_notify, then await the peer's.
// GNUTLS_SHUT_WR only sends it.
[[nodiscard]] Result<Wait> bye_step(Session& session, gnutls_close_request_t how);

struct IoStep {
  Wait wait = Wait::kNone;
  size_t bytes = 0;  // transferred by this step
  bool eof = false;  // recv: the peer sent close_notify
};
// One gnutls_record_recv. A bare TCP close without close_notify is an error
// (protocol.md §3: the reference treats it so). A step with wait kNone, no
// bytes and no eof (a warning alert was consumed) means: call again.
[[nodiscard]] Result<IoStep> recv_step(Session& session, char* buffer, size_t size);
[[nodiscard]] Result<IoStep> send_step(Session& session, const char* data, size_t size);

// ---------------------------------------------------------------------------
// Blocking helpers. They work with blocking and non-blocking fds (they poll
// when GnuTLS would block). `should_stop` is consulted before each wait and
// after a signal interrupts one; returning true aborts with an "interrupted"
// error. On a blocking fd GnuTLS itself blocks in recv/send, so there the
// predicate only runs once a signal (without SA_RESTART) interrupts it.

using StopPredicate = std::function<bool()>;

[[nodiscard]] Status handshake(Session& session, const StopPredicate& should_stop = {});
[[nodiscard]] Status bye(Session& session, gnutls_close_request_t how,
                         const StopPredicate& should_stop = {});
[[nodiscard]] Status send_all(Session& session, std::string_view data,
                              const StopPredicate& should_stop = {});
// Reads application data until close_notify. More than max_bytes is an error.
[[nodiscard]] Result<SecretBytes> recv_until_eof(Session& session, size_t max_bytes,
                                                 const StopPredicate& should_stop = {});

}  // namespace mandos::tls
