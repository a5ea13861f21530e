#include "mandos/tls.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mandos/fd.hpp"
#include "mandos/keyid.hpp"

namespace mandos::tls {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tls-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_file(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

// A key pair written as tls-pubkey.pem / tls-privkey.pem, like mandos-keygen.
struct KeyFiles {
  std::string pubkey_path;
  std::string privkey_path;
  std::string key_id;  // SHA-256 of the DER SubjectPublicKeyInfo
};

KeyFiles write_key_pair(const TempDir& dir, gnutls_pk_algorithm_t algorithm,
                        gnutls_sec_param_t level, const std::string& prefix = "tls") {
  auto privkey = generate_privkey(algorithm, level);
  EXPECT_TRUE(privkey) << privkey.error().message;
  auto pubkey = pubkey_from_privkey(*privkey);
  auto der = export_pubkey(*pubkey, GNUTLS_X509_FMT_DER);
  auto pem = export_pubkey(*pubkey, GNUTLS_X509_FMT_PEM);
  auto priv_pem = export_privkey_pkcs8_pem(*privkey);
  EXPECT_TRUE(der && pem && priv_pem);
  KeyFiles files{dir.file(prefix + "-pubkey.pem"), dir.file(prefix + "-privkey.pem"),
                 key_id_from_spki_der(*der)};
  write_file(files.pubkey_path, *pem);
  write_file(files.privkey_path, priv_pem->view());
  return files;
}

struct Sockets {
  UniqueFd mandos_client;  // TLS server end
  UniqueFd mandos_server;  // TLS client end
};

Sockets make_sockets() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// What each end of one exchange saw.
struct ClientSide {
  Status handshake;
  Result<SecretBytes> received = fail("not run");
  Status bye;
  gnutls_protocol_t version = GNUTLS_VERSION_UNKNOWN;
};
struct ServerSide {
  Status handshake;
  Result<std::string> peer_der = fail("not run");
  Result<std::string> peer_id = fail("not run");
  Status sent;
  Status bye;
  gnutls_protocol_t version = GNUTLS_VERSION_UNKNOWN;
};

// The Mandos client's part: handshake as TLS server, read to close_notify,
// answer with close_notify. On failure it shuts the socket so the other
// thread cannot block forever.
ClientSide run_mandos_client(UniqueFd fd, const CertificateCredentials& creds,
                             const std::string& priority) {
  ClientSide result;
  auto session = make_server_side_session(fd.get(), creds, priority);
  if (!session) {
    result.handshake = session.error();
    return result;
  }
  result.handshake = handshake(*session);
  result.version = session->version();
  if (result.handshake) {
    result.received = recv_until_eof(*session, 1 << 20);
    if (result.received) result.bye = bye(*session, GNUTLS_SHUT_RDWR);
  }
  ::shutdown(fd.get(), SHUT_RDWR);
  return result;
}

// The Mandos server's part: TLS client, identify the peer, send the secret,
// close_notify and await the peer's.
ServerSide run_mandos_server(UniqueFd fd, const std::string& priority, std::string_view secret) {
  ServerSide result;
  auto session = make_client_side_session(fd.get(), priority);
  if (!session) {
    result.handshake = session.error();
    return result;
  }
  result.handshake = handshake(*session);
  result.version = session->version();
  if (result.handshake) {
    result.peer_der = peer_public_key_der(*session);
    result.peer_id = peer_key_id(*session);
    result.sent = send_all(*session, secret);
    if (result.sent) result.bye = bye(*session, GNUTLS_SHUT_RDWR);
  }
  ::shutdown(fd.get(), SHUT_RDWR);
  return result;
}

struct Exchange {
  ClientSide client;
  ServerSide server;
};

Exchange run_exchange(const CertificateCredentials& creds, const std::string& client_priority,
                      const std::string& server_priority, std::string_view secret) {
  Sockets sockets = make_sockets();
  Exchange exchange;
  std::thread client_thread([&, fd = std::move(sockets.mandos_client)]() mutable {
    exchange.client = run_mandos_client(std::move(fd), creds, client_priority);
  });
  exchange.server = run_mandos_server(std::move(sockets.mandos_server), server_priority, secret);
  client_thread.join();
  return exchange;
}

const std::string kPriority(kDefaultPriority);

class TlsExchange : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto init = GlobalInit::create();
    ASSERT_TRUE(init) << init.error().message;
    init_ = new GlobalInit(std::move(*init));
  }
  static void TearDownTestSuite() {
    delete init_;
    init_ = nullptr;
  }
  static GlobalInit* init_;
  TempDir dir_;
};
GlobalInit* TlsExchange::init_ = nullptr;

