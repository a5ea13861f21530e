#include "mandos/gpg.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace mandos::gpg {

namespace internal {
// Output buffer behind Data::secret_sink. Grows by doubling into fresh
// buffers and wipes each one it leaves behind.
struct SinkState {
  std::vector<char> buffer;
  size_t size = 0;
  size_t max_bytes = 0;
  bool overflowed = false;
  ~SinkState() { secure_wipe(buffer.data(), buffer.size()); }
};
}  // namespace internal

namespace {

namespace fs = std::filesystem;
using ContextHandle = internal::Owned<gpgme_ctx_t, gpgme_release>;

// How long remove() waits for a stopped gpg-agent to delete its socket.
constexpr auto kAgentExitWait = std::chrono::seconds(5);
constexpr auto kAgentPollInterval = std::chrono::milliseconds(10);

Error gpg_fail(std::string_view what, gpgme_error_t err) {
  return fail(std::string(what) + ": " + error_string(err), static_cast<int>(gpgme_err_code(err)));
}

// GPGME callback: no exception may cross it.
ssize_t sink_write(void* handle, const void* data, size_t size) {
  auto* state = static_cast<internal::SinkState*>(handle);
  if (size == 0) return 0;
  try {
    if (size > state->max_bytes - state->size) {
      state->overflowed = true;
      errno = EFBIG;
      return -1;
    }
    if (state->size + size > state->buffer.size()) {
      size_t capacity = std::max<size_t>({4096, state->buffer.size() * 2, state->size + size});
      std::vector<char> grown(std::min(capacity, state->max_bytes));
      if (state->size > 0) std::memcpy(grown.data(), state->buffer.data(), state->size);
      secure_wipe(state->buffer.data(), state->buffer.size());
      state->buffer.swap(grown);
    }
    std::memcpy(state->buffer.data() + state->size, data, size);
    state->size += size;
    return static_cast<ssize_t>(size);
  } catch (...) {
    errno = ENOMEM;
    return -1;
  }
}

gpgme_data_cbs kSinkCallbacks = {nullptr, sink_write, nullptr, nullptr};

// Reads a key file into wiped memory (seckey.txt is secret).
Result<SecretBytes> read_key_file(const std::string& path) {
  const std::string prefix = "OpenPGP key file " + path + ": ";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return fail(prefix + std::strerror(errno), errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(prefix + std::strerror(errno), errno);
  if (!S_ISREG(st.st_mode)) return fail(prefix + "not a regular file");

  SecretBytes contents;
  std::array<char, 4096> buffer{};
  Status status;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = fail(prefix + std::strerror(errno), errno);
      break;
    }
    if (n == 0) break;
    if (contents.size() + static_cast<size_t>(n) > kMaxKeyFileBytes) {
      status = fail(prefix + "larger than " + std::to_string(kMaxKeyFileBytes) + " bytes");
      break;
    }
    contents.append(buffer.data(), static_cast<size_t>(n));
  }
  secure_wipe(buffer.data(), buffer.size());
  if (!status) return status.error();
  if (contents.empty()) return fail(prefix + "file is empty");
  return contents;
}

Result<ContextHandle> new_context(gpgme_protocol_t protocol, const char* file_name,
                                  const std::string& home_dir) {
  if (Status ok = init(); !ok) return ok.error();
  gpgme_ctx_t raw = nullptr;
  if (gpgme_error_t err = gpgme_new(&raw); err) return gpg_fail("gpgme_new", err);
  ContextHandle ctx(raw);
  if (gpgme_error_t err = gpgme_set_protocol(ctx.get(), protocol); err) {
    return gpg_fail("gpgme_set_protocol", err);
  }
  if (gpgme_error_t err = gpgme_ctx_set_engine_info(ctx.get(), protocol, file_name, home_dir.c_str());
      err) {
    return gpg_fail("cannot use GnuPG home " + home_dir, err);
  }
  return ctx;
}

