#include "daemon/daemon.hpp"

#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <limits>
#include <optional>
#include <random>

#include "daemon/checker_launcher.hpp"
#include "daemon/client_config.hpp"
#include "daemon/glib_loop.hpp"
#include "daemon/listener.hpp"
#include "daemon/registry.hpp"
#include "daemon/registry_timers.hpp"
#include "daemon/state.hpp"
#include "daemon/state_saver.hpp"
#include "daemon/worker_pool.hpp"
#include "daemon/zeroconf.hpp"
#include "dbus/bus_connection.hpp"
#include "dbus/paths.hpp"
#include "dbus/service.hpp"
#include "mandos/log.hpp"
#include "mandos/privileges.hpp"

namespace mandos::server {
namespace {

constexpr int kExitFatal = 1;
bool g_log_to_stderr = false;  // debug mode already copies logs to stderr

// A start-up failure: logged, and also shown on stderr while we still have
// one (before daemonising), so an administrator starting it by hand sees it.
int fatal(const std::string& message) {
  log::critical(message);
  if (!g_log_to_stderr) std::cerr << "mandos: " << message << std::endl;
  return kExitFatal;
}

struct LoopControl {
  GMainLoop* loop = nullptr;
  int exit_code = 0;
  void stop(int code) {
    if (code > exit_code) exit_code = code;
    g_main_loop_quit(loop);
  }
};

gboolean on_signal(gpointer data) {
  static_cast<LoopControl*>(data)->stop(0);
  return G_SOURCE_CONTINUE;
}

UniqueFd open_pid_file() {
  const std::string path = pid_file_path();
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) log::error("Could not open file \"", path, "\": ", std::strerror(errno));
  return fd;
}

void write_pid_file(UniqueFd& fd) {
  if (!fd) return;
  std::string text = std::to_string(::getpid()) + "\n";
  if (auto st = write_all(fd.get(), text.data(), text.size()); !st) {
    log::error("Could not write PID file: ", st.error().message);
  }
  fd.reset();
}

Status drop_to_server_user() {
  const UserIds ids = resolve_server_user();
  if (auto st = drop_privileges(ids); !st) {
    if (st.error().code != EPERM) return st;
    log::warning("Could not drop privileges to uid ", ids.uid, ", gid ", ids.gid, ": ",
                 st.error().message, " (continuing as uid ", ::getuid(), ")");
  }
  // Workers run as the same user: they must not be able to ptrace us.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return fail(std::string("prctl(PR_SET_DUMPABLE): ") + std::strerror(errno));
  }
  return {};
}

// Start-up reads clients.conf and the state file into large buffers that
// live for one step each. glibc would map each separately and unmap it when
// freed, so every step would fault in fresh pages (microseconds each on a
// virtual machine: most of a large start). Until start-up is done, freed
// memory stays in the heap for the next step; then it all goes back at once.
constexpr int kStartupMmapThreshold = 32 << 20;  // glibc's maximum on 64-bit
constexpr int kDefaultMallocThreshold = 128 << 10;

void keep_freed_memory_during_startup() {
  ::mallopt(M_MMAP_THRESHOLD, kStartupMmapThreshold);
  ::mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
}

void release_startup_memory() {
  ::mallopt(M_TRIM_THRESHOLD, kDefaultMallocThreshold);
  ::mallopt(M_MMAP_THRESHOLD, kDefaultMallocThreshold);
  ::malloc_trim(0);
}

std::optional<SavedState> restore_state(const ServerSettings& settings, const std::string& path,
                                        std::string& error) {
  const std::string pickle = settings.statedir + "/clients.pickle";
  if (::access(pickle.c_str(), F_OK) == 0) {
    log::warning("Ignoring ", pickle, " (state of the Python server); it is left in place");
  }
  if (!settings.restore) return std::nullopt;
  auto loaded = load_state_file(path);
  if (!loaded) {
    error = "Could not load persistent state: " + loaded.error().message +
            " (the file is left untouched; fix or move it, or start with --no-restore)";
    return std::nullopt;
  }
  switch (loaded->status) {
    case StateLoad::Missing:
      log::warning("Could not load persistent state: No such file or directory");
      return std::nullopt;
    case StateLoad::Empty:
      log::warning("Could not load persistent state: ", path, " is empty");
      return std::nullopt;
    case StateLoad::Loaded:
      break;
  }
  return std::move(loaded->state);
}

