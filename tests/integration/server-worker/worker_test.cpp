// Scenario tests of the real mandos-tls-worker binary: the test plays the
// server's main process (channel + listening socket, ipc codec) and the
// clients (mandos-fake-client, or in-test GnuTLS code). Keys are made at
// test time. Assertions are about outcomes and ordering, never timings; the
// time limits below only keep a broken worker from hanging the test.
#include <gnutls/x509.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ipc.hpp"
#include "mandos/keyid.hpp"
#include "mandos/test/support.hpp"
#include "mandos/tls.hpp"
#include "test_client.hpp"
#include "worker_harness.hpp"

namespace mandos::test::worker {
namespace {

namespace ipc = server::ipc;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// Hang guards only.
constexpr std::chrono::seconds kWait{30};

size_t count_of(const std::string& haystack, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

// True if the peer closed (or reset) the connection; drains pending data.
bool closed_now(int fd) {
  char buffer[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n == 0) return true;
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  }
}

bool wait_closed(int fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (closed_now(fd)) return true;
    pollfd pfd{fd, POLLIN, 0};
    ::poll(&pfd, 1, 100);
  }
  return closed_now(fd);
}

class WorkerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_dir_ = new TempDir("worker-test-keys");
    auto key = client::make_key_files(keys_dir_->path(), "client");
    ASSERT_TRUE(key) << key.error().message;
    key_ = new client::KeyFiles(*key);
  }
  static void TearDownTestSuite() {
    delete key_;
    delete keys_dir_;
  }

  void SetUp() override {
    auto credentials =
        tls::CertificateCredentials::from_rawpk_files(key_->pubkey_path, key_->privkey_path);
    ASSERT_TRUE(credentials) << credentials.error().message;
    credentials_ = std::make_unique<tls::CertificateCredentials>(std::move(*credentials));
  }

  // Starts the worker (with --debug, so its log is in worker_log()) and
  // checks that Hello is its first message.
  void start(std::vector<std::string> args = {}, const std::string& address = "::1",
             bool drop_root = true) {
    auto listener = listen_on_loopback(address);
    ASSERT_TRUE(listener) << listener.error().message;
    listener_ = std::move(*listener);
    args.push_back("--debug");
    auto worker = WorkerProcess::start({MANDOS_TLS_WORKER, args, dir_.file("worker.log"), drop_root},
                                       listener_.fd.get());
    ASSERT_TRUE(worker) << worker.error().message;
    worker_ = std::move(*worker);
    auto hello = worker_->receive(kWait);
    ASSERT_TRUE(hello) << hello.error().message << "\n" << worker_log();
    ASSERT_TRUE(std::holds_alternative<ipc::Hello>(*hello));
    EXPECT_EQ(std::get<ipc::Hello>(*hello).version, ipc::kProtocolVersion);
  }

  std::string worker_log() const { return read_file(dir_.file("worker.log")); }

  ipc::SecretRequest expect_request() {
    auto message = worker_->receive(kWait);
    if (!message) {
      ADD_FAILURE() << message.error().message << "\n" << worker_log();
      return {};
    }
    if (!std::holds_alternative<ipc::SecretRequest>(*message)) {
      ADD_FAILURE() << "expected SecretRequest, got message #" << message->index();
      return {};
    }
    return std::get<ipc::SecretRequest>(*message);
  }

  ipc::ConnectionEnded expect_ended() {
    auto message = worker_->receive(kWait);
    if (!message) {
      ADD_FAILURE() << message.error().message << "\n" << worker_log();
      return {};
    }
    if (!std::holds_alternative<ipc::ConnectionEnded>(*message)) {
      ADD_FAILURE() << "expected ConnectionEnded, got message #" << message->index();
      return {};
    }
    return std::get<ipc::ConnectionEnded>(*message);
  }

  void grant(uint64_t connection, const std::string& secret) {
    ASSERT_TRUE(worker_->send(ipc::SecretGrant{connection, SecretBytes(secret)}));
  }
  void refuse(uint64_t connection, ipc::Refusal reason = ipc::Refusal::NotFound) {
    ASSERT_TRUE(worker_->send(ipc::SecretRefusal{connection, reason}));
  }

  // The fake client program, run in the background.
  std::future<RunResult> fake_client(const std::string& send = "1\\r\\n") {
    std::vector<std::string> argv{MANDOS_FAKE_CLIENT,
                                  "--connect=" + listener_.host + ":" +
                                      std::to_string(listener_.port),
                                  "--tls-pubkey=" + key_->pubkey_path,
                                  "--tls-privkey=" + key_->privkey_path, "--send=" + send};
    return std::async(std::launch::async, [argv] {
      RunOptions options;
      options.timeout = std::chrono::seconds(60);
      return run(argv, options);
    });
  }

  // The full happy path for one client; returns the worker's conn id.
  void serve_one_client(const std::string& secret) {
    auto client = fake_client();
    auto request = expect_request();
    EXPECT_EQ(request.key_id, key_->key_id);
    grant(request.connection, secret);
    RunResult result = client.get();
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, secret);
    auto ended = expect_ended();
    EXPECT_EQ(ended.connection, request.connection);
    EXPECT_EQ(ended.outcome, ipc::Outcome::Delivered);
  }

  UniqueFd connect_raw() {
    auto fd = client::connect_tcp(listener_.host, listener_.port, Clock::now() + kWait);
    EXPECT_TRUE(fd) << fd.error().message;
    return fd ? std::move(*fd) : UniqueFd();
  }

  static TempDir* keys_dir_;
  static client::KeyFiles* key_;
  TempDir dir_{"worker-test"};
  std::unique_ptr<tls::CertificateCredentials> credentials_;
  Listener listener_;
  std::unique_ptr<WorkerProcess> worker_;
};