void expect_successful_exchange(const KeyFiles& keys) {
  auto creds = CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.privkey_path);
  ASSERT_TRUE(creds) << creds.error().message;
  const std::string secret("secret\0with NUL\n", 16);

  Exchange ex = run_exchange(*creds, kPriority, kPriority, secret);

  ASSERT_TRUE(ex.server.handshake) << ex.server.handshake.error().message;
  ASSERT_TRUE(ex.client.handshake) << ex.client.handshake.error().message;
  EXPECT_EQ(ex.server.version, GNUTLS_TLS1_3);
  EXPECT_EQ(ex.client.version, GNUTLS_TLS1_3);
  ASSERT_TRUE(ex.server.peer_der) << ex.server.peer_der.error().message;
  EXPECT_EQ(key_id_from_spki_der(*ex.server.peer_der), keys.key_id);
  ASSERT_TRUE(ex.server.peer_id) << ex.server.peer_id.error().message;
  EXPECT_EQ(*ex.server.peer_id, keys.key_id);
  auto file_id = key_id_from_pem_file(keys.pubkey_path);
  ASSERT_TRUE(file_id);
  EXPECT_EQ(*ex.server.peer_id, *file_id);
  ASSERT_TRUE(ex.server.sent) << ex.server.sent.error().message;
  ASSERT_TRUE(ex.client.received) << ex.client.received.error().message;
  EXPECT_EQ(ex.client.received->view(), secret);
  EXPECT_TRUE(ex.server.bye) << ex.server.bye.error().message;
  EXPECT_TRUE(ex.client.bye) << ex.client.bye.error().message;
}

TEST_F(TlsExchange, Ed25519RawKeyHandshakeUsesTls13AndRevealsTheClientKeyId) {
  expect_successful_exchange(write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA));
}

TEST_F(TlsExchange, RsaRawKeyHandshakeUsesTls13AndRevealsTheClientKeyId) {
  expect_successful_exchange(write_key_pair(dir_, GNUTLS_PK_RSA, GNUTLS_SEC_PARAM_MEDIUM));
}

TEST_F(TlsExchange, PriorityWithoutRawKeysFailsTheHandshake) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  auto creds = CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.privkey_path);
  ASSERT_TRUE(creds) << creds.error().message;

  Exchange ex = run_exchange(*creds, kPriority, "SECURE128:-VERS-ALL:+VERS-TLS1.3", "x");

  EXPECT_FALSE(ex.server.handshake);
  EXPECT_FALSE(ex.client.handshake);
  ASSERT_FALSE(ex.client.handshake.ok());
  EXPECT_NE(ex.client.handshake.error().message.find("TLS handshake failed"), std::string::npos)
      << ex.client.handshake.error().message;
  EXPECT_FALSE(ex.client.received);
}

TEST_F(TlsExchange, EmptySecretArrivesAsCleanEofWithZeroBytes) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  auto creds = CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.privkey_path);
  ASSERT_TRUE(creds);

  // A refusal: the server sends close_notify without data.
  Exchange ex = run_exchange(*creds, kPriority, kPriority, "");

  ASSERT_TRUE(ex.client.received) << ex.client.received.error().message;
  EXPECT_TRUE(ex.client.received->empty());
  EXPECT_TRUE(ex.client.bye);
  EXPECT_TRUE(ex.server.bye);
}

