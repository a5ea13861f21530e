#include "privsep.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "interfaces.hpp"
#include "options.hpp"
#include "mandos/child.hpp"
#include "mandos/log.hpp"
#include "root_exec.hpp"
#include "signals.hpp"

extern char** environ;

namespace mandos::client::privsep {
namespace {

constexpr auto kRouteHelperTimeout = std::chrono::seconds(30);

size_t address_size(int family) { return family == AF_INET ? 4 : 16; }

std::string address_text(int family, const uint8_t* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(family, address, text, sizeof text) == nullptr) return "?";
  return text;
}

const char* op_name(uint32_t op) {
  switch (static_cast<Op>(op)) {
    case Op::kStartHooks: return "start hooks";
    case Op::kBringUp: return "bring up interface";
    case Op::kSetupDone: return "setup done";
    case Op::kAddRoute: return "add route";
    case Op::kDeleteRoute: return "delete route";
    case Op::kShutdown: return "shut down";
  }
  return "unknown";
}

Reply reply_for(const Request& request, int error = 0, uint32_t value = 0) {
  Reply reply;
  reply.op = request.op;
  reply.error = error;
  reply.value = value;
  return reply;
}

// ---------------------------------------------------------------------------
// Privileged side: the real actions.

class SystemActions final : public Actions {
 public:
  void run_hooks(const HookSettings& settings, const char* mode) override {
    client::run_hooks(settings, mode);
  }
  unsigned interface_index(const std::string& name) override { return system_.index(name); }
  std::optional<unsigned> interface_flags(const std::string& name) override {
    return system_.flags(name);
  }
  Result<bool> bring_up(const std::string& name) override { return set_interface_up(name); }
  Status take_down(const std::string& name) override { return set_interface_down(name); }
  Status route(const std::string& helper, const char* verb, const std::string& address,
               const std::string& ifname, bool debug) override {
    RootExec exec;
    exec.path = helper;
    exec.argv = {helper, verb, address, ifname};
    if (debug) exec.argv.emplace_back("--debug");
    for (char** var = environ; var != nullptr && *var != nullptr; ++var) exec.env.emplace_back(*var);
    exec.timeout = kRouteHelperTimeout;
    auto status = run_as_root(exec);
    if (!status) return status.error();
    if (*status != 0) return fail(helper + " " + describe_wait_status(*status), EIO);
    return {};
  }

 private:
  SystemInterfaces system_;
};

}  // namespace

std::unique_ptr<Actions> make_system_actions() { return std::make_unique<SystemActions>(); }

bool is_link_local(int family, const uint8_t* address) {
  if (family == AF_INET6) return address[0] == 0xfe && (address[1] & 0xc0) == 0x80;
  return family == AF_INET && address[0] == 169 && address[1] == 254;
}

bool route_address_allowed(int family, const uint8_t* address) {
  if (is_link_local(family, address)) return false;
  if (family == AF_INET) {
    uint32_t value = (uint32_t{address[0]} << 24) | (uint32_t{address[1]} << 16) |
                     (uint32_t{address[2]} << 8) | address[3];
    return value != 0 && value != 0xffffffffU && address[0] != 127 && (address[0] & 0xf0) != 0xe0;
  }
  if (family != AF_INET6) return false;
  static const uint8_t kZero[16] = {};
  static const uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return address[0] != 0xff && std::memcmp(address, kZero, 16) != 0 &&
         std::memcmp(address, kLoopback, 16) != 0;
}

// ---------------------------------------------------------------------------
// Monitor

bool Monitor::Route::operator==(const Route& other) const {
  return family == other.family && ifname == other.ifname &&
         std::memcmp(address, other.address, address_size(family)) == 0;
}

Monitor::Monitor(HelperConfig config, Actions& actions)
    : config_(std::move(config)), actions_(actions) {}

std::optional<Reply> Monitor::violation(const Request& request, const std::string& why) {
  log::error("privileged helper: refusing request \"", op_name(request.op), "\": ", why,
             "; ending the session");
  shutdown();
  return std::nullopt;
}

bool Monitor::interface_allowed(const std::string& name, std::string& why) {
  if (!valid_interface_name(name) || name == "none") {
    why = "invalid interface name";
    return false;
  }
  if (actions_.interface_index(name) == 0) {
    why = "no interface " + name;
    return false;
  }
  if (!config_.interfaces.empty()) {
    bool listed = std::find(config_.interfaces.begin(), config_.interfaces.end(), name) !=
                  config_.interfaces.end();
    if (!listed) why = "interface " + name + " was not given with --interface";
    return listed;
  }
  // Auto-detection: the same rules the unprivileged side applied.
  auto flags = actions_.interface_flags(name);
  if (name.front() == '.' || !flags || !eligible_for_auto(*flags, config_.connect_mode)) {
    why = "interface " + name + " is not eligible for automatic use";
    return false;
  }
  return true;
}

bool Monitor::before_none(const std::string& name) const {
  if (config_.interfaces.empty()) return true;
  auto none = std::find(config_.interfaces.begin(), config_.interfaces.end(), "none");
  return std::find(config_.interfaces.begin(), none, name) != none;
}

