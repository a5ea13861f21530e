#include "mandos/tls.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "mandos/keyid.hpp"

namespace mandos::tls {
namespace {

// ---------------------------------------------------------------------------
// Logging bridge. GnuTLS takes a plain function pointer with no user data,
// so the callback lives in a global; exceptions stop here.

LogCallback& log_callback() {
  static LogCallback callback;
  return callback;
}

void log_bridge(int level, const char* message) {
  try {
    const LogCallback& callback = log_callback();
    if (!callback || message == nullptr) return;
    std::string_view line(message);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    callback(level, line);
  } catch (...) {
    // A logging failure must not unwind through GnuTLS.
  }
}

// ---------------------------------------------------------------------------
// Key files

gnutls_datum_t as_datum(std::string_view bytes) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data())),
          static_cast<unsigned int>(bytes.size())};
}

// Reads a key file into wiped memory (private keys pass through here too).
Result<SecretBytes> read_key_file(const std::string& path, std::string_view what) {
  const std::string prefix = std::string(what) + " " + path + ": ";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return fail(prefix + std::strerror(errno), errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(prefix + std::strerror(errno), errno);
  if (!S_ISREG(st.st_mode)) return fail(prefix + "not a regular file");
  if (static_cast<unsigned long long>(st.st_size) > kMaxKeyFileBytes) {
    return fail(prefix + "larger than " + std::to_string(kMaxKeyFileBytes) + " bytes");
  }

  SecretBytes contents;
  std::array<char, 4096> buffer{};
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      secure_wipe(buffer.data(), buffer.size());
      return fail(prefix + std::strerror(saved), saved);
    }
    if (n == 0) break;
    if (contents.size() + static_cast<size_t>(n) > kMaxKeyFileBytes) {
      secure_wipe(buffer.data(), buffer.size());
      return fail(prefix + "larger than " + std::to_string(kMaxKeyFileBytes) + " bytes");
    }
    contents.append(buffer.data(), static_cast<size_t>(n));
  }
  secure_wipe(buffer.data(), buffer.size());
  if (contents.empty()) return fail(prefix + "file is empty");
  return contents;
}

// The label of the first PEM block ("PUBLIC KEY" for "-----BEGIN PUBLIC
// KEY-----"), or "" if there is none.
std::string pem_label(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  size_t start = text.find(kBegin);
  if (start == std::string_view::npos) return {};
  start += kBegin.size();
  size_t end = text.find("-----", start);
  if (end == std::string_view::npos || end - start > 64) return {};
  return std::string(text.substr(start, end - start));
}

bool is_private_key_label(std::string_view label) {
  return label == "PRIVATE KEY" || label == "RSA PRIVATE KEY" || label == "EC PRIVATE KEY" ||
         label == "DSA PRIVATE KEY" || label == "ENCRYPTED PRIVATE KEY";
}

// Describes a PEM label that is not the kind of key wanted.
std::string describe_wrong_label(std::string_view label) {
  if (label.empty()) return "not a PEM file (no \"-----BEGIN\" line)";
  if (is_private_key_label(label)) return "contains a private key (" + std::string(label) + ")";
  if (label == "PUBLIC KEY" || label == "RSA PUBLIC KEY") {
    return "contains a public key (" + std::string(label) + ")";
  }
  if (label.find("CERTIFICATE") != std::string_view::npos) {
    return "contains an X.509 certificate, not a raw key";
  }
  if (label.find("PGP") != std::string_view::npos) {
    return "contains an OpenPGP key, not a TLS key";
  }
  return "contains a PEM block of unexpected type \"" + std::string(label) + "\"";
}

Status check_pubkey_pem(const std::string& path, std::string_view text) {
  std::string label = pem_label(text);
  if (label == "PUBLIC KEY") return {};
  if (label == "RSA PUBLIC KEY") {
    return fail("TLS public key " + path +
                ": PKCS#1 RSA public key; a SubjectPublicKeyInfo (\"BEGIN PUBLIC KEY\") "
                "is required");
  }
  return fail("TLS public key " + path + ": " + describe_wrong_label(label) +
              "; expected a PEM public key");
}

Status check_privkey_pem(const std::string& path, std::string_view text) {
  std::string label = pem_label(text);
  if (label == "ENCRYPTED PRIVATE KEY") {
    return fail("TLS private key " + path + ": encrypted; an unencrypted key is required");
  }
  if (is_private_key_label(label)) return {};
  return fail("TLS private key " + path + ": " + describe_wrong_label(label) +
              "; expected a PEM private key");
}