TEST_F(TlsExchange, BareTcpCloseIsAnErrorNotEof) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  auto creds = CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.privkey_path);
  ASSERT_TRUE(creds);
  Sockets sockets = make_sockets();
  ClientSide client;
  std::thread client_thread([&, fd = std::move(sockets.mandos_client)]() mutable {
    client = run_mandos_client(std::move(fd), *creds, kPriority);
  });
  {
    UniqueFd fd = std::move(sockets.mandos_server);
    auto session = make_client_side_session(fd.get(), kPriority);
    ASSERT_TRUE(session);
    ASSERT_TRUE(handshake(*session));
    ASSERT_TRUE(send_all(*session, "partial"));
    // No gnutls_bye: the fd closes at the end of this scope.
  }
  client_thread.join();

  ASSERT_TRUE(client.handshake);
  ASSERT_FALSE(client.received);
  EXPECT_NE(client.received.error().message.find("TLS receive failed"), std::string::npos)
      << client.received.error().message;
  EXPECT_NE(client.received.error().message.find("GNUTLS_E_PREMATURE_TERMINATION"),
            std::string::npos)
      << client.received.error().message;
}

TEST_F(TlsExchange, SecretLargerThanTheLimitIsRejected) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  auto creds = CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.privkey_path);
  ASSERT_TRUE(creds);
  Sockets sockets = make_sockets();
  Result<SecretBytes> received = fail("not run");
  std::thread client_thread([&, fd = std::move(sockets.mandos_client)]() mutable {
    auto session = make_server_side_session(fd.get(), *creds, kPriority);
    if (session && handshake(*session)) received = recv_until_eof(*session, 10);
    ::shutdown(fd.get(), SHUT_RDWR);
  });
  ServerSide server = run_mandos_server(std::move(sockets.mandos_server), kPriority,
                                        "eleven byte");
  client_thread.join();

  ASSERT_TRUE(server.handshake);
  ASSERT_FALSE(received);
  EXPECT_NE(received.error().message.find("more than 10 bytes"), std::string::npos)
      << received.error().message;
}

TEST_F(TlsExchange, PeerWithoutCertificateHasNoPublicKey) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  auto creds = CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.privkey_path);
  ASSERT_TRUE(creds);
  Sockets sockets = make_sockets();
  Result<std::string> client_view_of_server = fail("not run");
  std::thread client_thread([&, fd = std::move(sockets.mandos_client)]() mutable {
    auto session = make_server_side_session(fd.get(), *creds, kPriority);
    if (session && handshake(*session)) {
      client_view_of_server = peer_public_key_der(*session);
      (void)recv_until_eof(*session, 100);
      (void)bye(*session, GNUTLS_SHUT_RDWR);
    }
    ::shutdown(fd.get(), SHUT_RDWR);
  });
  ServerSide server = run_mandos_server(std::move(sockets.mandos_server), kPriority, "");
  client_thread.join();

  ASSERT_TRUE(server.handshake);
  ASSERT_FALSE(client_view_of_server);
  EXPECT_NE(client_view_of_server.error().message.find("not a raw public key"),
            std::string::npos)
      << client_view_of_server.error().message;
}

// Drives both ends from one thread with non-blocking sockets, as an event
// loop would: each step either finishes or says which readiness it needs.
TEST_F(TlsExchange, NonBlockingStepsCompleteAHandshakeInOneThread) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  auto creds = CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.privkey_path);
  ASSERT_TRUE(creds);
  Sockets sockets = make_sockets();
  for (int fd : {sockets.mandos_client.get(), sockets.mandos_server.get()}) {
    ASSERT_EQ(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
  }
  auto client = make_server_side_session(sockets.mandos_client.get(), *creds, kPriority);
  auto server = make_client_side_session(sockets.mandos_server.get(), kPriority);
  ASSERT_TRUE(client && server);

  bool client_done = false;
  bool server_done = false;
  int waits = 0;
  for (int round = 0; round < 100 && !(client_done && server_done); ++round) {
    for (auto [session, done] : {std::pair{&*client, &client_done}, {&*server, &server_done}}) {
      if (*done) continue;
      auto wait = handshake_step(*session);
      ASSERT_TRUE(wait) << wait.error().message;
      if (*wait == Wait::kNone) *done = true;
      if (*wait == Wait::kRead || *wait == Wait::kWrite) ++waits;
    }
  }
  ASSERT_TRUE(client_done && server_done);
  EXPECT_GT(waits, 0);  // the steps did return instead of blocking
  EXPECT_EQ(server->version(), GNUTLS_TLS1_3);
  auto id = peer_key_id(*server);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, keys.key_id);

  // Nothing was sent: a read step must ask to wait, not block or fail.
  char byte = 0;
  auto step = recv_step(*client, &byte, 1);
  ASSERT_TRUE(step) << step.error().message;
  EXPECT_EQ(step->wait, Wait::kRead);
  EXPECT_EQ(step->bytes, 0u);
}

