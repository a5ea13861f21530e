// The Mandos client side of one exchange (protocol.md §3), without OpenPGP:
// connect, send the version line, TLS handshake as the TLS server with a raw
// public key, read to close_notify, answer with close_notify. Used by the
// mandos-fake-client program, the worker tests and the server benchmark.
// Every step has a deadline; nothing blocks without one.
#pragma once

#include <gnutls/gnutls.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "mandos/fd.hpp"
#include "mandos/result.hpp"
#include "mandos/secret.hpp"
#include "mandos/tls.hpp"

namespace mandos::test::client {

using Clock = std::chrono::steady_clock;

struct ExchangeOptions {
  std::string host = "::1";
  int port = 0;
  std::string preamble = "1\r\n";  // raw bytes sent before TLS
  std::string priority = std::string(tls::kDefaultPriority);
  std::chrono::milliseconds timeout{30'000};  // for the whole exchange
  size_t max_bytes = 16 << 20;
};

enum class Outcome {
  Received,  // at least one byte, then a clean close_notify
  Refused,   // zero bytes, then a clean close_notify
  Error,     // anything else (handshake failure, bare TCP close, timeout)
};

struct ExchangeResult {
  Outcome outcome = Outcome::Error;
  SecretBytes data;
  std::string error;  // for Outcome::Error
};

ExchangeResult run_exchange(const ExchangeOptions& options,
                            const tls::CertificateCredentials& credentials);

// "HOST:PORT", split at the last colon; "[HOST]:PORT" also accepted.
[[nodiscard]] Status parse_host_port(const std::string& text, std::string& host, int& port);

// A non-blocking TCP connection, made within the deadline.
[[nodiscard]] Result<UniqueFd> connect_tcp(const std::string& host, int port,
                                           Clock::time_point deadline);

// Drives a TLS handshake on a non-blocking socket until the deadline.
[[nodiscard]] Status handshake(tls::Session& session, Clock::time_point deadline);
// Reads application data until close_notify (at most max_bytes).
[[nodiscard]] Result<SecretBytes> receive_all(tls::Session& session, size_t max_bytes,
                                              Clock::time_point deadline);

// Waits until fd is readable/writable or the deadline passes.
[[nodiscard]] Status wait_fd(int fd, tls::Wait wait, Clock::time_point deadline);

// A raw-key pair written as tls-pubkey.pem / tls-privkey.pem style files.
struct KeyFiles {
  std::string pubkey_path;
  std::string privkey_path;
  std::string key_id;  // as gnutls_pubkey_get_key_id(SHA-256) reports it
};
[[nodiscard]] Result<KeyFiles> make_key_files(const std::string& directory,
                                              const std::string& name,
                                              gnutls_pk_algorithm_t algorithm =
                                                  GNUTLS_PK_EDDSA_ED25519);

}  // namespace mandos::test::client
