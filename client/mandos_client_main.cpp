// mandos-client: a plugin-runner plugin that gets the disk password from a
// Mandos server on the network and prints it (client.md).
//
// Sequence and privileges (client.md §2, §7; privsep.hpp for the helper):
//   1. Running set-uid root: effective uid set to the real uid while the
//      options are parsed.
//   2. As root, before reading anything from the network: fchown the
//      default key files, create /dev/fd, fix a 1970 clock, fork the
//      privileged helper.
//   3. Drop to the real uid/gid for good. Everything after this, the TLS,
//      GPGME, Avahi and socket code included, runs unprivileged; hooks,
//      interface up/down and host routes are requests to the helper.
//   4. Hooks "start", interfaces, keys, then --connect attempts or Zeroconf
//      until the password arrives or a signal does.
//   5. Cleanup (hooks "stop", interfaces down, GnuPG home removed), then a
//      caught signal is raised again.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "attempt.hpp"
#include "decryptor.hpp"
#include "discovery.hpp"
#include "interfaces.hpp"
#include "mandos/fd.hpp"
#include "mandos/log.hpp"
#include "mandos/privileges.hpp"
#include "mandos/tls.hpp"
#include "options.hpp"
#include "privsep.hpp"
#include "signals.hpp"

namespace mandos::client {
namespace {

constexpr std::string_view kRouteHelperName = "mandos-client-iprouteadddel";
// Before this the clock is taken to be unset (no RTC): January 1970.
constexpr time_t kClockUnsetBefore = 31 * 24 * 3600;

// ---------------------------------------------------------------------------
// Phase 2: privileged steps before the fork (euid 0 when set-uid).

bool become_root() { return ::geteuid() == 0 || ::seteuid(0) == 0; }
void leave_root(const UserIds& real) {
  if (::geteuid() == 0 && real.uid != 0) (void)::seteuid(real.uid);
}

// The initramfs copies the key files owned by root; the unprivileged
// client must read them. Only the default paths, as the reference.
void fix_key_ownership(const ClientOptions& options, const UserIds& real) {
  if (real.uid == 0 && real.gid == 0) return;
  std::vector<std::string> paths;
  if (options.seckey == kDefaultSeckey) paths.emplace_back(kDefaultSeckey);
  if (options.pubkey == kDefaultPubkey) paths.emplace_back(kDefaultPubkey);
  if (options.dh_params == kDefaultDhParams) paths.emplace_back(kDefaultDhParams);
  for (const auto& path : paths) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_uid != 0 || st.st_gid != 0) continue;
    if (::fchown(fd.get(), real.uid, real.gid) != 0) {
      log::warning("Failed to change ownership of ", path, ": ", std::strerror(errno));
    }
  }
}

// GnuPG in an initramfs may need /dev/fd.
void ensure_dev_fd() {
  struct stat st {};
  if (::lstat("/dev/fd", &st) == 0 || errno != ENOENT) return;
  if (::symlink("/proc/self/fd", "/dev/fd") != 0) {
    log::warning("Failed to create /dev/fd: ", std::strerror(errno));
  }
}

// Without a real-time clock the initramfs starts in 1970, and GnuPG refuses
// keys "created in the future". Set the clock to the key file's time.
void fix_clock(const ClientOptions& options) {
  time_t now = ::time(nullptr);
  if (now != static_cast<time_t>(-1) && now >= kClockUnsetBefore) return;
  struct stat st {};
  if (::stat(options.pubkey.c_str(), &st) != 0 && ::stat(options.seckey.c_str(), &st) != 0) {
    return;
  }
  timespec when{st.st_mtim.tv_sec, 0};
  if (::clock_settime(CLOCK_REALTIME, &when) != 0) {
    log::warning("Failed to set the clock: ", std::strerror(errno));
  }
}

std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ",") + name;
  return joined;
}

privsep::HelperConfig helper_config(const ClientOptions& options,
                                    const std::vector<std::string>& requested) {
  privsep::HelperConfig config;
  config.hooks.dir = options.hook_dir;
  config.hooks.device = join(requested);
  config.hooks.debug = options.debug;
  config.hooks.delay = options.delay;
  if (options.connect) config.hooks.connect = options.connect->text;
  config.interfaces = requested;
  config.connect_mode = options.connect.has_value();
  config.debug = options.debug;
  // The only environment variable the client reads (client.md §1).
  if (const char* dir = std::getenv("MANDOSPLUGINHELPERDIR"); dir != nullptr && *dir != '\0') {
    config.route_helper = std::string(dir) + "/" + std::string(kRouteHelperName);
  }
  return config;
}

// ---------------------------------------------------------------------------
// Phase 4: unprivileged.