TEST_F(TlsExchange, StopPredicateAbortsAHandshakeWaitingForThePeer) {
  // The peer end stays silent, so the handshake must wait for a reply. On a
  // non-blocking fd the predicate is asked before every wait (a blocking fd
  // only consults it when a signal interrupts the read).
  Sockets sockets = make_sockets();
  int fd = sockets.mandos_server.get();
  ASSERT_EQ(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
  auto session = make_client_side_session(sockets.mandos_server.get(), kPriority);
  ASSERT_TRUE(session);
  int asked = 0;
  Status status = handshake(*session, [&] { return ++asked > 0; });
  ASSERT_FALSE(status);
  EXPECT_EQ(asked, 1);
  EXPECT_NE(status.error().message.find("interrupted"), std::string::npos)
      << status.error().message;
}

TEST_F(TlsExchange, DebugLogLinesReachTheCallbackWithoutNewlines) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  auto creds = CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.privkey_path);
  ASSERT_TRUE(creds);
  std::mutex mutex;
  std::vector<std::string> lines;
  set_log_callback([&](int level, std::string_view line) {
    std::lock_guard lock(mutex);
    EXPECT_GT(level, 0);
    lines.emplace_back(line);
  });
  set_log_level(kDebugLogLevel);
  Exchange ex = run_exchange(*creds, kPriority, kPriority, "s");
  set_log_level(0);
  set_log_callback({});

  EXPECT_TRUE(ex.server.bye);
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    EXPECT_TRUE(line.empty() || line.back() != '\n') << line;
  }
}

TEST(Priority, DefaultPriorityIsValid) {
  auto priority = make_priority(kPriority);
  EXPECT_TRUE(priority) << priority.error().message;
}

TEST(Priority, InvalidStringErrorNamesTheOffendingPart) {
  auto priority = make_priority("SECURE128:+BOGUS-THING");
  ASSERT_FALSE(priority);
  EXPECT_NE(priority.error().message.find("BOGUS-THING"), std::string::npos)
      << priority.error().message;
  EXPECT_NE(priority.error().message.find("at offset 10"), std::string::npos)
      << priority.error().message;
}

TEST(Priority, InvalidStringFailsSessionCreation) {
  auto session = make_client_side_session(-1, "NONSENSE:::");
  ASSERT_FALSE(session);
  EXPECT_NE(session.error().message.find("invalid priority string"), std::string::npos)
      << session.error().message;
}

TEST(ErrorString, NamesTheGnutlsErrorCode) {
  std::string text = error_string(GNUTLS_E_PREMATURE_TERMINATION);
  EXPECT_NE(text.find("GNUTLS_E_PREMATURE_TERMINATION"), std::string::npos) << text;
  EXPECT_NE(text.find("terminated"), std::string::npos) << text;
}

TEST(KeyType, CerttoolNamesMapToAlgorithms) {
  auto ed = parse_key_type("ed25519");
  auto rsa = parse_key_type("RSA");
  ASSERT_TRUE(ed && rsa);
  EXPECT_EQ(*ed, GNUTLS_PK_EDDSA_ED25519);
  EXPECT_EQ(*rsa, GNUTLS_PK_RSA);
  auto bad = parse_key_type("elgamal");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"elgamal\""), std::string::npos);
}