TempDir* WorkerTest::keys_dir_ = nullptr;
client::KeyFiles* WorkerTest::key_ = nullptr;

// ---------------------------------------------------------------------------
// The exchange

TEST_F(WorkerTest, SendsHelloBeforeAnythingElse) {
  start();
  EXPECT_FALSE(worker_->channel_readable());
}

TEST_F(WorkerTest, RequestCarriesTheKeyIdOfTheClientKeyAndItsAddress) {
  start();
  auto client = fake_client();
  auto request = expect_request();
  // Computed independently of GnuTLS: SHA-256 of the DER public key.
  auto expected = key_id_from_pem_file(key_->pubkey_path);
  ASSERT_TRUE(expected) << expected.error().message;
  EXPECT_EQ(request.key_id, *expected);
  EXPECT_EQ(request.peer_address, "::1");
  EXPECT_NE(request.connection, 0u);
  refuse(request.connection);
  EXPECT_EQ(client.get().exit_code, 1);
  EXPECT_EQ(expect_ended().connection, request.connection);
}

TEST_F(WorkerTest, GrantDeliversExactlyTheSecretBytesIncludingNulBytes) {
  start();
  const std::string secret("\0first\0\xff\r\nlast\0", 16);
  serve_one_client(secret);
}

TEST_F(WorkerTest, LargeGrantIsDeliveredWhole) {
  start();
  std::string secret(ipc::kMaxSecretSize, '\0');
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<char>(i * 7 + i / 251);
  serve_one_client(secret);
}

TEST_F(WorkerTest, RefusalGivesTheClientZeroBytesAndACleanCloseNotify) {
  start();
  auto client = fake_client();
  auto request = expect_request();
  refuse(request.connection, ipc::Refusal::Denied);
  RunResult result = client.get();
  // 1 = zero bytes then close_notify; a bare TCP close would be 2.
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(result.out, "");
  auto ended = expect_ended();
  EXPECT_EQ(ended.connection, request.connection);
  EXPECT_EQ(ended.outcome, ipc::Outcome::Failed);
}