std::chrono::milliseconds to_millis(double seconds) {
  // Clamped so that inf or huge --delay values cannot overflow; INT_MAX ms
  // (24.8 days) is also the largest --retry accepts.
  double ms = std::clamp(seconds * 1000.0, 0.0, static_cast<double>(INT_MAX));
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

struct InterfaceSetup {
  std::vector<std::string> in_use;
  std::vector<unsigned> indexes;
};

// Chooses, brings up and waits for the interfaces (client.md §3).
Result<InterfaceSetup> set_up_interfaces(const ClientOptions& options,
                                         const std::vector<std::string>& requested,
                                         privsep::HelperClient& helper) {
  SystemInterfaces system;
  std::vector<std::string> list = requested;
  if (list.empty()) {
    auto detected = detect_interfaces(system, options.connect.has_value());
    if (!detected) return fail(detected.error().message, kExitOsError);
    list = std::move(*detected);
    if (list.empty()) return fail("Could not find a network interface", kExitNoInterface);
  }
  InterfacePlan plan = plan_interfaces(list);
  for (const auto& name : plan.bring_up) {
    auto changed = helper.bring_up(name);
    if (!changed) {
      log::warning("Failed to bring up interface \"", name, "\": ", changed.error().message);
    } else if (*changed) {
      log::debug("Brought up interface \"", name, "\"");
    }
  }
  if (Status done = helper.setup_done(); !done) {
    return fail("Privileged helper failed: " + done.error().message, kExitOsError);
  }
  auto not_running =
      wait_until_running(system, plan.bring_up, to_millis(options.delay),
                         std::chrono::milliseconds(250), signals::sleep_for);
  for (const auto& name : not_running) {
    log::debug("Interface \"", name, "\" is not running yet");
  }
  InterfaceSetup setup;
  setup.in_use = plan.in_use;
  for (const auto& name : plan.in_use) setup.indexes.push_back(system.index(name));
  return setup;
}

Result<tls::CertificateCredentials> load_tls(const ClientOptions& options) {
  if (options.debug) {
    tls::set_log_callback([](int level, std::string_view line) {
      log::debug("GnuTLS ", level, ": ", line);
    });
    tls::set_log_level(tls::kDebugLogLevel);
  }
  // The reference only finds a bad --priority when it sets up each
  // attempt, and then fails every attempt for ever; refuse it once, here.
  if (auto priority = tls::make_priority(options.priority); !priority) {
    return fail("--priority: " + priority.error().message);
  }
  auto creds = tls::CertificateCredentials::from_rawpk_files(options.tls_pubkey,
                                                              options.tls_privkey);
  if (!creds) return creds.error();
  // Unused by TLS 1.3, kept for the option's sake (protocol.md §4).
  if (!options.dh_params.empty()) {
    auto params = tls::load_dh_params_pem_file(options.dh_params);
    if (params) {
      creds->set_dh_params(std::move(*params));
      return creds;
    }
    log::warning("Could not use DH parameters from ", options.dh_params, ": ",
                 params.error().message, ", ignoring");
  }
  if (options.dh_bits != 0) {
    auto params = tls::generate_dh_params(options.dh_bits);
    if (!params) {
      log::warning("Could not generate DH parameters: ", params.error().message, ", ignoring");
    } else {
      creds->set_dh_params(std::move(*params));
    }
  }
  return creds;
}

AttemptResult connect_loop(const ClientOptions& options, const InterfaceSetup& interfaces,
                           AttemptContext& context) {
  auto server = make_server(options.connect->family, options.connect->address,
                            options.connect->port);
  AttemptResult result;
  if (!server) return result;  // cannot happen: parse_connect checked it
  if (interfaces.in_use.size() == 1) {
    server->ifindex = interfaces.indexes.front();
    server->ifname = interfaces.in_use.front();
  }
  for (;;) {
    result = attempt(*server, context);
    if (result.outcome != Outcome::kFailed) return result;
    // The reference sleeps whole seconds (0.5 would busy-loop); we sleep
    // the exact interval.
    if (!signals::sleep_for(to_millis(options.retry))) {
      result.outcome = Outcome::kInterrupted;
      return result;
    }
  }
}

Result<AttemptResult> zeroconf_loop(const ClientOptions& options,
                                    const InterfaceSetup& interfaces, AttemptContext& context) {
  DiscoverySettings settings;
  if (interfaces.indexes.size() == 1) {
    settings.browse_ifindex = interfaces.indexes.front();
  } else {
    settings.in_use = interfaces.indexes;
  }
  settings.retry = to_millis(options.retry);
  settings.debug = options.debug;
  auto discovery = Discovery::create(settings);
  if (!discovery) return fail(discovery.error().message, kExitUnavailable);
  auto result = (*discovery)->run([&](const Server& server) { return attempt(server, context); });
  if (!result) return fail(result.error().message, kExitUnavailable);
  return result;
}

int write_secret(const SecretBytes& secret) {
  if (Status ok = write_all(STDOUT_FILENO, secret.data(), secret.size()); !ok) {
    log::error("Failed to write the password: ", ok.error().message);
    return kExitOsError;
  }
  return kExitOk;
}

// Everything after the privilege drop. Returns the exit status.
int run(const ClientOptions& options, const std::vector<std::string>& requested,
        privsep::HelperClient& helper) {
  if (Status ok = helper.start_hooks(); !ok) {
    log::error("Privileged helper failed: ", ok.error().message);
    return kExitOsError;
  }
  if (signals::stop_requested()) return kExitOk;
  auto interfaces = set_up_interfaces(options, requested, helper);
  if (!interfaces) {
    log::error(interfaces.error().message);
    return interfaces.error().code;
  }
  if (signals::stop_requested()) return kExitOk;

  auto tls_init = tls::GlobalInit::create();
  auto creds = tls_init ? load_tls(options) : Result<tls::CertificateCredentials>(tls_init.error());
  if (!creds) {
    log::error(creds.error().message);
    log::error("init_gnutls_global failed");
    return kExitUnavailable;
  }
  // The GnuPG home holds the unprotected secret key: it goes when this
  // scope ends, whatever the outcome (signals included).
  auto decryptor = Decryptor::create(options.pubkey, options.seckey);
  if (!decryptor) {
    // The reference exits 0 when it cannot make the directory, which
    // plugin-runner takes as an empty password; a failure status lets the
    // other plugins go on.
    log::error(decryptor.error().message);
    return decryptor.error().code;
  }

  AttemptContext attempt_context;
  attempt_context.credentials = &*creds;
  attempt_context.priority = options.priority;
  attempt_context.decryptor = &*decryptor;
  attempt_context.helper = &helper;
  attempt_context.route_workaround = !options.connect.has_value();
  attempt_context.debug = options.debug;

  AttemptResult result;
  if (options.connect) {
    result = connect_loop(options, *interfaces, attempt_context);
  } else {
    auto found = zeroconf_loop(options, *interfaces, attempt_context);
    if (!found) {
      log::error(found.error().message);
      return found.error().code;
    }
    result = std::move(*found);
  }
  int status = result.outcome == Outcome::kSecret ? write_secret(result.plaintext) : kExitOk;
  if (Status removed = decryptor->remove(); !removed) {
    log::warning("Failed to remove the GnuPG home ", decryptor->home(), ": ",
                 removed.error().message);
  }
  return status;
}

}  // namespace
}  // namespace mandos::client