TEST(PrivateKeyExport, IsUnencryptedPkcs8Pem) {
  auto privkey = generate_privkey(GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  ASSERT_TRUE(privkey);
  auto pem = export_privkey_pkcs8_pem(*privkey);
  ASSERT_TRUE(pem);
  EXPECT_EQ(pem->view().rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << pem->view();
}

// Credential loading errors name the file at fault.
class RawKeyCredentials : public ::testing::Test {
 protected:
  static void expect_error(const Result<CertificateCredentials>& creds,
                           const std::vector<std::string>& facts) {
    ASSERT_FALSE(creds);
    for (const std::string& fact : facts) {
      EXPECT_NE(creds.error().message.find(fact), std::string::npos)
          << "missing \"" << fact << "\" in: " << creds.error().message;
    }
  }
  TempDir dir_;
};

TEST_F(RawKeyCredentials, MissingPrivateKeyFileIsNamed) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  std::string absent = dir_.file("absent-privkey.pem");
  expect_error(CertificateCredentials::from_rawpk_files(keys.pubkey_path, absent),
               {"TLS private key", absent, "No such file"});
}

TEST_F(RawKeyCredentials, SwappedFilesAreReportedAsWrongType) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  expect_error(CertificateCredentials::from_rawpk_files(keys.privkey_path, keys.pubkey_path),
               {"TLS public key", keys.privkey_path, "contains a private key"});
}

TEST_F(RawKeyCredentials, PublicKeyInPrivateKeySlotIsReported) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  expect_error(CertificateCredentials::from_rawpk_files(keys.pubkey_path, keys.pubkey_path),
               {"TLS private key", keys.pubkey_path, "contains a public key"});
}

TEST_F(RawKeyCredentials, KeysFromDifferentPairsAreRejected) {
  KeyFiles a = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA, "a");
  KeyFiles b = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA, "b");
  expect_error(CertificateCredentials::from_rawpk_files(a.pubkey_path, b.privkey_path),
               {a.pubkey_path, b.privkey_path, "does not belong"});
}

TEST_F(RawKeyCredentials, EncryptedPrivateKeyIsRejected) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  std::string path = dir_.file("encrypted.pem");
  write_file(path, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n"
                   "-----END ENCRYPTED PRIVATE KEY-----\n");
  expect_error(CertificateCredentials::from_rawpk_files(keys.pubkey_path, path),
               {path, "encrypted"});
}

TEST_F(RawKeyCredentials, GarbledPrivateKeyIsMalformed) {
  KeyFiles keys = write_key_pair(dir_, GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  std::string path = dir_.file("garbled.pem");
  write_file(path, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  expect_error(CertificateCredentials::from_rawpk_files(keys.pubkey_path, path),
               {"TLS private key", path, "malformed private key"});
}

TEST_F(RawKeyCredentials, CerttoolGeneratedKeysLoad) {
  std::string priv = dir_.file("tls-privkey.pem");
  std::string pub = dir_.file("tls-pubkey.pem");
  std::string command = "certtool --generate-privkey --password='' --sec-param ultra "
                        "--key-type=ed25519 --pkcs8 --no-text --outfile '" + priv +
                        "' 2>/dev/null && certtool --load-privkey '" + priv +
                        "' --pubkey-info --no-text --outfile '" + pub + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto creds = CertificateCredentials::from_rawpk_files(pub, priv);
  EXPECT_TRUE(creds) << creds.error().message;
}

TEST(DhParams, GarbageFileIsRejectedNamingIt) {
  TempDir dir;
  std::string path = dir.file("dhparams.pem");
  write_file(path, "not dh params\n");
  auto params = load_dh_params_pem_file(path);
  ASSERT_FALSE(params);
  EXPECT_NE(params.error().message.find(path), std::string::npos) << params.error().message;
}

TEST(DhParams, CerttoolGeneratedParamsLoadIntoCredentials) {
  TempDir dir;
  std::string path = dir.file("dhparams.pem");
  // The smallest size certtool accepts keeps the test quick.
  std::string command = "certtool --generate-dh-params --bits 1024 --outfile '" + path +
                        "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto params = load_dh_params_pem_file(path);
  ASSERT_TRUE(params) << params.error().message;
  auto creds = CertificateCredentials::create();
  ASSERT_TRUE(creds);
  creds->set_dh_params(std::move(*params));
}

}  // namespace
}  // namespace mandos::tls