TEST_F(WorkerTest, RsaClientKeysWorkToo) {
  auto rsa = client::make_key_files(dir_.path(), "rsa", GNUTLS_PK_RSA);
  ASSERT_TRUE(rsa) << rsa.error().message;
  start();
  auto credentials = tls::CertificateCredentials::from_rawpk_files(rsa->pubkey_path,
                                                                   rsa->privkey_path);
  ASSERT_TRUE(credentials) << credentials.error().message;
  client::ExchangeOptions options;
  options.port = listener_.port;
  auto exchange = std::async(std::launch::async,
                             [&] { return client::run_exchange(options, *credentials); });
  auto request = expect_request();
  EXPECT_EQ(request.key_id, rsa->key_id);
  grant(request.connection, "rsa secret");
  auto result = exchange.get();
  EXPECT_EQ(result.outcome, client::Outcome::Received) << result.error;
  EXPECT_EQ(std::string(result.data.view()), "rsa secret");
  EXPECT_EQ(expect_ended().outcome, ipc::Outcome::Delivered);
}

// ---------------------------------------------------------------------------
// Peer addresses

TEST_F(WorkerTest, Ipv4PeerOnAnIpv6SocketIsReportedInMappedForm) {
  start({}, "::ffff:127.0.0.1");
  auto client = fake_client();
  auto request = expect_request();
  EXPECT_EQ(request.peer_address, "::ffff:127.0.0.1");
  refuse(request.connection);
  EXPECT_EQ(client.get().exit_code, 1);
}

TEST_F(WorkerTest, PeerOnAnIpv4SocketIsReportedAsIpv4) {
  start({}, "127.0.0.1");
  auto client = fake_client();
  auto request = expect_request();
  EXPECT_EQ(request.peer_address, "127.0.0.1");
  refuse(request.connection);
  EXPECT_EQ(client.get().exit_code, 1);
  EXPECT_THAT(worker_log(), HasSubstr("TCP connection from: ('127.0.0.1', "));
}

// ---------------------------------------------------------------------------
// Version lines

TEST_F(WorkerTest, AcceptsVersionLinesZeroOneAndOneWithTrailingWords) {
  start();
  for (const std::string line : {"0\\r\\n", "1\\r\\n", "1 foo\\r\\n"}) {
    SCOPED_TRACE(line);
    auto client = fake_client(line);
    auto request = expect_request();
    grant(request.connection, "secret for " + line);
    RunResult result = client.get();
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "secret for " + line);
    EXPECT_EQ(expect_ended().outcome, ipc::Outcome::Delivered);
  }
}

TEST_F(WorkerTest, RejectsBadVersionLinesAndKeepsServing) {
  start();
  struct Case {
    std::string send;
    std::string logged;
  };
  const std::vector<Case> cases{
      {"2\\r\\n", "Unknown protocol version: '2\\r\\n'"},
      {"\\r\\n", "Unknown protocol version: empty version line"},
      {"x\\r\\n", "Unknown protocol version: invalid literal for int() with base 10: 'x'"},
      {std::string(1000, 'A') + "\\r\\n", "Unknown protocol version: no line end within 64 bytes"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.send.substr(0, 10));
    RunResult result = fake_client(c.send).get();
    EXPECT_EQ(result.exit_code, 2) << result.out;
    EXPECT_THAT(worker_log(), HasSubstr(c.logged));
  }
  EXPECT_TRUE(worker_->running());
  // No request was made for any of them: the next message is this client's.
  serve_one_client("still serving");
}

// ---------------------------------------------------------------------------
// Slow, silent and departing peers

TEST_F(WorkerTest, SilentPeersAreDroppedAtTheHandshakeTimeoutWhileOthersAreServed) {
  start({"--handshake-timeout=5"});
  UniqueFd silent = connect_raw();
  UniqueFd half_handshake = connect_raw();
  ASSERT_TRUE(write_all(half_handshake.get(), "1\r\n", 3));
  serve_one_client("served meanwhile");
  // Ordering: the legitimate client finished while both were still held.
  EXPECT_FALSE(closed_now(silent.get()));
  EXPECT_FALSE(closed_now(half_handshake.get()));
  EXPECT_TRUE(wait_closed(silent.get(), kWait));
  EXPECT_TRUE(wait_closed(half_handshake.get(), kWait));
  std::string log = worker_log();
  EXPECT_THAT(log, HasSubstr("Unknown protocol version: no complete line within 5 s"));
  EXPECT_THAT(log, HasSubstr("Handshake failed: not finished within 5 s"));
  EXPECT_TRUE(worker_->running());
}