int main(int argc, char** argv) {
  using namespace mandos;
  using namespace mandos::client;

  // Phase 1: parse as the real user.
  const UserIds real{::getuid(), ::getgid()};
  if (::geteuid() == 0) {
    (void)::setresgid(real.gid, real.gid, real.gid);  // no group privileges needed
    leave_root(real);
  }
  ::signal(SIGPIPE, SIG_IGN);  // write errors are reported instead
  ClientOptions options = parse_options(argc, argv);
  log::Options log_options;
  log_options.threshold = options.debug ? log::Level::Debug : log::Level::Info;
  log_options.stderr_style = log::StderrStyle::Prefixed;
  log_options.stderr_name = std::string(kMessagePrefix);
  log::configure(log_options);
  // Signals are caught from here on (the reference only after the start
  // hooks), so even an early SIGTERM leads to a full cleanup.
  if (Status ok = signals::install(); !ok) {
    log::error("Failed to set up signal handling: ", ok.error().message);
    return kExitOsError;
  }

  // Phase 2: privileged preparations, then the helper.
  bool root = become_root();
  if (root) {
    fix_key_ownership(options, real);
    ensure_dev_fd();
    fix_clock(options);
  }
  SystemInterfaces system;
  std::vector<std::string> dropped;
  std::vector<std::string> requested = drop_nonexistent(options.interfaces, system, dropped);
  for (const auto& name : dropped) log::warning("Not using nonexisting interface \"", name, "\"");
  auto helper = privsep::start_helper(helper_config(options, requested));
  if (!helper) {
    log::error("Failed to start the privileged helper: ", helper.error().message);
    return kExitOsError;
  }

  // Phase 3: unprivileged for good.
  if (Status dropped_ok = drop_privileges(real); !dropped_ok) {
    log::error("Failed to drop privileges: ", dropped_ok.error().message);
    helper->shutdown();
    return kExitOsError;
  }

  // Phase 4 and 5.
  int status = run(options, requested, *helper);
  helper->shutdown();
  signals::reraise_if_caught();
  return status;
}