// gpgconf prints paths percent-escaped ("%3a" for ':').
std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The agent socket of `home_dir`: in the home itself, or under
// /run/user/UID/gnupg/d.* when that directory exists. GnuPG decides; ask
// gpgconf through GPGME rather than re-deriving its rules.
std::string agent_socket_path(const std::string& home_dir) {
  std::string fallback = home_dir + "/S.gpg-agent";
  auto ctx = new_context(GPGME_PROTOCOL_GPGCONF, nullptr, home_dir);
  if (!ctx) return fallback;
  char* result = nullptr;
  gpgme_error_t err = gpgme_op_conf_dir(ctx->get(), "agent-socket", &result);
  // GPGME 1.18 reports "not found" as success with no result.
  if (err || result == nullptr) return fallback;
  std::string path = percent_decode(result);
  gpgme_free(result);
  return path.empty() ? fallback : path;
}

// Assuan data callback: appends the D lines of a reply.
gpgme_error_t collect_data(void* opaque, const void* data, size_t size) {
  try {
    static_cast<std::string*>(opaque)->append(static_cast<const char*>(data), size);
    return 0;
  } catch (...) {
    return gpg_error(GPG_ERR_ENOMEM);
  }
}

// False once the process is gone or a zombie (the agent is not our child,
// and its reaper may be slow or absent in a container).
bool process_alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno != ESRCH;
  std::string stat_path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = ::open(stat_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  std::array<char, 512> buffer{};
  ssize_t n = ::read(fd, buffer.data(), buffer.size() - 1);
  ::close(fd);
  if (n <= 0) return true;
  std::string_view stat(buffer.data(), static_cast<size_t>(n));
  size_t paren = stat.rfind(')');
  return paren == std::string_view::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Overwrites regular files with zeros before they are unlinked: on tmpfs,
// freed pages keep their contents, and private-keys-v1.d holds unprotected
// secret keys.
void wipe_regular_files(const std::string& root) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    int fd = ::open(it->path().c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) continue;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      std::array<char, 4096> zeros{};
      off_t left = st.st_size;
      while (left > 0) {
        ssize_t n = ::write(fd, zeros.data(), std::min<off_t>(left, zeros.size()));
        if (n <= 0) break;
        left -= n;
      }
    }
    ::close(fd);
  }
}

Result<Key> get_key(Context& ctx, std::string_view fingerprint, bool secret) {
  gpgme_key_t raw = nullptr;
  std::string pattern(fingerprint);
  gpgme_error_t err = gpgme_get_key(ctx.get(), pattern.c_str(), &raw, secret ? 1 : 0);
  if (err || raw == nullptr) {
    return gpg_fail(std::string("no ") + (secret ? "secret" : "public") + " key " + pattern +
                        " in " + ctx.home_dir(),
                    err ? err : gpg_error(GPG_ERR_NOT_FOUND));
  }
  return Key(raw);
}

// Inserts an armor header after the "-----BEGIN PGP ...-----" line.
Result<size_t> comment_insert_position(std::string_view armored, std::string_view comment) {
  if (comment.find_first_of("\r\n") != std::string_view::npos) {
    return fail("armor comment must be a single line");
  }
  if (armored.rfind("-----BEGIN PGP ", 0) != 0) return fail("export is not ASCII-armored");
  size_t eol = armored.find('\n');
  if (eol == std::string_view::npos) return fail("export is not ASCII-armored");
  return eol + 1;
}