Result<Privkey> import_privkey_pem(std::string_view text) {
  gnutls_privkey_t raw = nullptr;
  int ret = gnutls_privkey_init(&raw);
  if (ret < 0) return tls_error("gnutls_privkey_init", ret);
  Privkey key(raw);
  gnutls_datum_t datum = as_datum(text);
  ret = gnutls_privkey_import_x509_raw(key.get(), &datum, GNUTLS_X509_FMT_PEM, nullptr,
                                       GNUTLS_PKCS_PLAIN | GNUTLS_PKCS_NULL_PASSWORD);
  if (ret < 0) return tls_error("malformed private key", ret);
  return key;
}

// Names the part of a priority string GnuTLS stopped at.
Error priority_error(const std::string& priority, const char* error_pos, int ret) {
  std::string message = "invalid priority string \"" + priority + "\"";
  if (ret == GNUTLS_E_INVALID_REQUEST && error_pos != nullptr) {
    message += " at offset " + std::to_string(error_pos - priority.c_str()) + " (\"" +
               error_pos + "\")";
  }
  return tls_error(message, ret);
}

// ---------------------------------------------------------------------------
// Blocking driver

Status wait_for(int fd, Wait wait, const StopPredicate& should_stop) {
  for (;;) {
    if (should_stop && should_stop()) return fail("interrupted", EINTR);
    pollfd pfd{fd, static_cast<short>(wait == Wait::kWrite ? POLLOUT : POLLIN), 0};
    int ret = ::poll(&pfd, 1, -1);
    // Readable, writable, hang-up or error: GnuTLS finds out which.
    if (ret >= 0) return {};
    if (errno != EINTR) return fail(std::string("poll: ") + std::strerror(errno), errno);
  }
}

template <class Step>
Status drive(Session& session, const StopPredicate& should_stop, Step step) {
  for (;;) {
    Result<Wait> wait = step();
    if (!wait) return wait.error();
    if (*wait == Wait::kNone) return {};
    if (Status waited = wait_for(session.fd(), *wait, should_stop); !waited) return waited;
  }
}

Wait direction(const Session& session) {
  return gnutls_record_get_direction(session.get()) == 0 ? Wait::kRead : Wait::kWrite;
}

bool would_block(int ret) { return ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED; }

// Bounds the immediate retries after non-fatal errors (warning alerts).
constexpr int kMaxNonFatalRetries = 64;

}  // namespace

// ---------------------------------------------------------------------------
// Errors and logging

std::string error_string(int gnutls_code) {
  const char* name = gnutls_strerror_name(gnutls_code);
  return std::string(gnutls_strerror(gnutls_code)) + " (" +
         (name != nullptr ? name : std::to_string(gnutls_code)) + ")";
}

Error tls_error(std::string_view what, int gnutls_code) {
  return fail(std::string(what) + ": " + error_string(gnutls_code), gnutls_code);
}

void set_log_callback(LogCallback callback) {
  log_callback() = std::move(callback);
  gnutls_global_set_log_function(log_bridge);
}

void set_log_level(int level) { gnutls_global_set_log_level(level); }

// ---------------------------------------------------------------------------
// Handles

Datum::~Datum() {
  if (datum_.data == nullptr) return;
  if (secret_) secure_wipe(datum_.data, datum_.size);
  gnutls_free(datum_.data);
}

Result<GlobalInit> GlobalInit::create() {
  // 3.6.6 brought raw public keys in TLS 1.3 (protocol.md §4).
  if (gnutls_check_version("3.6.6") == nullptr) {
    return fail(std::string("GnuTLS ") + gnutls_check_version(nullptr) +
                " is too old; 3.6.6 or later is required");
  }
  int ret = gnutls_global_init();
  if (ret < 0) return tls_error("gnutls_global_init", ret);
  GlobalInit guard;
  guard.active_ = true;
  return guard;
}

GlobalInit::~GlobalInit() {
  if (active_) gnutls_global_deinit();
}

Result<Priority> make_priority(const std::string& priority) {
  gnutls_priority_t raw = nullptr;
  const char* error_pos = nullptr;
  int ret = gnutls_priority_init(&raw, priority.c_str(), &error_pos);
  if (ret < 0) return priority_error(priority, error_pos, ret);
  return Priority(raw);
}

