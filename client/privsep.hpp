// Privilege separation for mandos-client.
//
// The reference keeps a saved set-user-ID of 0 for its whole run and
// switches its effective uid to 0 around each privileged step, so a bug in
// TLS, GPGME, Avahi or our own parsing of network data could regain root.
// Here the process splits in two right after option parsing, before any
// network input is read:
//
//   privileged helper (this file, "monitor")   unprivileged main process
//   ----------------------------------------   --------------------------
//   forked while still root; becomes fully     drops to the real uid/gid
//   root; ignores SIGINT/SIGHUP/SIGTERM;       for good (lib
//   owns the hook settings, interface list     drop_privileges), then does
//   and route-helper path, all fixed before    interface detection, TLS,
//   the fork                                   GPGME, Avahi and networking
//
// They talk over a SOCK_SEQPACKET socketpair. The unprivileged side can only
// send fixed-size Request records from a closed set of operations (Op); the
// helper re-validates every field and the order of operations, and answers
// each with a fixed-size Reply. It never runs a command, path or argument
// chosen by the unprivileged side:
//
//   kStartHooks   once, first: run the hooks with MODE=start
//   kBringUp      before kSetupDone: set IFF_UP on an interface the
//                 configuration allows (an --interface name, or with
//                 auto-detection one passing the same rules, re-checked)
//   kSetupDone    no more kBringUp after this
//   kAddRoute     after kSetupDone, not with --connect, only if
//                 MANDOSPLUGINHELPERDIR was set: host route to a global
//                 unicast address via an allowed interface (at most
//                 kMaxRoutes at a time)
//   kDeleteRoute  only a route this helper added
//   kShutdown     delete leftover routes, run the hooks with MODE=stop (if
//                 started), take down the interfaces it brought up, exit
//
// An unknown, malformed or out-of-order request, or end of file (the main
// process died), is treated like kShutdown without a reply: the cleanup
// still happens, and the helper exits. Privileged steps done before the
// fork (fchown of key files, /dev/fd, clock fix) need no helper.
#pragma once

#include <net/if.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hooks.hpp"
#include "mandos/fd.hpp"
#include "mandos/result.hpp"

namespace mandos::client::privsep {

inline constexpr uint32_t kMagic = 0x4d434c31;  // "MCL1"
inline constexpr size_t kMaxRoutes = 16;
inline constexpr size_t kMaxInterfaces = 64;

enum class Op : uint32_t {
  kStartHooks = 1,
  kBringUp = 2,
  kSetupDone = 3,
  kAddRoute = 4,
  kDeleteRoute = 5,
  kShutdown = 6,
};

struct Request {
  uint32_t magic = kMagic;
  uint32_t op = 0;
  uint32_t family = 0;      // kAddRoute/kDeleteRoute: AF_INET or AF_INET6
  uint8_t address[16] = {};  // network byte order; 4 bytes used for IPv4
  char ifname[IFNAMSIZ] = {};
};

struct Reply {
  uint32_t magic = kMagic;
  uint32_t op = 0;
  int32_t error = 0;   // 0 or an errno value
  uint32_t value = 0;  // kBringUp: 1 if this request brought it up
};

// Everything the helper needs, decided before the fork.
struct HelperConfig {
  HookSettings hooks;
  // --interface list after dropping non-existent names ("none" kept);
  // empty means auto-detection.
  std::vector<std::string> interfaces;
  bool connect_mode = false;
  std::optional<std::string> route_helper;  // full path of mandos-client-iprouteadddel
  bool debug = false;
};

// What the helper does to the system; an interface so the state machine
// can be tested without root.
class Actions {
 public:
  virtual ~Actions() = default;
  virtual void run_hooks(const HookSettings& settings, const char* mode) = 0;
  virtual unsigned interface_index(const std::string& name) = 0;
  virtual std::optional<unsigned> interface_flags(const std::string& name) = 0;
  [[nodiscard]] virtual Result<bool> bring_up(const std::string& name) = 0;
  [[nodiscard]] virtual Status take_down(const std::string& name) = 0;
  // Runs the route helper: verb "add" or "delete".
  [[nodiscard]] virtual Status route(const std::string& helper, const char* verb,
                                     const std::string& address, const std::string& ifname,
                                     bool debug) = 0;
};

// The real actions (root needed).
std::unique_ptr<Actions> make_system_actions();

// True for IPv6 fe80::/10 and IPv4 169.254/16.
bool is_link_local(int family, const uint8_t* address);
// A global unicast address a host route may be added for: not link-local,
// loopback, multicast, unspecified or limited broadcast.
bool route_address_allowed(int family, const uint8_t* address);

// The helper's state machine, without I/O.
class Monitor {
 public:
  Monitor(HelperConfig config, Actions& actions);
  // Handles one request. nullopt: protocol violation (cleanup already done,
  // no reply is sent, the session ends).
  std::optional<Reply> handle(const Request& request);
  // kShutdown's work; idempotent.
  void shutdown();
  bool finished() const { return phase_ == Phase::kFinished; }

 private:
  enum class Phase { kInitial, kHooksStarted, kRunning, kFinished };
  struct Route {
    int family;
    uint8_t address[16];
    std::string ifname;
    std::string text;
    bool operator==(const Route& other) const;
  };

  std::optional<Reply> violation(const Request& request, const std::string& why);
  bool interface_allowed(const std::string& name, std::string& why);
  // With an --interface list: name comes before the first "none".
  bool before_none(const std::string& name) const;
  std::optional<Route> parse_route(const Request& request, std::string& why);
  Reply bring_up(const Request& request, const std::string& name);
  Reply add_route(const Request& request, Route route);
  Reply delete_route(const Request& request, const Route& route);

  HelperConfig config_;
  Actions& actions_;
  Phase phase_ = Phase::kInitial;
  bool hooks_started_ = false;
  std::vector<std::string> brought_up_;
  std::vector<Route> routes_;
};

// The unprivileged side's stubs. Each call sends one request and waits for
// its reply (signals stay blocked meanwhile; hooks may take a while).
class HelperClient {
 public:
  HelperClient(UniqueFd socket, pid_t pid) : socket_(std::move(socket)), pid_(pid) {}
  ~HelperClient();
  HelperClient(HelperClient&&) noexcept;
  HelperClient& operator=(HelperClient&&) = delete;
  HelperClient(const HelperClient&) = delete;
  HelperClient& operator=(const HelperClient&) = delete;

  [[nodiscard]] Status start_hooks();
  // True if the helper changed the interface to up.
  [[nodiscard]] Result<bool> bring_up(const std::string& name);
  [[nodiscard]] Status setup_done();
  [[nodiscard]] Status add_route(int family, const uint8_t* address, const std::string& ifname);
  [[nodiscard]] Status delete_route(int family, const uint8_t* address,
                                    const std::string& ifname);
  // Asks for the cleanup, waits for the reply and for the helper to exit.
  // Idempotent.
  void shutdown();

 private:
  Result<Reply> call(const Request& request);
  UniqueFd socket_;
  pid_t pid_ = -1;
};

// Forks the helper. Must be called while the process may still become root
// (euid 0 or saved uid 0); the child becomes fully root before serving with
// the system actions.
[[nodiscard]] Result<HelperClient> start_helper(const HelperConfig& config);

// The helper's loop over a connected socket (exposed for tests).
void serve(int socket_fd, Monitor& monitor);

}  // namespace mandos::client::privsep