std::vector<std::string> worker_arguments(const ServerSettings& settings) {
  std::vector<std::string> args = {"--priority=" + settings.priority,
                                   "--servicename=" + settings.servicename,
                                   "--debuglevel=" + std::string(log::level_name(settings.log_level()))};
  if (settings.debug) args.push_back("--debug");
  return args;
}

RandomDelay make_random() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine](Micros max) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(max).count();
    if (ms <= 0) return Micros::zero();
    std::uniform_int_distribution<long long> pick(0, ms);
    return Micros(std::chrono::milliseconds(pick(*engine)));
  };
}

// Step 7 of server.md §11: the system bus and both names. Failing that,
// the server runs on without D-Bus, as the reference does.
std::unique_ptr<dbus::BusConnection> connect_bus() {
  auto opened = dbus::BusConnection::open(
      {std::string(dbus::kServerInterface), std::string(dbus::kLegacyServerInterface)});
  if (!opened) {
    log::error("Disabling D-Bus: ", opened.error().message);
    return nullptr;
  }
  return std::move(*opened);
}

// Everything after the privilege drop and daemonising.
int serve(const ServerSettings& settings, std::vector<ClientConfig>& configs, UniqueFd& listener,
          UniqueFd& pid_file) {
  std::unique_ptr<dbus::BusConnection> bus;
  if (settings.use_dbus) bus = connect_bus();
  const bool use_dbus = bus != nullptr;
  if (auto st = read_secret_files(configs); !st) return fatal(st.error().message);
  const std::string state_path = settings.statedir + "/clients.json";
  std::string state_error;
  std::optional<SavedState> saved = restore_state(settings, state_path, state_error);
  if (!state_error.empty()) return fatal(state_error);

  LoopControl control;
  control.loop = g_main_loop_new(nullptr, FALSE);
  // One timer source for every client timer, checkers spawned off the loop
  // (both scale to thousands of clients; see their headers).
  HeapScheduler scheduler;
  SpawningCheckerLauncher launcher(CheckerStdio{false, settings.foreground && !settings.debug});
  RegistryOptions registry_options;
  registry_options.record_approval_requests = use_dbus;
  registry_options.expand_object_path = use_dbus;
  Registry registry(scheduler, launcher, make_random(), registry_options);
  StateSaver saver(registry, scheduler, state_path, configs);
  std::vector<ClientData> clients =
      merge_state(std::move(saved), configs, scheduler.now());
  // D-Bus objects: exported (InterfacesAdded, ClientAdded) as clients are added.
  std::unique_ptr<dbus::Service> api;
  if (bus) {
    std::vector<std::string> names;
    for (const ClientData& data : clients) names.push_back(data.name);
    if (auto st = dbus::check_client_paths(names); !st) return fatal(st.error().message);
    api = std::make_unique<dbus::Service>(registry, *bus);
    auto handler = [&api](const dbus::IncomingCall& call) {
      if (api) api->handle(call);
    };
    if (auto st = bus->start(handler); !st) return fatal("D-Bus: " + st.error().message);
  }
  for (ClientData& data : clients) registry.add_client(std::move(data));
  clients = {};
  release_startup_memory();
  saver.mark_dirty();
  write_pid_file(pid_file);

  SourceGuard signals[] = {SourceGuard(g_unix_signal_add(SIGTERM, on_signal, &control)),
                           SourceGuard(g_unix_signal_add(SIGINT, on_signal, &control)),
                           SourceGuard(g_unix_signal_add(SIGHUP, on_signal, &control))};

  if (auto st = start_listening(listener.get()); !st) return fatal(st.error().message);
  log::info("Now listening on ", describe_listening(listener.get()));
  WorkerPoolOptions pool_options;
  pool_options.program = find_worker_program();
  if (pool_options.program.empty()) {
    return fatal("Cannot find mandos-tls-worker next to this program, in ../lib/mandos "
                 "(or ../lib/<multiarch>/mandos) from it, or at " MANDOS_WORKER_PATH);
  }
  pool_options.args = worker_arguments(settings);
  pool_options.count = default_worker_count();
  pool_options.listen_fd = listener.get();
  WorkerPool pool(registry, scheduler, pool_options);
  if (auto st = pool.start(); !st) return fatal(st.error().message);
  registry.start();

  std::unique_ptr<Zeroconf> zeroconf;
  if (settings.zeroconf) {
    ZeroconfOptions z{settings.servicename, listening_port(listener.get()), settings.use_ipv6,
                      settings.interface};
    zeroconf = std::make_unique<Zeroconf>(z, [&control](int code) { control.stop(code); });
    if (auto st = zeroconf->start(); !st) control.exit_code = fatal(st.error().message);
  }
  if (control.exit_code == 0) g_main_loop_run(control.loop);

  // Shutdown: no new answers, state saved, client objects removed (with
  // their signals sent), then every timer and checker stopped.
  pool.stop();
  (void)saver.flush(/*force=*/true);
  if (api) api->remove_all();
  if (bus) bus->stop();
  registry.shutdown();
  zeroconf.reset();
  g_main_loop_unref(control.loop);
  return control.exit_code;
}

}  // namespace

