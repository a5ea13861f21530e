// One attempt to get the password from one Mandos server (client.md §6,
// protocol.md §3): connect, send the protocol version, TLS handshake in the
// TLS *server* role with our raw public key, read the encrypted secret up to
// close_notify, answer with our own close_notify, then decrypt.
//
// Every step is bounded in time and size, unlike the reference (which
// waits for ever on a silent server): a stalled server costs one attempt,
// not the boot.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "mandos/result.hpp"
#include "mandos/secret.hpp"
#include "mandos/tls.hpp"

namespace mandos::client {

class Decryptor;
namespace privsep {
class HelperClient;
}

inline constexpr size_t kMaxEncryptedSecret = size_t{1} << 20;
inline constexpr std::chrono::seconds kConnectTimeout{30};
inline constexpr std::chrono::seconds kHandshakeTimeout{60};
// From the end of the handshake to the server's close_notify. The server
// may hold the connection while it waits for an administrator's approval
// (approval_delay), so this is long; after it the attempt is retried.
inline constexpr std::chrono::hours kSecretTimeout{1};
inline constexpr std::chrono::seconds kByeTimeout{10};

// A server to try: numeric address, port and, if known, the interface it
// was found on (the scope of IPv6 link-local addresses).
struct Server {
  int family = AF_INET6;
  uint8_t address[16] = {};
  uint16_t port = 0;
  unsigned ifindex = 0;  // 0: unknown
  std::string ifname;

  std::string address_text() const;
  std::string description() const;  // "ADDRESS, port PORT" for messages
};

// Parses a numeric IPv4/IPv6 address.
[[nodiscard]] Result<Server> make_server(int family, const std::string& address, uint16_t port);

struct AttemptContext {
  const tls::CertificateCredentials* credentials = nullptr;
  std::string priority;
  Decryptor* decryptor = nullptr;
  privsep::HelperClient* helper = nullptr;
  bool route_workaround = false;  // Zeroconf mode with a route helper
  bool debug = false;
};

enum class Outcome {
  kSecret,       // plaintext holds the password
  kFailed,       // refused, no data, or an error (already reported)
  kInterrupted,  // a signal arrived
};

struct AttemptResult {
  Outcome outcome = Outcome::kFailed;
  SecretBytes plaintext;
};

AttemptResult attempt(const Server& server, AttemptContext& context);

}  // namespace mandos::client