Result<Data> export_key(Context& ctx, std::string_view fingerprint, const ExportOptions& options,
                        bool secret) {
  gpgme_export_mode_t mode = 0;
  if (options.minimal) mode |= GPGME_EXPORT_MODE_MINIMAL;
  if (secret) mode |= GPGME_EXPORT_MODE_SECRET;
  gpgme_set_armor(ctx.get(), options.armor ? 1 : 0);
  auto out = secret ? Data::secret_sink(kMaxKeyFileBytes) : Data::create();
  if (!out) return out.error();
  std::string pattern(fingerprint);
  gpgme_error_t err = gpgme_op_export(ctx.get(), pattern.c_str(), mode, out->get());
  if (err) return gpg_fail("cannot export key " + pattern, err);
  if (out->overflowed()) return fail("exported key " + pattern + " is too large");
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------

Status init() {
  static std::once_flag once;
  static Status result;
  std::call_once(once, [] {
    // Initialises GPGME's subsystems (it also sets SIGPIPE to SIG_IGN if it
    // was SIG_DFL, so a dying gpg cannot kill us).
    if (gpgme_check_version(nullptr) == nullptr) {
      result = fail("GPGME initialisation failed");
      return;
    }
    if (gpgme_error_t err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP); err) {
      result = gpg_fail("GnuPG (gpg) is missing or too old for GPGME", err);
    }
  });
  return result;
}

std::string error_string(gpgme_error_t err) {
  std::array<char, 256> text{};
  gpgme_strerror_r(err, text.data(), text.size());
  text.back() = '\0';
  return std::string(text.data()) + " (" + gpgme_strsource(err) + ")";
}

Result<Context> Context::create(const std::string& home_dir) {
  auto ctx = new_context(GPGME_PROTOCOL_OpenPGP, nullptr, home_dir);
  if (!ctx) return ctx.error();
  // Loopback with no passphrase callback: a protected key fails at once
  // instead of waiting for a pinentry that does not exist.
  if (gpgme_error_t err = gpgme_set_pinentry_mode(ctx->get(), GPGME_PINENTRY_MODE_LOOPBACK); err) {
    return gpg_fail("gpgme_set_pinentry_mode", err);
  }
  return Context(std::move(*ctx), home_dir);
}

// ---------------------------------------------------------------------------
// Data

Data::~Data() = default;
Data::Data(Data&&) noexcept = default;
Data& Data::operator=(Data&& other) noexcept {
  // Release our gpgme_data_t before the sink it may point into.
  data_ = std::move(other.data_);
  sink_ = std::move(other.sink_);
  return *this;
}

Result<Data> Data::create() {
  if (Status ok = init(); !ok) return ok.error();
  gpgme_data_t raw = nullptr;
  if (gpgme_error_t err = gpgme_data_new(&raw); err) return gpg_fail("gpgme_data_new", err);
  Data data;
  data.data_.reset(raw);
  return data;
}

Result<Data> Data::borrow(std::string_view bytes) {
  if (Status ok = init(); !ok) return ok.error();
  gpgme_data_t raw = nullptr;
  gpgme_error_t err = gpgme_data_new_from_mem(&raw, bytes.data(), bytes.size(), /*copy=*/0);
  if (err) return gpg_fail("gpgme_data_new_from_mem", err);
  Data data;
  data.data_.reset(raw);
  return data;
}

Result<Data> Data::secret_sink(size_t max_bytes) {
  if (Status ok = init(); !ok) return ok.error();
  Data data;
  data.sink_ = std::make_unique<internal::SinkState>();
  data.sink_->max_bytes = max_bytes;
  gpgme_data_t raw = nullptr;
  gpgme_error_t err = gpgme_data_new_from_cbs(&raw, &kSinkCallbacks, data.sink_.get());
  if (err) return gpg_fail("gpgme_data_new_from_cbs", err);
  data.data_.reset(raw);
  return data;
}

Result<std::string> Data::contents() const {
  if (gpgme_data_seek(data_.get(), 0, SEEK_SET) < 0) {
    return fail(std::string("gpgme_data_seek: ") + std::strerror(errno), errno);
  }
  std::string out;
  std::array<char, 4096> buffer{};
  for (;;) {
    ssize_t n = gpgme_data_read(data_.get(), buffer.data(), buffer.size());
    if (n < 0) return fail(std::string("gpgme_data_read: ") + std::strerror(errno), errno);
    if (n == 0) return out;
    out.append(buffer.data(), static_cast<size_t>(n));
  }
}

