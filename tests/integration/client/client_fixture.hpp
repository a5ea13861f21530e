// Shared set-up for the mandos-client integration tests: a client's key
// files made with lib tls / lib gpg, an OpenPGP blob encrypted to them, and
// the command line that points the client at those files.
#pragma once

#include <string>
#include <vector>

#include "mandos/test/support.hpp"

namespace mandos::client::test_fixture {

struct ClientKeys {
  std::string pubkey;       // OpenPGP, armored
  std::string seckey;       // OpenPGP, armored, unprotected
  std::string tls_pubkey;   // PEM SubjectPublicKeyInfo
  std::string tls_privkey;  // PEM PKCS#8
  std::string key_id;       // 64 uppercase hex digits
  std::string fingerprint;  // OpenPGP primary key
};

// Makes a fresh key set in dir (files 0644, so an unprivileged client can
// read them). Fails the current test on error.
ClientKeys make_client_keys(const std::string& dir);

// An OpenPGP message with `plaintext` encrypted to keys (as a server's
// `secret` holds it, binary).
std::string encrypt_for(const ClientKeys& keys, const std::string& scratch_dir,
                        const std::string& plaintext);

std::string client_binary();
std::string route_helper_binary();
std::string fake_server_binary();

// --pubkey... --tls-privkey for keys, plus --network-hook-dir.
std::vector<std::string> key_arguments(const ClientKeys& keys, const std::string& hook_dir);

// True when the test runs as root (namespaces, set-uid copies).
bool running_as_root();

// A fake server (client_test_server) in the background; port() is read
// from its stdout.
class FakeServer {
 public:
  FakeServer(const std::string& log_dir, const std::string& address,
             const std::string& payload_file, const std::string& mode,
             const std::vector<std::string>& prefix = {});
  int port() const { return port_; }
  std::string log() const { return process_.stderr_text(); }
  int connections() const;

 private:
  test::BackgroundProcess process_;
  int port_ = 0;
};

}  // namespace mandos::client::test_fixture
