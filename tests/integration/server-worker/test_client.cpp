#include "test_client.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace mandos::test::client {
namespace {

Status write_file(const std::string& path, std::string_view contents, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return fail("open " + path + ": " + std::strerror(errno));
  return write_all(fd.get(), contents.data(), contents.size());
}

template <class Step>
Status drive(tls::Session& session, Clock::time_point deadline, Step step) {
  for (;;) {
    Result<tls::Wait> wait = step();
    if (!wait) return wait.error();
    if (*wait == tls::Wait::kNone) return {};
    if (Status ok = wait_fd(session.fd(), *wait, deadline); !ok) return ok;
  }
}

Status send_preamble(int fd, std::string_view bytes, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (Status ok = wait_fd(fd, tls::Wait::kWrite, deadline); !ok) return ok;
    } else {
      return fail(std::string("sending the version line: ") + std::strerror(errno));
    }
  }
  return {};
}

}  // namespace

Result<SecretBytes> receive_all(tls::Session& session, size_t max_bytes,
                                Clock::time_point deadline) {
  SecretBytes data;
  std::array<char, 16384> buffer{};
  for (int idle = 0; idle < 64;) {
    auto step = tls::recv_step(session, buffer.data(), buffer.size());
    if (!step) return step.error();
    if (step->eof) return data;
    if (step->bytes > 0) {
      if (data.size() + step->bytes > max_bytes) return fail("more than the maximum of bytes");
      data.append(buffer.data(), step->bytes);
      secure_wipe(buffer.data(), step->bytes);
    } else if (step->wait != tls::Wait::kNone) {
      if (Status ok = wait_fd(session.fd(), step->wait, deadline); !ok) return ok.error();
    } else {
      ++idle;
    }
  }
  return fail("too many TLS alerts");
}

Status handshake(tls::Session& session, Clock::time_point deadline) {
  return drive(session, deadline, [&] { return tls::handshake_step(session); });
}

Status wait_fd(int fd, tls::Wait wait, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return fail("timed out");
    pollfd pfd{fd, static_cast<short>(wait == tls::Wait::kWrite ? POLLOUT : POLLIN), 0};
    int ret = ::poll(&pfd, 1, static_cast<int>(left));
    if (ret > 0) return {};
    if (ret < 0 && errno != EINTR) return fail(std::string("poll: ") + std::strerror(errno));
  }
}

Status parse_host_port(const std::string& text, std::string& host, int& port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return fail("\"" + text + "\" is not HOST:PORT");
  }
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string digits = text.substr(colon + 1);
  char* end = nullptr;
  long value = std::strtol(digits.c_str(), &end, 10);
  if (*end != '\0' || value < 1 || value > 65535) return fail("bad port \"" + digits + "\"");
  port = static_cast<int>(value);
  return {};
}

Result<UniqueFd> connect_tcp(const std::string& host, int port, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int ret = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (ret != 0) return fail(host + ": " + ::gai_strerror(ret));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return fail(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    if (Status ok = wait_fd(fd.get(), tls::Wait::kWrite, deadline); !ok) return ok.error();
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == 0) return fd;
    last_error = std::strerror(error);
  }
  return fail("connect to " + host + " port " + std::to_string(port) + ": " + last_error);
}

ExchangeResult run_exchange(const ExchangeOptions& options,
                            const tls::CertificateCredentials& credentials) {
  ExchangeResult result;
  auto deadline = Clock::now() + options.timeout;
  auto failed = [&](const std::string& what, const Error& error) {
    result.outcome = Outcome::Error;
    result.error = what + ": " + error.message;
    return std::move(result);
  };
  auto fd = connect_tcp(options.host, options.port, deadline);
  if (!fd) return failed("connect", fd.error());
  if (Status ok = send_preamble(fd->get(), options.preamble, deadline); !ok) {
    return failed("version line", ok.error());
  }
  auto session = tls::make_server_side_session(fd->get(), credentials, options.priority);
  if (!session) return failed("TLS setup", session.error());
  if (Status ok = handshake(*session, deadline); !ok) {
    return failed("handshake", ok.error());
  }
  auto data = receive_all(*session, options.max_bytes, deadline);
  if (!data) return failed("receive", data.error());
  // Our close_notify in answer; the data is complete whatever happens here.
  (void)drive(*session, deadline, [&] { return tls::bye_step(*session, GNUTLS_SHUT_RDWR); });
  result.data = std::move(*data);
  result.outcome = result.data.empty() ? Outcome::Refused : Outcome::Received;
  return result;
}

Result<KeyFiles> make_key_files(const std::string& directory, const std::string& name,
                                gnutls_pk_algorithm_t algorithm) {
  // RSA at the "ultra" level takes minutes to generate; tests need no more
  // than "medium".
  auto level = algorithm == GNUTLS_PK_RSA ? GNUTLS_SEC_PARAM_MEDIUM : GNUTLS_SEC_PARAM_ULTRA;
  auto privkey = tls::generate_privkey(algorithm, level);
  if (!privkey) return privkey.error();
  auto pubkey = tls::pubkey_from_privkey(*privkey);
  if (!pubkey) return pubkey.error();
  auto pub_pem = tls::export_pubkey(*pubkey, GNUTLS_X509_FMT_PEM);
  if (!pub_pem) return pub_pem.error();
  auto priv_pem = tls::export_privkey_pkcs8_pem(*privkey);
  if (!priv_pem) return priv_pem.error();
  auto key_id = tls::pubkey_key_id(*pubkey);
  if (!key_id) return key_id.error();
  KeyFiles files{directory + "/" + name + "-pubkey.pem", directory + "/" + name + "-privkey.pem",
                 *key_id};
  if (Status ok = write_file(files.pubkey_path, *pub_pem, 0644); !ok) return ok.error();
  if (Status ok = write_file(files.privkey_path, priv_pem->view(), 0600); !ok) return ok.error();
  return files;
}

}  // namespace mandos::test::client
