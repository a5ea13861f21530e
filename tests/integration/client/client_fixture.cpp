#include "client_fixture.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>

#include "mandos/gpg.hpp"
#include "mandos/tls.hpp"

namespace mandos::client::test_fixture {
namespace {

template <class T>
T must(Result<T> result, const std::string& what) {
  if (!result) throw std::runtime_error(what + ": " + result.error().message);
  return std::move(*result);
}

}  // namespace

ClientKeys make_client_keys(const std::string& dir) {
  ClientKeys keys{dir + "/pubkey.txt", dir + "/seckey.txt", dir + "/tls-pubkey.pem",
                  dir + "/tls-privkey.pem", "", ""};
  auto init = must(tls::GlobalInit::create(), "gnutls init");
  auto privkey = must(tls::generate_privkey(GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA),
                      "TLS key");
  auto pubkey = must(tls::pubkey_from_privkey(privkey), "TLS public key");
  test::write_file(keys.tls_pubkey, must(tls::export_pubkey(pubkey, GNUTLS_X509_FMT_PEM), "export"),
                   0644);
  auto pem = must(tls::export_privkey_pkcs8_pem(privkey), "export private key");
  test::write_file(keys.tls_privkey, std::string(pem.view()), 0644);
  keys.key_id = must(tls::pubkey_key_id(pubkey), "key id");

  auto home = must(gpg::TempGnupgHome::create_in(dir), "GnuPG home");
  auto context = must(gpg::Context::create(home.path()), "GPGME context");
  gpg::KeySpec spec;
  spec.user_id = "Mandos client test <test@example.invalid>";
  spec.algorithm = "ed25519";
  spec.subkey_algorithm = "cv25519";
  keys.fingerprint = must(gpg::generate_key(context, spec), "OpenPGP key");
  test::write_file(keys.pubkey, must(gpg::export_public_key(context, keys.fingerprint), "export"),
                   0644);
  auto secret = must(gpg::export_secret_key(context, keys.fingerprint), "export secret key");
  test::write_file(keys.seckey, std::string(secret.view()), 0644);
  return keys;
}

std::string encrypt_for(const ClientKeys& keys, const std::string& scratch_dir,
                        const std::string& plaintext) {
  auto home = must(gpg::TempGnupgHome::create_in(scratch_dir), "GnuPG home");
  auto context = must(gpg::Context::create(home.path()), "GPGME context");
  must(gpg::import_key_file(context, keys.pubkey), "import");
  must(gpg::import_key_file(context, keys.seckey), "import");
  gpg::EncryptOptions options;
  options.armor = false;
  return must(gpg::encrypt_to(context, keys.fingerprint, plaintext, options), "encrypt");
}

// test::build_path() is compiled without the build directory; this file
// gets it from its own target.
std::string build_file(const std::string& relative) {
  return std::string(MANDOS_BUILD_DIR) + "/" + relative;
}

std::string client_binary() { return build_file("client/mandos-client"); }
std::string route_helper_binary() { return build_file("client/mandos-client-iprouteadddel"); }
std::string fake_server_binary() {
  return build_file("tests/integration/client/client_test_server");
}

std::vector<std::string> key_arguments(const ClientKeys& keys, const std::string& hook_dir) {
  return {"--pubkey=" + keys.pubkey, "--seckey=" + keys.seckey,
          "--tls-pubkey=" + keys.tls_pubkey, "--tls-privkey=" + keys.tls_privkey,
          "--network-hook-dir=" + hook_dir};
}

bool running_as_root() { return ::geteuid() == 0; }

FakeServer::FakeServer(const std::string& log_dir, const std::string& address,
                       const std::string& payload_file, const std::string& mode,
                       const std::vector<std::string>& prefix)
    : process_(
          [&] {
            std::vector<std::string> argv = prefix;
            for (const auto& arg : {fake_server_binary(), address, std::string("0"),
                                    payload_file, mode}) {
              argv.push_back(arg);
            }
            return argv;
          }(),
          log_dir) {
  test::wait_until([&] { return process_.stdout_text().find('\n') != std::string::npos; },
                   std::chrono::seconds(10));
  port_ = std::atoi(process_.stdout_text().c_str());
  if (port_ <= 0) throw std::runtime_error("fake server did not start: " + log());
}

int FakeServer::connections() const {
  std::string text = log();
  int count = 0;
  for (size_t at = text.find("connection\n"); at != std::string::npos;
       at = text.find("connection\n", at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace mandos::client::test_fixture