SecretBytes Data::take_secret() {
  if (!sink_) return {};
  SecretBytes out(sink_->buffer.data(), sink_->size);
  secure_wipe(sink_->buffer.data(), sink_->buffer.size());
  sink_->size = 0;
  return out;
}

bool Data::overflowed() const { return sink_ && sink_->overflowed; }

// ---------------------------------------------------------------------------
// TempGnupgHome

Result<TempGnupgHome> TempGnupgHome::create() {
  std::string base = "/tmp";
  struct stat st {};
  if (::stat("/run/tmp", &st) == 0 && S_ISDIR(st.st_mode)) {
    base = "/run/tmp";
  } else if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir != nullptr && *tmpdir != '\0') {
    base = tmpdir;
  }
  return create_in(base);
}

Result<TempGnupgHome> TempGnupgHome::create_in(const std::string& base_dir) {
  std::string pattern = base_dir + "/mandosXXXXXX";
  // mkdtemp creates the directory with mode 0700, as GnuPG requires.
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail("cannot create a GnuPG home in " + base_dir + ": " + std::strerror(errno), errno);
  }
  return TempGnupgHome(std::move(pattern));
}

TempGnupgHome::~TempGnupgHome() { (void)remove(); }

TempGnupgHome::TempGnupgHome(TempGnupgHome&& other) noexcept
    : path_(std::exchange(other.path_, {})) {}

TempGnupgHome& TempGnupgHome::operator=(TempGnupgHome&& other) noexcept {
  if (this != &other) {
    (void)remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

Status TempGnupgHome::remove() {
  if (path_.empty()) return {};
  // The agent first, or it could recreate sockets while we delete.
  Status agent = stop_agent(path_);
  wipe_regular_files(path_);
  std::error_code ec;
  // A retry covers entries the exiting agent deletes under our feet.
  for (int attempt = 0; attempt < 3; ++attempt) {
    ec.clear();
    fs::remove_all(path_, ec);
    if (!ec) break;
  }
  if (ec) return fail("cannot remove GnuPG home " + path_ + ": " + ec.message(), ec.value());
  path_.clear();
  return agent;
}

Status stop_agent(const std::string& home_dir) {
  std::string socket = agent_socket_path(home_dir);
  // No socket: gpg never started an agent for this home.
  if (!path_exists(socket)) return {};

  auto ctx = new_context(GPGME_PROTOCOL_ASSUAN, socket.c_str(), home_dir);
  if (!ctx) return ctx.error();
  // Learn the agent's pid first so we can wait for the process itself.
  std::string pid_text;
  gpgme_error_t op_err = 0;
  gpgme_error_t err = gpgme_op_assuan_transact_ext(ctx->get(), "GETINFO pid", collect_data,
                                                   &pid_text, nullptr, nullptr, nullptr, nullptr,
                                                   &op_err);
  if (err && gpgme_err_code(err) == GPG_ERR_ASS_CONNECT_FAILED) {
    // A stale socket from an agent that already died; the caller deletes it.
    return {};
  }
  if (!err && !op_err) {
    err = gpgme_op_assuan_transact_ext(ctx->get(), "KILLAGENT", nullptr, nullptr, nullptr,
                                       nullptr, nullptr, nullptr, &op_err);
  }
  if (err || op_err) return gpg_fail("cannot stop gpg-agent at " + socket, err ? err : op_err);
  pid_t pid = static_cast<pid_t>(std::atol(pid_text.c_str()));

  // The agent exits and deletes its sockets shortly after KILLAGENT; wait
  // (bounded) so no agent outlives the home, e.g. into switch_root.
  auto deadline = std::chrono::steady_clock::now() + kAgentExitWait;
  auto running = [&] { return path_exists(socket) || (pid > 0 && process_alive(pid)); };
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kAgentPollInterval);
  }
  if (running()) {
    return fail("gpg-agent (pid " + pid_text + ") at " + socket + " did not exit after KILLAGENT");
  }
  // A per-home socket directory under /run/user/UID/gnupg is ours to remove.
  fs::path socket_dir = fs::path(socket).parent_path();
  if (socket_dir != fs::path(home_dir) && socket_dir.filename().string().rfind("d.", 0) == 0) {
    ::rmdir(socket_dir.c_str());
  }
  return {};
}