TEST_F(WorkerTest, TwoHundredIdleConnectionsDoNotBlockALegitimateOne) {
  start();
  std::vector<UniqueFd> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(connect_raw());
    // Half of them stop in the middle of the version line.
    if (i % 2 == 1) {
      ASSERT_TRUE(write_all(idle.back().get(), "1", 1));
    }
  }
  serve_one_client("not blocked");
  size_t still_open = 0;
  for (const auto& fd : idle) still_open += closed_now(fd.get()) ? 0 : 1;
  EXPECT_EQ(still_open, 200u);
}

TEST_F(WorkerTest, StopsAcceptingAtTheConnectionLimitUntilBelowIt) {
  start({"--max-connections=2", "--handshake-timeout=3"});
  UniqueFd first = connect_raw();
  UniqueFd second = connect_raw();
  auto client = fake_client();
  auto request = expect_request();
  // The third connection was accepted only after both idle ones had ended.
  EXPECT_EQ(count_of(worker_log(), "no complete line within 3 s"), 2u);
  grant(request.connection, "third");
  EXPECT_EQ(client.get().out, "third");
  EXPECT_EQ(expect_ended().outcome, ipc::Outcome::Delivered);
}

TEST_F(WorkerTest, PeerLeavingWhileWaitingIsReportedAsPeerGone) {
  start();
  UniqueFd fd = connect_raw();
  ASSERT_TRUE(write_all(fd.get(), "1\r\n", 3));
  auto made = tls::make_server_side_session(fd.get(), *credentials_,
                                            std::string(tls::kDefaultPriority));
  ASSERT_TRUE(made) << made.error().message;
  std::optional<tls::Session> session(std::move(*made));
  ASSERT_TRUE(client::handshake(*session, Clock::now() + kWait));
  auto request = expect_request();
  session.reset();
  fd.reset();
  auto ended = expect_ended();
  EXPECT_EQ(ended.connection, request.connection);
  EXPECT_EQ(ended.outcome, ipc::Outcome::PeerGone);
  // An answer that crossed ConnectionEnded is ignored.
  grant(request.connection, "too late");
  serve_one_client("next one");
}

TEST_F(WorkerTest, PeerSendingDataWhileWaitingIsDroppedAsFailed) {
  start();
  UniqueFd fd = connect_raw();
  ASSERT_TRUE(write_all(fd.get(), "1\r\n", 3));
  auto made = tls::make_server_side_session(fd.get(), *credentials_,
                                            std::string(tls::kDefaultPriority));
  ASSERT_TRUE(made) << made.error().message;
  ASSERT_TRUE(client::handshake(*made, Clock::now() + kWait));
  auto request = expect_request();
  auto sent = tls::send_step(*made, "unexpected", 10);
  ASSERT_TRUE(sent) << sent.error().message;
  auto ended = expect_ended();
  EXPECT_EQ(ended.connection, request.connection);
  EXPECT_EQ(ended.outcome, ipc::Outcome::Failed);
  EXPECT_THAT(worker_log(), HasSubstr("sent data while waiting for its secret"));
  EXPECT_TRUE(wait_closed(fd.get(), kWait));
}