std::optional<Monitor::Route> Monitor::parse_route(const Request& request, std::string& why) {
  if (request.family != AF_INET && request.family != AF_INET6) {
    why = "bad address family";
    return std::nullopt;
  }
  Route route{};
  route.family = static_cast<int>(request.family);
  std::memcpy(route.address, request.address, sizeof route.address);
  route.ifname = request.ifname;
  route.text = address_text(route.family, route.address);
  if (!interface_allowed(route.ifname, why)) return std::nullopt;
  return route;
}

Reply Monitor::bring_up(const Request& request, const std::string& name) {
  auto changed = actions_.bring_up(name);
  if (!changed) {
    log::error("Failed to bring up interface \"", name, "\": ", changed.error().message);
    return reply_for(request, changed.error().code != 0 ? changed.error().code : EIO);
  }
  if (*changed &&
      std::find(brought_up_.begin(), brought_up_.end(), name) == brought_up_.end()) {
    brought_up_.push_back(name);
  }
  return reply_for(request, 0, *changed ? 1 : 0);
}

Reply Monitor::add_route(const Request& request, Route route) {
  if (std::find(routes_.begin(), routes_.end(), route) != routes_.end()) {
    return reply_for(request, EEXIST);
  }
  if (routes_.size() >= kMaxRoutes) return reply_for(request, ENOSPC);
  Status ok = actions_.route(*config_.route_helper, "add", route.text, route.ifname,
                             config_.debug);
  if (!ok) {
    log::error("Failed to add route to ", route.text, " via ", route.ifname, ": ",
               ok.error().message);
    return reply_for(request, EIO);
  }
  routes_.push_back(std::move(route));
  return reply_for(request);
}

Reply Monitor::delete_route(const Request& request, const Route& route) {
  routes_.erase(std::find(routes_.begin(), routes_.end(), route));
  Status ok = actions_.route(*config_.route_helper, "delete", route.text, route.ifname,
                             config_.debug);
  if (!ok) {
    log::error("Failed to delete route to ", route.text, " via ", route.ifname, ": ",
               ok.error().message);
    return reply_for(request, EIO);
  }
  return reply_for(request);
}

std::optional<Reply> Monitor::handle(const Request& request) {
  // Phase 1: the record itself.
  if (request.magic != kMagic) return violation(request, "bad magic number");
  if (phase_ == Phase::kFinished) return violation(request, "session already ended");
  if (std::memchr(request.ifname, '\0', sizeof request.ifname) == nullptr) {
    return violation(request, "interface name not terminated");
  }
  const std::string name(request.ifname);
  std::string why;

  // Phase 2: the operation, allowed only in its phase, with its arguments
  // re-validated here whatever the unprivileged side checked.
  switch (static_cast<Op>(request.op)) {
    case Op::kStartHooks:
      if (phase_ != Phase::kInitial) return violation(request, "hooks already started");
      phase_ = Phase::kHooksStarted;
      hooks_started_ = true;
      actions_.run_hooks(config_.hooks, "start");
      return reply_for(request);
    case Op::kBringUp:
      if (phase_ != Phase::kHooksStarted) return violation(request, "not in the set-up phase");
      if (!interface_allowed(name, why)) return violation(request, why);
      if (!before_none(name)) return violation(request, "interface " + name + " follows \"none\"");
      if (brought_up_.size() >= kMaxInterfaces) return violation(request, "too many interfaces");
      return bring_up(request, name);
    case Op::kSetupDone:
      if (phase_ != Phase::kHooksStarted) return violation(request, "not in the set-up phase");
      phase_ = Phase::kRunning;
      return reply_for(request);
    case Op::kAddRoute: {
      if (phase_ != Phase::kRunning) return violation(request, "set-up not finished");
      if (!config_.route_helper || config_.connect_mode) {
        return violation(request, "route workaround not enabled");
      }
      auto route = parse_route(request, why);
      if (!route) return violation(request, why);
      if (!route_address_allowed(route->family, route->address)) {
        return violation(request, "no route may be added for " + route->text);
      }
      return add_route(request, std::move(*route));
    }
    case Op::kDeleteRoute: {
      if (phase_ != Phase::kRunning) return violation(request, "set-up not finished");
      auto route = parse_route(request, why);
      if (!route) return violation(request, why);
      if (std::find(routes_.begin(), routes_.end(), *route) == routes_.end()) {
        return violation(request, "no such route was added");
      }
      return delete_route(request, *route);
    }
    case Op::kShutdown:
      shutdown();
      return reply_for(request);
  }
  return violation(request, "unknown operation " + std::to_string(request.op));
}

void Monitor::shutdown() {
  if (phase_ == Phase::kFinished) return;
  phase_ = Phase::kFinished;
  for (const auto& route : routes_) {
    Status ok = actions_.route(*config_.route_helper, "delete", route.text, route.ifname,
                               config_.debug);
    if (!ok) log::error("Failed to delete route to ", route.text, ": ", ok.error().message);
  }
  routes_.clear();
  // The reference's order: hooks first, then the interfaces.
  if (hooks_started_) actions_.run_hooks(config_.hooks, "stop");
  for (const auto& name : brought_up_) {
    Status ok = actions_.take_down(name);
    if (!ok) log::error("Failed to take down interface \"", name, "\": ", ok.error().message);
  }
  brought_up_.clear();
}