// ---------------------------------------------------------------------------
// Operations

Result<ImportSummary> import_key(Context& ctx, std::string_view key_data,
                                 std::string_view origin) {
  const std::string prefix(origin);
  auto data = Data::borrow(key_data);
  if (!data) return data.error();
  if (gpgme_error_t err = gpgme_op_import(ctx.get(), data->get()); err) {
    return gpg_fail(prefix + ": import failed", err);
  }
  gpgme_import_result_t result = gpgme_op_import_result(ctx.get());
  if (result == nullptr || result->considered == 0) {
    return fail(prefix + ": no OpenPGP key found");
  }
  for (gpgme_import_status_t status = result->imports; status != nullptr; status = status->next) {
    if (status->result != 0) {
      return gpg_fail(prefix + ": key " + (status->fpr != nullptr ? status->fpr : "?") +
                          " not imported",
                      status->result);
    }
  }
  if (result->not_imported > 0) {
    return fail(prefix + ": " + std::to_string(result->not_imported) + " key(s) not imported");
  }
  return ImportSummary{result->considered, result->imported, result->unchanged,
                       result->secret_imported, result->secret_unchanged};
}

Result<ImportSummary> import_key_file(Context& ctx, const std::string& path) {
  auto contents = read_key_file(path);
  if (!contents) return contents.error();
  return import_key(ctx, contents->view(), "OpenPGP key file " + path);
}

Result<SecretBytes> decrypt(Context& ctx, std::string_view ciphertext, size_t max_plaintext) {
  if (ciphertext.empty()) return fail("decryption failed: no data");
  auto in = Data::borrow(ciphertext);
  if (!in) return in.error();
  auto out = Data::secret_sink(max_plaintext);
  if (!out) return out.error();
  gpgme_error_t err = gpgme_op_decrypt(ctx.get(), in->get(), out->get());
  if (out->overflowed()) {
    return fail("decryption failed: plaintext larger than " + std::to_string(max_plaintext) +
                " bytes");
  }
  if (err) {
    std::string message = "decryption failed: " + error_string(err);
    // Naming the key IDs the message was encrypted to tells a "wrong key"
    // apart from a corrupt message.
    gpgme_decrypt_result_t result = gpgme_op_decrypt_result(ctx.get());
    std::string recipients;
    for (gpgme_recipient_t r = result ? result->recipients : nullptr; r != nullptr; r = r->next) {
      if (r->keyid == nullptr) continue;
      recipients += (recipients.empty() ? "" : ", ") + std::string(r->keyid);
    }
    if (!recipients.empty()) message += "; message is encrypted to key ID " + recipients;
    if (result != nullptr && result->unsupported_algorithm != nullptr) {
      message += std::string("; unsupported algorithm ") + result->unsupported_algorithm;
    }
    return fail(message, static_cast<int>(gpgme_err_code(err)));
  }
  return out->take_secret();
}