// ---------------------------------------------------------------------------
// Keys

Result<Pubkey> import_pubkey(std::string_view data, gnutls_x509_crt_fmt_t format) {
  gnutls_pubkey_t raw = nullptr;
  int ret = gnutls_pubkey_init(&raw);
  if (ret < 0) return tls_error("gnutls_pubkey_init", ret);
  Pubkey key(raw);
  gnutls_datum_t datum = as_datum(data);
  ret = gnutls_pubkey_import(key.get(), &datum, format);
  if (ret < 0) return tls_error("malformed public key", ret);
  return key;
}

Result<Pubkey> load_pubkey_pem_file(const std::string& path) {
  auto contents = read_key_file(path, "TLS public key");
  if (!contents) return contents.error();
  if (Status ok = check_pubkey_pem(path, contents->view()); !ok) return ok.error();
  auto key = import_pubkey(contents->view(), GNUTLS_X509_FMT_PEM);
  if (!key) return fail("TLS public key " + path + ": " + key.error().message, key.error().code);
  return key;
}

Result<Privkey> load_privkey_pem_file(const std::string& path) {
  auto contents = read_key_file(path, "TLS private key");
  if (!contents) return contents.error();
  if (Status ok = check_privkey_pem(path, contents->view()); !ok) return ok.error();
  auto key = import_privkey_pem(contents->view());
  if (!key) return fail("TLS private key " + path + ": " + key.error().message, key.error().code);
  return key;
}

Result<Privkey> generate_privkey(gnutls_pk_algorithm_t algorithm, gnutls_sec_param_t level) {
  gnutls_privkey_t raw = nullptr;
  int ret = gnutls_privkey_init(&raw);
  if (ret < 0) return tls_error("gnutls_privkey_init", ret);
  Privkey key(raw);
  unsigned bits = gnutls_sec_param_to_pk_bits(algorithm, level);
  ret = gnutls_privkey_generate(key.get(), algorithm, bits, 0);
  if (ret < 0) {
    return tls_error(std::string("cannot generate ") + gnutls_pk_algorithm_get_name(algorithm) +
                         " key of " + std::to_string(bits) + " bits",
                     ret);
  }
  return key;
}

Result<gnutls_pk_algorithm_t> parse_key_type(std::string_view name) {
  std::string lower;
  for (char c : name) lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  if (lower == "rsa") return GNUTLS_PK_RSA;
  if (lower == "rsa-pss") return GNUTLS_PK_RSA_PSS;
  if (lower == "dsa") return GNUTLS_PK_DSA;
  if (lower == "ecdsa" || lower == "ecc") return GNUTLS_PK_ECDSA;
  if (lower == "ed25519") return GNUTLS_PK_EDDSA_ED25519;
  if (lower == "ed448") return GNUTLS_PK_EDDSA_ED448;
  return fail("unknown TLS key type \"" + std::string(name) +
              "\" (known: rsa, rsa-pss, dsa, ecdsa, ed25519, ed448)");
}

Result<Pubkey> pubkey_from_privkey(const Privkey& privkey) {
  gnutls_pubkey_t raw = nullptr;
  int ret = gnutls_pubkey_init(&raw);
  if (ret < 0) return tls_error("gnutls_pubkey_init", ret);
  Pubkey key(raw);
  ret = gnutls_pubkey_import_privkey(key.get(), privkey.get(), 0, 0);
  if (ret < 0) return tls_error("cannot derive public key", ret);
  return key;
}

Result<std::string> export_pubkey(const Pubkey& pubkey, gnutls_x509_crt_fmt_t format) {
  Datum out;
  int ret = gnutls_pubkey_export2(pubkey.get(), format, out.out());
  if (ret < 0) return tls_error("cannot export public key", ret);
  return std::string(out.view());
}

Result<SecretBytes> export_privkey_pkcs8_pem(const Privkey& privkey) {
  gnutls_x509_privkey_t raw = nullptr;
  int ret = gnutls_privkey_export_x509(privkey.get(), &raw);
  if (ret < 0) return tls_error("cannot export private key", ret);
  X509Privkey x509(raw);
  Datum out(/*secret=*/true);
  ret = gnutls_x509_privkey_export2_pkcs8(x509.get(), GNUTLS_X509_FMT_PEM, nullptr,
                                          GNUTLS_PKCS_PLAIN, out.out());
  if (ret < 0) return tls_error("cannot export private key as PKCS#8", ret);
  return SecretBytes(out.view());
}