// ---------------------------------------------------------------------------
// Helper process

void serve(int socket_fd, Monitor& monitor) {
  while (!monitor.finished()) {
    Request request;
    // One byte more than a record, so an oversized datagram is noticed
    // (MSG_TRUNC reports its real length).
    char buffer[sizeof(Request) + 1];
    ssize_t got = ::recv(socket_fd, buffer, sizeof buffer, MSG_TRUNC);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {  // the main process is gone: clean up on its behalf
      monitor.shutdown();
      return;
    }
    if (static_cast<size_t>(got) != sizeof(Request)) {
      log::error("privileged helper: malformed request of ", got, " bytes; ending the session");
      monitor.shutdown();
      return;
    }
    std::memcpy(&request, buffer, sizeof request);
    std::optional<Reply> reply = monitor.handle(request);
    if (!reply) return;
    if (::send(socket_fd, &*reply, sizeof *reply, MSG_NOSIGNAL) != sizeof *reply) {
      monitor.shutdown();
      return;
    }
  }
}

Result<HelperClient> start_helper(const HelperConfig& config) {
  auto pair = make_socketpair(SOCK_SEQPACKET);
  if (!pair) return pair.error();
  pid_t pid = ::fork();
  if (pid < 0) return fail(std::string("fork: ") + std::strerror(errno), errno);
  if (pid == 0) {
    pair->first.reset();
    signals::ignore_in_child();
    // Fully root, so the unprivileged main process (same real uid until
    // now) can no longer signal or trace it.
    if (::geteuid() == 0 && (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)) {
      log::error("privileged helper: cannot become root: ", std::strerror(errno));
      ::_exit(kExitOsError);
    }
    auto actions = make_system_actions();
    Monitor monitor(config, *actions);
    serve(pair->second.get(), monitor);
    ::_exit(0);
  }
  pair->second.reset();
  return HelperClient(std::move(pair->first), pid);
}

// ---------------------------------------------------------------------------
// Unprivileged side

HelperClient::~HelperClient() { shutdown(); }

HelperClient::HelperClient(HelperClient&& other) noexcept
    : socket_(std::move(other.socket_)), pid_(std::exchange(other.pid_, -1)) {}

Result<Reply> HelperClient::call(const Request& request) {
  if (!socket_) return fail("privileged helper is gone", EPIPE);
  if (::send(socket_.get(), &request, sizeof request, MSG_NOSIGNAL) != sizeof request) {
    return fail(std::string("privileged helper: send: ") + std::strerror(errno), errno);
  }
  Reply reply;
  ssize_t got;
  do {
    got = ::recv(socket_.get(), &reply, sizeof reply, 0);
  } while (got < 0 && errno == EINTR);
  if (got != sizeof reply || reply.magic != kMagic || reply.op != request.op) {
    socket_.reset();
    return fail("privileged helper ended the session", EPIPE);
  }
  if (reply.error != 0) return fail(std::strerror(reply.error), reply.error);
  return reply;
}

namespace {

Request make_request(Op op, const std::string& ifname = {}) {
  Request request;
  request.op = static_cast<uint32_t>(op);
  std::strncpy(request.ifname, ifname.c_str(), sizeof request.ifname - 1);
  return request;
}

Request route_request(Op op, int family, const uint8_t* address, const std::string& ifname) {
  Request request = make_request(op, ifname);
  request.family = static_cast<uint32_t>(family);
  std::memcpy(request.address, address, address_size(family));
  return request;
}

}  // namespace

Status HelperClient::start_hooks() {
  auto reply = call(make_request(Op::kStartHooks));
  if (!reply) return reply.error();
  return {};
}

Result<bool> HelperClient::bring_up(const std::string& name) {
  if (name.size() >= IFNAMSIZ) return fail("interface name too long: " + name, EINVAL);
  auto reply = call(make_request(Op::kBringUp, name));
  if (!reply) return reply.error();
  return reply->value == 1;
}

Status HelperClient::setup_done() {
  auto reply = call(make_request(Op::kSetupDone));
  if (!reply) return reply.error();
  return {};
}

Status HelperClient::add_route(int family, const uint8_t* address, const std::string& ifname) {
  auto reply = call(route_request(Op::kAddRoute, family, address, ifname));
  if (!reply) return reply.error();
  return {};
}

Status HelperClient::delete_route(int family, const uint8_t* address,
                                  const std::string& ifname) {
  auto reply = call(route_request(Op::kDeleteRoute, family, address, ifname));
  if (!reply) return reply.error();
  return {};
}

void HelperClient::shutdown() {
  if (socket_) {
    (void)call(make_request(Op::kShutdown));
    socket_.reset();  // EOF also makes the helper clean up and exit
  }
  if (pid_ > 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

}  // namespace mandos::client::privsep