Result<std::string> encrypt_to(Context& ctx, std::string_view recipient, std::string_view plaintext,
                               EncryptOptions options) {
  auto key = get_key(ctx, recipient, /*secret=*/false);
  if (!key) return key.error();
  std::array<gpgme_key_t, 2> keys{key->get(), nullptr};
  auto in = Data::borrow(plaintext);
  if (!in) return in.error();
  auto out = Data::create();
  if (!out) return out.error();
  gpgme_set_armor(ctx.get(), options.armor ? 1 : 0);

  gpgme_error_t err = 0;
  if (options.sign) {
    auto signer = get_key(ctx, recipient, /*secret=*/true);
    if (!signer) return signer.error();
    gpgme_signers_clear(ctx.get());
    if ((err = gpgme_signers_add(ctx.get(), signer->get()))) return gpg_fail("gpgme_signers_add", err);
    err = gpgme_op_encrypt_sign(ctx.get(), keys.data(), GPGME_ENCRYPT_ALWAYS_TRUST, in->get(),
                                out->get());
    gpgme_signers_clear(ctx.get());
  } else {
    err = gpgme_op_encrypt(ctx.get(), keys.data(), GPGME_ENCRYPT_ALWAYS_TRUST, in->get(),
                           out->get());
  }
  if (err) return gpg_fail("cannot encrypt to " + std::string(recipient), err);
  gpgme_encrypt_result_t result = gpgme_op_encrypt_result(ctx.get());
  if (result != nullptr && result->invalid_recipients != nullptr) {
    return gpg_fail("cannot encrypt to " + std::string(recipient),
                    result->invalid_recipients->reason);
  }
  return out->contents();
}

Result<std::string> generate_key(Context& ctx, const KeySpec& spec) {
  if (spec.user_id.empty() || spec.user_id.find_first_of("\r\n") != std::string::npos) {
    return fail("OpenPGP user ID must be one non-empty line");
  }
  unsigned never = spec.expires_seconds == 0 ? GPGME_CREATE_NOEXPIRE : 0;
  gpgme_error_t err = gpgme_op_createkey(
      ctx.get(), spec.user_id.c_str(), spec.algorithm.c_str(), 0, spec.expires_seconds, nullptr,
      GPGME_CREATE_SIGN | GPGME_CREATE_AUTH | GPGME_CREATE_NOPASSWD | GPGME_CREATE_FORCE | never);
  if (err) return gpg_fail("cannot generate " + spec.algorithm + " OpenPGP key", err);
  gpgme_genkey_result_t result = gpgme_op_genkey_result(ctx.get());
  if (result == nullptr || result->fpr == nullptr) return fail("key generation gave no fingerprint");
  std::string fingerprint = result->fpr;

  auto key = get_key(ctx, fingerprint, /*secret=*/true);
  if (!key) return key.error();
  err = gpgme_op_createsubkey(ctx.get(), key->get(), spec.subkey_algorithm.c_str(), 0,
                              spec.expires_seconds,
                              GPGME_CREATE_ENCR | GPGME_CREATE_NOPASSWD | never);
  if (err) return gpg_fail("cannot generate " + spec.subkey_algorithm + " OpenPGP subkey", err);
  for (char& c : fingerprint) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return fingerprint;
}

Result<std::string> export_public_key(Context& ctx, std::string_view fingerprint,
                                      const ExportOptions& options) {
  auto out = export_key(ctx, fingerprint, options, /*secret=*/false);
  if (!out) return out.error();
  auto text = out->contents();
  if (!text) return text.error();
  if (text->empty()) return fail("no public key " + std::string(fingerprint) + " to export");
  if (options.comment.empty() || !options.armor) return text;
  auto at = comment_insert_position(*text, options.comment);
  if (!at) return at.error();
  text->insert(*at, "Comment: " + options.comment + "\n");
  return text;
}

Result<SecretBytes> export_secret_key(Context& ctx, std::string_view fingerprint,
                                      const ExportOptions& options) {
  auto out = export_key(ctx, fingerprint, options, /*secret=*/true);
  if (!out) return out.error();
  SecretBytes key = out->take_secret();
  if (key.empty()) return fail("no secret key " + std::string(fingerprint) + " to export");
  if (options.comment.empty() || !options.armor) return key;
  auto at = comment_insert_position(key.view(), options.comment);
  if (!at) return at.error();
  SecretBytes commented(key.view().substr(0, *at));
  std::string header = "Comment: " + options.comment + "\n";
  commented.append(header.data(), header.size());
  std::string_view rest = key.view().substr(*at);
  commented.append(rest.data(), rest.size());
  return commented;
}

}  // namespace mandos::gpg