Result<std::string> pubkey_key_id(const Pubkey& pubkey) {
  std::array<unsigned char, 32> id{};
  size_t size = id.size();
  int ret = gnutls_pubkey_get_key_id(pubkey.get(), GNUTLS_KEYID_USE_SHA256, id.data(), &size);
  if (ret < 0) return tls_error("cannot compute key ID", ret);
  return hex_upper({reinterpret_cast<const char*>(id.data()), size});
}

Result<DhParams> load_dh_params_pem_file(const std::string& path) {
  auto contents = read_key_file(path, "DH parameters file");
  if (!contents) return contents.error();
  gnutls_dh_params_t raw = nullptr;
  int ret = gnutls_dh_params_init(&raw);
  if (ret < 0) return tls_error("gnutls_dh_params_init", ret);
  DhParams params(raw);
  gnutls_datum_t datum = as_datum(contents->view());
  ret = gnutls_dh_params_import_pkcs3(params.get(), &datum, GNUTLS_X509_FMT_PEM);
  if (ret < 0) return tls_error("DH parameters file " + path + ": not PEM PKCS#3", ret);
  return params;
}

Result<DhParams> generate_dh_params(unsigned bits) {
  gnutls_dh_params_t raw = nullptr;
  int ret = gnutls_dh_params_init(&raw);
  if (ret < 0) return tls_error("gnutls_dh_params_init", ret);
  DhParams params(raw);
  ret = gnutls_dh_params_generate2(params.get(), bits);
  if (ret < 0) return tls_error("cannot generate " + std::to_string(bits) + "-bit DH parameters", ret);
  return params;
}

// ---------------------------------------------------------------------------
// Credentials

Result<CertificateCredentials> CertificateCredentials::create() {
  gnutls_certificate_credentials_t raw = nullptr;
  int ret = gnutls_certificate_allocate_credentials(&raw);
  if (ret < 0) return tls_error("gnutls_certificate_allocate_credentials", ret);
  return CertificateCredentials(Handle(raw));
}

Result<CertificateCredentials> CertificateCredentials::from_rawpk_files(
    const std::string& pubkey_path, const std::string& privkey_path) {
  // Phase 1: read and classify both files, so errors name the file at fault.
  auto pub_text = read_key_file(pubkey_path, "TLS public key");
  if (!pub_text) return pub_text.error();
  if (Status ok = check_pubkey_pem(pubkey_path, pub_text->view()); !ok) return ok.error();
  auto priv_text = read_key_file(privkey_path, "TLS private key");
  if (!priv_text) return priv_text.error();
  if (Status ok = check_privkey_pem(privkey_path, priv_text->view()); !ok) return ok.error();

  // Phase 2: parse both and check that they are one key pair; a mismatch
  // would otherwise surface only as an obscure handshake failure.
  auto pub = import_pubkey(pub_text->view(), GNUTLS_X509_FMT_PEM);
  if (!pub) return fail("TLS public key " + pubkey_path + ": " + pub.error().message);
  auto priv = import_privkey_pem(priv_text->view());
  if (!priv) return fail("TLS private key " + privkey_path + ": " + priv.error().message);
  auto derived = pubkey_from_privkey(*priv);
  if (!derived) return fail("TLS private key " + privkey_path + ": " + derived.error().message);
  auto pub_id = pubkey_key_id(*pub);
  auto derived_id = pubkey_key_id(*derived);
  if (!pub_id || !derived_id || *pub_id != *derived_id) {
    return fail("TLS public key " + pubkey_path + " does not belong to private key " +
                privkey_path);
  }

  // Phase 3: load the validated bytes (what set_rawpk_key_file would read).
  auto creds = create();
  if (!creds) return creds.error();
  gnutls_datum_t pub_datum = as_datum(pub_text->view());
  gnutls_datum_t priv_datum = as_datum(priv_text->view());
  int ret = gnutls_certificate_set_rawpk_key_mem(
      creds->get(), &pub_datum, &priv_datum, GNUTLS_X509_FMT_PEM, nullptr,
      GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT, nullptr, 0,
      GNUTLS_PKCS_PLAIN | GNUTLS_PKCS_NULL_PASSWORD);
  if (ret < 0) {
    return tls_error("cannot load TLS key pair " + pubkey_path + ", " + privkey_path, ret);
  }
  return creds;
}

