// Debian's reference Mandos 1.8.16 server for interop tests and the client
// benchmark (see shared reference interop-notes.md): keys and clients.conf
// made by Debian's mandos-keygen, a private D-Bus system bus (the server
// connects to one even with --no-dbus), the server on [::1] with Zeroconf
// and D-Bus off, in a directory tree the _mandos user can reach.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "mandos/test/private_bus.hpp"
#include "mandos/test/support.hpp"

namespace mandos::client::interop {

inline constexpr const char* kReferenceClient =
    "/usr/lib/x86_64-linux-gnu/mandos/plugins.d/mandos-client";

// Runs tests/interop/install-reference.sh (idempotent). Returns an empty
// string when the reference is installed, else why not.
std::string ensure_reference_installed();

struct KeySet {
  std::string dir;
  std::string key_id;  // as in the clients.conf section (lowercase)
};

class ReferenceServer {
 public:
  // Makes a key set for client "NAME" with `secret` (exact bytes) and
  // starts the server with that one client. Throws on failure.
  explicit ReferenceServer(const std::string& secret);
  ~ReferenceServer();

  int port() const { return port_; }
  const KeySet& keys() const { return keys_; }
  // A key set the server does not know.
  KeySet make_unknown_keys();
  std::string log() const;
  // --connect, key files and an empty hook dir for a client with `keys`.
  std::vector<std::string> client_arguments(const KeySet& keys) const;

 private:
  KeySet make_keys(const std::string& name);

  test::TempDir dir_{"mandos-interop"};
  KeySet keys_;
  int port_ = 0;
  std::unique_ptr<test::PrivateSystemBus> dbus_;
  std::unique_ptr<test::BackgroundProcess> server_;
};

}  // namespace mandos::client::interop
