#include "reference_server.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <regex>
#include <stdexcept>

#include "mandos/privileges.hpp"

namespace mandos::client::interop {
namespace {

using namespace std::chrono_literals;

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

test::RunResult run_checked(const std::vector<std::string>& argv, const std::string& what) {
  test::RunOptions options;
  options.timeout = 120s;
  auto result = test::run(argv, options);
  check(result.exit_code == 0, what + " failed: " + result.err);
  return result;
}

}  // namespace

std::string ensure_reference_installed() {
  // MANDOS_SOURCE_DIR comes from this file's target (test_support has none).
  std::string script = std::string(MANDOS_SOURCE_DIR) + "/tests/interop/install-reference.sh";
  test::RunOptions options;
  options.timeout = 600s;
  auto result = test::run({"/bin/sh", script}, options);
  if (result.exit_code != 0) return "install-reference.sh failed: " + result.err;
  if (::access(kReferenceClient, X_OK) != 0) return std::string(kReferenceClient) + " missing";
  return "";
}

KeySet ReferenceServer::make_keys(const std::string& name) {
  KeySet keys{dir_.file("keys-" + name), ""};
  check(::mkdir(keys.dir.c_str(), 0755) == 0 || errno == EEXIST, "mkdir " + keys.dir);
  run_checked({"/usr/sbin/mandos-keygen", "--dir", keys.dir, "--name", name, "--force"},
              "mandos-keygen");
  // Readable by the test's client (run as root here, but keep it general).
  ::chmod(keys.dir.c_str(), 0755);
  for (const char* file : {"pubkey.txt", "seckey.txt", "tls-pubkey.pem", "tls-privkey.pem"}) {
    ::chmod((keys.dir + "/" + file).c_str(), 0644);
  }
  return keys;
}

ReferenceServer::ReferenceServer(const std::string& secret) {
  // Phase 1: keys and configuration, with Debian's own tools.
  keys_ = make_keys("interop");
  std::string passfile = dir_.file("passfile");
  test::write_file(passfile, secret, 0600);
  auto section = run_checked({"/usr/sbin/mandos-keygen", "--dir", keys_.dir, "--name", "interop",
                              "--passfile", passfile, "--no-ssh"},
                             "mandos-keygen --passfile");
  std::smatch match;
  check(std::regex_search(section.out, match, std::regex("key_id = ([0-9a-f]{64})")),
        "no key_id in mandos-keygen output: " + section.out);
  keys_.key_id = match[1];
  std::string conf = dir_.file("conf");
  std::string state = dir_.file("state");
  ::mkdir(conf.c_str(), 0755);
  ::mkdir(state.c_str(), 0755);
  ::mkdir(dir_.file("hooks").c_str(), 0755);
  test::write_file(conf + "/clients.conf", section.out, 0600);
  test::write_file(conf + "/mandos.conf", "[DEFAULT]\n", 0644);
  // The server drops to _mandos (else nobody) and writes its state there.
  UserIds server_user = resolve_server_user();
  check(::chown(state.c_str(), server_user.uid, server_user.gid) == 0, "chown state dir");

  // Phase 2: a private system bus, then the server.
  dbus_ = std::make_unique<test::PrivateSystemBus>(dir_.path());

  port_ = test::free_tcp_port();
  test::RunOptions options;
  options.env_add = {dbus_->environment_entry(), "TMPDIR=" + dir_.path()};
  server_ = std::make_unique<test::BackgroundProcess>(
      std::vector<std::string>{"/usr/sbin/mandos", "--configdir", conf, "--statedir", state,
                               "--no-dbus", "--no-zeroconf", "--foreground", "--debuglevel",
                               "INFO", "--address", "::1", "--port", std::to_string(port_)},
      dir_.path(), options);
  check(test::wait_for_tcp_port("::1", port_, 30s),
        "the reference server did not start: " + server_->stderr_text());
}

ReferenceServer::~ReferenceServer() {
  // The server before its bus, which dbus_ stops after this body.
  if (server_) server_->stop(SIGTERM, 10s);
}

KeySet ReferenceServer::make_unknown_keys() { return make_keys("stranger"); }

std::string ReferenceServer::log() const {
  return server_ ? server_->stdout_text() + server_->stderr_text() : "";
}

std::vector<std::string> ReferenceServer::client_arguments(const KeySet& keys) const {
  return {"--connect=::1:" + std::to_string(port_),
          "--interface=none",
          "--pubkey=" + keys.dir + "/pubkey.txt",
          "--seckey=" + keys.dir + "/seckey.txt",
          "--tls-pubkey=" + keys.dir + "/tls-pubkey.pem",
          "--tls-privkey=" + keys.dir + "/tls-privkey.pem",
          "--network-hook-dir=" + dir_.file("hooks")};
}

}  // namespace mandos::client::interop