void CertificateCredentials::set_dh_params(DhParams params) {
  gnutls_certificate_set_dh_params(creds_.get(), params.get());
  dh_params_ = std::move(params);  // the old ones (if any) are no longer referenced
}

// ---------------------------------------------------------------------------
// Sessions

Result<Session> Session::create(unsigned init_flags) {
  gnutls_session_t raw = nullptr;
  int ret = gnutls_init(&raw, init_flags);
  if (ret < 0) return tls_error("gnutls_init", ret);
  return Session(Handle(raw));
}

void Session::set_fd(int fd) {
  fd_ = fd;
  gnutls_transport_set_int(session_.get(), fd);
}

Status Session::set_priority(const std::string& priority) {
  const char* error_pos = nullptr;
  int ret = gnutls_priority_set_direct(session_.get(), priority.c_str(), &error_pos);
  if (ret < 0) return priority_error(priority, error_pos, ret);
  return {};
}

Status Session::set_credentials(const CertificateCredentials& creds) {
  int ret = gnutls_credentials_set(session_.get(), GNUTLS_CRD_CERTIFICATE, creds.get());
  if (ret < 0) return tls_error("gnutls_credentials_set", ret);
  return {};
}

Status Session::adopt_credentials(CertificateCredentials creds) {
  auto owned = std::make_unique<CertificateCredentials>(std::move(creds));
  if (Status ok = set_credentials(*owned); !ok) return ok;
  owned_creds_ = std::move(owned);
  return {};
}

gnutls_protocol_t Session::version() const { return gnutls_protocol_get_version(get()); }

std::string Session::description() const {
  char* desc = gnutls_session_get_desc(get());
  if (desc == nullptr) return {};
  std::string out(desc);
  gnutls_free(desc);
  return out;
}

// GNUTLS_NO_SIGNAL (MSG_NOSIGNAL) is added to the reference flags so a peer
// that hangs up early yields an error instead of a SIGPIPE; nothing on the
// wire changes.
Result<Session> make_server_side_session(int fd, const CertificateCredentials& creds,
                                         const std::string& priority) {
  auto session =
      Session::create(GNUTLS_SERVER | GNUTLS_NO_TICKETS | GNUTLS_ENABLE_RAWPK | GNUTLS_NO_SIGNAL);
  if (!session) return session.error();
  if (Status ok = session->set_priority(priority); !ok) return ok.error();
  if (Status ok = session->set_credentials(creds); !ok) return ok.error();
  // The Mandos server has no certificate; never ask for one.
  gnutls_certificate_server_set_request(session->get(), GNUTLS_CERT_IGNORE);
  session->set_fd(fd);
  return session;
}

Result<Session> make_client_side_session(int fd, const std::string& priority) {
  auto session =
      Session::create(GNUTLS_CLIENT | GNUTLS_NO_TICKETS | GNUTLS_ENABLE_RAWPK | GNUTLS_NO_SIGNAL);
  if (!session) return session.error();
  int ret = gnutls_set_default_priority(session->get());
  if (ret < 0) return tls_error("gnutls_set_default_priority", ret);
  if (Status ok = session->set_priority(priority); !ok) return ok.error();
  auto creds = CertificateCredentials::create();
  if (!creds) return creds.error();
  if (Status ok = session->adopt_credentials(std::move(*creds)); !ok) return ok.error();
  gnutls_handshake_set_private_extensions(session->get(), 1);
  session->set_fd(fd);
  return session;
}

Result<std::string> peer_public_key_der(const Session& session) {
  gnutls_certificate_type_t type = gnutls_certificate_type_get2(session.get(), GNUTLS_CTYPE_PEERS);
  if (type != GNUTLS_CRT_RAWPK) {
    const char* name = gnutls_certificate_type_get_name(type);
    return fail(std::string("peer certificate is of type ") + (name != nullptr ? name : "unknown") +
                ", not a raw public key");
  }
  unsigned count = 0;
  const gnutls_datum_t* list = gnutls_certificate_get_peers(session.get(), &count);
  if (list == nullptr || count == 0) return fail("peer sent no certificate");
  return std::string(reinterpret_cast<const char*>(list[0].data), list[0].size);
}