TEST_F(WorkerTest, PeerWithholdingItsCloseNotifyIsDroppedAtTheCloseTimeoutAsDelivered) {
  start({"--close-timeout=2"});
  UniqueFd fd = connect_raw();
  ASSERT_TRUE(write_all(fd.get(), "1\r\n", 3));
  auto made = tls::make_server_side_session(fd.get(), *credentials_,
                                            std::string(tls::kDefaultPriority));
  ASSERT_TRUE(made) << made.error().message;
  ASSERT_TRUE(client::handshake(*made, Clock::now() + kWait));
  auto request = expect_request();
  grant(request.connection, "kept");
  // Read the secret and the worker's close_notify, but never answer it.
  auto data = client::receive_all(*made, 1024, Clock::now() + kWait);
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_EQ(std::string(data->view()), "kept");
  auto ended = expect_ended();
  EXPECT_EQ(ended.connection, request.connection);
  EXPECT_EQ(ended.outcome, ipc::Outcome::Delivered);
  EXPECT_THAT(worker_log(), HasSubstr("GnuTLS bye failed: no close_notify within 2 s"));
}

// A self-signed X.509 certificate instead of a raw public key.
struct X509Credentials {
  gnutls_x509_privkey_t key = nullptr;
  gnutls_x509_crt_t crt = nullptr;
  gnutls_certificate_credentials_t creds = nullptr;
  ~X509Credentials() {
    if (creds) gnutls_certificate_free_credentials(creds);
    if (crt) gnutls_x509_crt_deinit(crt);
    if (key) gnutls_x509_privkey_deinit(key);
  }
  bool make() {
    time_t now = ::time(nullptr);
    unsigned char serial = 1;
    return gnutls_x509_privkey_init(&key) == 0 &&
           gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, 256, 0) == 0 &&
           gnutls_x509_crt_init(&crt) == 0 && gnutls_x509_crt_set_version(crt, 3) == 0 &&
           gnutls_x509_crt_set_serial(crt, &serial, 1) == 0 &&
           gnutls_x509_crt_set_activation_time(crt, now - 3600) == 0 &&
           gnutls_x509_crt_set_expiration_time(crt, now + 3600) == 0 &&
           gnutls_x509_crt_set_dn(crt, "CN=test", nullptr) == 0 &&
           gnutls_x509_crt_set_key(crt, key) == 0 &&
           gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) == 0 &&
           gnutls_certificate_allocate_credentials(&creds) == 0 &&
           gnutls_certificate_set_x509_key(creds, &crt, 1, key) == 0;
  }
};