std::string pid_file_path() {
  struct stat st {};
  if (::stat("/run", &st) == 0 && S_ISDIR(st.st_mode)) return "/run/mandos.pid";
  return "/var/run/mandos.pid";
}

void configure_logging(const ServerSettings& settings) {
  log::Options options;
  options.threshold = settings.log_level();
  options.to_syslog = true;
  options.syslog_tag =
      settings.servicename == "Mandos" ? "Mandos" : "Mandos (" + settings.servicename + ")";
  options.stderr_style = settings.debug ? log::StderrStyle::Timestamped : log::StderrStyle::None;
  options.stderr_name = "mandos";
  g_log_to_stderr = settings.debug;
  log::configure(std::move(options));
}

Status daemonize() {
  pid_t pid = ::fork();
  if (pid < 0) return fail(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) ::_exit(0);
  if (::setsid() < 0) return fail(std::string("setsid: ") + std::strerror(errno));
  if (::chdir("/") != 0) return fail(std::string("chdir /: ") + std::strerror(errno));
  pid = ::fork();
  if (pid < 0) return fail(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) ::_exit(0);
  int null_fd = ::open("/dev/null", O_RDWR | O_NOCTTY);
  if (null_fd < 0) return fail(std::string("/dev/null: ") + std::strerror(errno));
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null_fd, fd);
  if (null_fd > 2) ::close(null_fd);
  return {};
}

int run_server(const ServerSettings& settings) {
  configure_logging(settings);
  ::signal(SIGPIPE, SIG_IGN);  // worker channels use MSG_NOSIGNAL; a backstop

  keep_freed_memory_during_startup();
  // Phase 1, as root: configuration and socket.
  auto configs = load_client_configs(settings.configdir + "/clients.conf");
  if (!configs) return fatal(configs.error().message);
  Result<UniqueFd> listener =
      settings.socket ? adopt_listen_socket(*settings.socket)
                      : create_listen_socket(ListenOptions{settings.use_ipv6, settings.interface,
                                                           settings.address, settings.port.value_or(0),
                                                           settings.port.has_value()});
  if (!listener) return fatal(listener.error().message);
  UniqueFd pid_file;
  if (!settings.foreground) pid_file = open_pid_file();

  // Phase 2: give up root for good.
  if (auto st = drop_to_server_user(); !st) return fatal(st.error().message);
  if (settings.debug) {
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
      ::close(null_fd);
    }
  }
  if (!settings.foreground) {
    if (auto st = daemonize(); !st) return fatal(st.error().message);
  }
  // Phase 3: serve.
  return serve(settings, *configs, *listener, pid_file);
}

}  // namespace mandos::server