Result<std::string> peer_key_id(const Session& session) {
  auto der = peer_public_key_der(session);
  if (!der) return der.error();
  auto pubkey = import_pubkey(*der, GNUTLS_X509_FMT_DER);
  if (!pubkey) return pubkey.error();
  return pubkey_key_id(*pubkey);
}

// ---------------------------------------------------------------------------
// Steps

Result<Wait> handshake_step(Session& session) {
  for (int attempt = 0; attempt < kMaxNonFatalRetries; ++attempt) {
    int ret = gnutls_handshake(session.get());
    if (ret == GNUTLS_E_SUCCESS) return Wait::kNone;
    if (would_block(ret)) return direction(session);
    if (gnutls_error_is_fatal(ret) != 0) return tls_error("TLS handshake failed", ret);
  }
  return fail("TLS handshake failed: too many non-fatal alerts");
}

Result<Wait> bye_step(Session& session, gnutls_close_request_t how) {
  int ret = gnutls_bye(session.get(), how);
  if (ret == GNUTLS_E_SUCCESS) return Wait::kNone;
  if (would_block(ret)) return direction(session);
  return tls_error("TLS close_notify failed", ret);
}

Result<IoStep> recv_step(Session& session, char* buffer, size_t size) {
  ssize_t ret = gnutls_record_recv(session.get(), buffer, size);
  if (ret > 0) return IoStep{Wait::kNone, static_cast<size_t>(ret), false};
  if (ret == 0) return IoStep{Wait::kNone, 0, true};
  int code = static_cast<int>(ret);
  if (would_block(code)) return IoStep{direction(session), 0, false};
  // Warning alerts: nothing transferred, call again.
  if (gnutls_error_is_fatal(code) == 0) return IoStep{};
  return tls_error("TLS receive failed", code);
}

Result<IoStep> send_step(Session& session, const char* data, size_t size) {
  ssize_t ret = gnutls_record_send(session.get(), data, size);
  if (ret >= 0) return IoStep{Wait::kNone, static_cast<size_t>(ret), false};
  int code = static_cast<int>(ret);
  if (would_block(code)) return IoStep{direction(session), 0, false};
  return tls_error("TLS send failed", code);
}

// ---------------------------------------------------------------------------
// Blocking helpers

Status handshake(Session& session, const StopPredicate& should_stop) {
  return drive(session, should_stop, [&] { return handshake_step(session); });
}

Status bye(Session& session, gnutls_close_request_t how, const StopPredicate& should_stop) {
  return drive(session, should_stop, [&] { return bye_step(session, how); });
}

Status send_all(Session& session, std::string_view data, const StopPredicate& should_stop) {
  size_t sent = 0;
  int non_fatal = 0;
  while (sent < data.size()) {
    // After GNUTLS_E_AGAIN GnuTLS wants the same arguments again; `sent`
    // only moves on success, so that holds.
    auto step = send_step(session, data.data() + sent, data.size() - sent);
    if (!step) return step.error();
    sent += step->bytes;
    if (step->wait != Wait::kNone) {
      if (Status ok = wait_for(session.fd(), step->wait, should_stop); !ok) return ok;
    } else if (step->bytes == 0 && ++non_fatal > kMaxNonFatalRetries) {
      return fail("TLS send made no progress");
    }
  }
  return {};
}

Result<SecretBytes> recv_until_eof(Session& session, size_t max_bytes,
                                   const StopPredicate& should_stop) {
  SecretBytes received;
  std::array<char, 16384> buffer{};  // one TLS record
  int non_fatal = 0;
  Status status;
  for (;;) {
    auto step = recv_step(session, buffer.data(), buffer.size());
    if (!step) {
      status = step.error();
      break;
    }
    if (step->eof) break;
    if (step->bytes > 0) {
      if (received.size() + step->bytes > max_bytes) {
        status = fail("peer sent more than " + std::to_string(max_bytes) + " bytes");
        break;
      }
      received.append(buffer.data(), step->bytes);
    } else if (step->wait != Wait::kNone) {
      status = wait_for(session.fd(), step->wait, should_stop);
      if (!status) break;
    } else if (++non_fatal > kMaxNonFatalRetries) {
      status = fail("TLS receive: too many non-fatal alerts");
      break;
    }
  }
  secure_wipe(buffer.data(), buffer.size());
  if (!status) return status.error();
  return received;
}

}  // namespace mandos::tls