TEST_F(WorkerTest, X509PeerIsABadCertificateClosedWithCloseNotifyAndNoRequest) {
  // Let the worker negotiate X.509 too, so the handshake completes.
  start({"--priority=NORMAL:+CTYPE-RAWPK"});
  X509Credentials x509;
  ASSERT_TRUE(x509.make());
  UniqueFd fd = connect_raw();
  ASSERT_TRUE(write_all(fd.get(), "1\r\n", 3));
  auto session = tls::Session::create(GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
  ASSERT_TRUE(session);
  ASSERT_EQ(gnutls_priority_set_direct(session->get(), "NORMAL", nullptr), 0);
  ASSERT_EQ(gnutls_credentials_set(session->get(), GNUTLS_CRD_CERTIFICATE, x509.creds), 0);
  session->set_fd(fd.get());
  ASSERT_TRUE(client::handshake(*session, Clock::now() + kWait));
  auto data = client::receive_all(*session, 1024, Clock::now() + kWait);
  ASSERT_TRUE(data) << data.error().message;  // a clean close_notify...
  EXPECT_TRUE(data->empty());                 // ...and nothing before it
  EXPECT_THAT(worker_log(), HasSubstr("Bad certificate: peer certificate is of type X.509"));
  // No request was made for it: the next message is this client's.
  serve_one_client("after the bad one");
}

// ---------------------------------------------------------------------------
// Fate sharing and the channel

TEST_F(WorkerTest, ClosingTheChannelMakesTheWorkerExitAndReleaseThePort) {
  start();
  int port = listener_.port;
  listener_.fd.reset();  // the worker now holds the only copy
  UniqueFd waiting = connect_raw();
  worker_->close_channel();
  auto status = worker_->wait_exit(kWait);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_TRUE(wait_closed(waiting.get(), kWait));
  auto refused = client::connect_tcp("::1", port, Clock::now() + kWait);
  EXPECT_FALSE(refused);
  auto again = listen_on_loopback("::1", port);
  EXPECT_TRUE(again) << again.error().message;
}

TEST_F(WorkerTest, GarbageOnTheChannelMakesTheWorkerExitNonZero) {
  start();
  ASSERT_TRUE(worker_->send_raw("this is not a frame"));
  auto status = worker_->wait_exit(kWait);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_NE(WEXITSTATUS(*status), 0);
  EXPECT_THAT(worker_log(),
              HasSubstr("CRITICAL: Malformed message from the main process: IPC: frame of "));
}

TEST_F(WorkerTest, AnswerForAConnectionNeverOpenedIsFatal) {
  start();
  refuse(12345);
  auto status = worker_->wait_exit(kWait);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_NE(WEXITSTATUS(*status), 0);
  EXPECT_THAT(worker_log(), HasSubstr("answer for unknown connection 12345"));
}

TEST_F(WorkerTest, DiesWithItsParentEvenWhileTheChannelStaysOpen) {
  auto listener = listen_on_loopback();
  ASSERT_TRUE(listener);
  auto channel = make_socketpair(SOCK_STREAM);
  ASSERT_TRUE(channel);
  auto report = make_pipe();
  ASSERT_TRUE(report);
  // Orphans are re-parented to us, so we can reap the worker.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  pid_t middle = ::fork();
  ASSERT_GE(middle, 0);
  if (middle == 0) {
    auto pid = spawn_worker(MANDOS_TLS_WORKER, {}, channel->second.get(), listener->fd.get(), -1,
                            unprivileged_identity());
    pid_t value = pid ? *pid : -1;
    (void)write_all(report->write.get(), &value, sizeof value);
    ::pause();
    ::_exit(0);
  }
  report->write.reset();
  pid_t worker = -1;
  ASSERT_EQ(::read(report->read.get(), &worker, sizeof worker),
            static_cast<ssize_t>(sizeof worker));
  ASSERT_GT(worker, 0);
  // Hello means the worker has set PR_SET_PDEATHSIG.
  char hello[12];
  pollfd pfd{channel->first.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 30'000), 1);
  ASSERT_EQ(::recv(channel->first.get(), hello, sizeof hello, MSG_WAITALL), 12);
  ::kill(middle, SIGKILL);
  ::waitpid(middle, nullptr, 0);
  int status = 0;
  auto deadline = Clock::now() + kWait;
  pid_t reaped = 0;
  while ((reaped = ::waitpid(worker, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
    ::usleep(10'000);
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  if (reaped == 0) ::kill(worker, SIGKILL);
  ASSERT_EQ(reaped, worker);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

// ---------------------------------------------------------------------------
// Privileges

TEST_F(WorkerTest, RefusesToRunAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  auto listener = listen_on_loopback();
  ASSERT_TRUE(listener);
  auto worker = WorkerProcess::start({MANDOS_TLS_WORKER, {}, dir_.file("root.log"), false},
                                     listener->fd.get());
  ASSERT_TRUE(worker);
  auto status = (*worker)->wait_exit(kWait);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_THAT(read_file(dir_.file("root.log")), HasSubstr("refusing to run as root"));
}

TEST_F(WorkerTest, AllowRootLetsTestsRunItAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  start({"--allow-root"}, "::1", /*drop_root=*/false);
  serve_one_client("as root");
}

TEST_F(WorkerTest, InvalidPriorityIsRefusedAtStartNamingTheOption) {
  auto listener = listen_on_loopback();
  ASSERT_TRUE(listener);
  auto worker = WorkerProcess::start(
      {MANDOS_TLS_WORKER, {"--priority=NONSENSE"}, dir_.file("prio.log"), true},
      listener->fd.get());
  ASSERT_TRUE(worker);
  auto status = (*worker)->wait_exit(kWait);
  ASSERT_TRUE(status);
  EXPECT_NE(WEXITSTATUS(*status), 0);
  EXPECT_THAT(read_file(dir_.file("prio.log")), HasSubstr("--priority"));
}

}  // namespace
}  // namespace mandos::test::worker
