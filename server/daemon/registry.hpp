// The client registry of the main process: every client's settings and
// history, its checker schedule, expiry, approval state and the secret
// requests that connection workers forward.
//
// It is the single place where client state changes, so everything that
// must follow a change hangs off RegistryObserver: the state file saver now,
// the D-Bus objects later. The observer hooks cover every D-Bus property
// change (Property) and every client/server signal of dbus-api.md; setters
// have the effects of the reference's D-Bus property setters.
//
// Time comes from a Scheduler and checkers from a CheckerLauncher, so the
// logic runs under a virtual clock in unit tests.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ipc.hpp"
#include "daemon/client_data.hpp"
#include "daemon/scheduler.hpp"
#include "mandos/result.hpp"

namespace mandos::server {

// Every client property of the D-Bus API (dbus-api.md §4).
enum class Property {
  ApprovalDelay,
  ApprovalDuration,
  ApprovalPending,
  ApprovedByDefault,
  Checker,
  CheckerRunning,
  Created,
  Enabled,
  Expires,
  ExtendedTimeout,
  Fingerprint,
  Host,
  Interval,
  KeyID,
  LastApprovalRequest,
  LastCheckedOK,
  LastCheckerStatus,
  LastEnabled,
  Name,
  ObjectPath,
  Secret,
  Timeout,
};
std::string_view property_name(Property property);

// True for properties whose changes must reach the state file.
bool is_persistent(Property property);

class Client;

// Hooks for everything observable. Called synchronously, after the change,
// from the main loop; observers must not throw. Property changes are only
// reported when the value really changed (never while a client is built).
class RegistryObserver {
 public:
  virtual ~RegistryObserver() = default;
  virtual void client_added(const Client& /*client*/) {}
  // Before the client object is destroyed.
  virtual void client_removed(const Client& /*client*/) {}
  virtual void property_changed(const Client& /*client*/, Property /*property*/) {}
  // CheckerCompleted(n, x, s): exit code or -1, wait value, command.
  virtual void checker_completed(const Client& /*client*/, int /*exit_code*/,
                                 std::int64_t /*wait_value*/, const std::string& /*command*/) {}
  virtual void checker_started(const Client& /*client*/, const std::string& /*command*/) {}
  virtual void got_secret(const Client& /*client*/) {}
  virtual void need_approval(const Client& /*client*/, std::uint64_t /*delay_ms*/,
                             bool /*approved_by_default*/) {}
  // "Disabled", "Denied" or "Approval timed out".
  virtual void rejected(const Client& /*client*/, const std::string& /*reason*/) {}
  virtual void client_not_found(const std::string& /*key_id*/, const std::string& /*address*/) {}
};

// Runs checker commands. done(wait_status) is called once from the main
// loop when the process has been reaped, unless the launcher is destroyed.
class CheckerLauncher {
 public:
  virtual ~CheckerLauncher() = default;
  using Done = std::function<void(int wait_status)>;
  // Returns an id (the pid) for terminate().
  [[nodiscard]] virtual Result<int> start(const std::string& command, Done done) = 0;
  // Sends sig to the checker's whole process group if it was not reaped yet.
  virtual void signal(int id, int sig) = 0;
};

class Client {
 public:
  const ClientData& data() const { return data_; }
  const std::string& name() const { return data_.name; }
  bool enabled() const { return data_.enabled; }
  bool checker_running() const { return checker_pid_ != 0 && !checker_abandoned_; }
  bool approval_pending() const { return approvals_pending_ > 0; }
  int approvals_pending() const { return approvals_pending_; }
  std::optional<bool> approved() const { return approved_; }
  // The command of the running (or last started) checker.
  const std::string& current_checker_command() const { return current_command_; }
  std::uint64_t serial() const { return serial_; }

 private:
  friend class Registry;
  ClientData data_;
  std::uint64_t serial_ = 0;
  TimerId checker_timer_ = 0;   // next checker start
  bool checker_timer_randomized_ = false;
  TimerId disable_timer_ = 0;   // expiry
  TimerId approval_reset_timer_ = 0;
  int checker_pid_ = 0;         // unreaped checker, 0 if none
  bool checker_abandoned_ = false;  // stopped: result is ignored when reaped
  TimerId checker_kill_timer_ = 0;
  std::string current_command_;
  std::optional<bool> approved_;
  int approvals_pending_ = 0;
  bool removing_ = false;  // being removed: changes are not reported
};

struct RegistryOptions {
  // The reference records LastApprovalRequest only in its D-Bus subclass.
  bool record_approval_requests = false;
  // Offer %(dbus_object_path)s to checker commands (reference: with D-Bus).
  bool expand_object_path = false;
  // A stopped checker's process group gets SIGKILL if still unreaped then.
  Micros checker_kill_grace = std::chrono::seconds(5);
};

// What the registry answers to a secret request.
struct SecretReply {
  bool granted = false;
  ipc::Refusal refusal = ipc::Refusal::NotFound;
  SecretBytes secret;
};

using RequestId = std::uint64_t;
using RandomDelay = std::function<Micros(Micros max)>;  // uniform in [0, max] ms steps

class Registry {
 public:
  Registry(Scheduler& scheduler, CheckerLauncher& launcher, RandomDelay random,
           RegistryOptions options = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  void add_observer(RegistryObserver* observer);
  void remove_observer(RegistryObserver* observer);

  // --- Population -------------------------------------------------------
  // Adds a client (internal order = insertion order) and reports it. No
  // timers start until start() or, for clients added later, immediately.
  Client& add_client(ClientData data);
  // Start-up scheduling (server.md §5) of every enabled client.
  void start();
  // RemoveClient: disabled silently, unanswered requests refused, reported.
  bool remove_client(const std::string& name);
  // Shutdown: stops every timer and checker without reporting anything.
  void shutdown();

  const std::vector<std::unique_ptr<Client>>& clients() const { return clients_; }
  Client* find(std::string_view name);
  // First client (internal order) with this key ID; the empty-input hash
  // never matches.
  Client* find_by_key_id(std::string_view key_id);

  // --- Methods and property setters (dbus-api.md §4) ------------------------
  void set_enabled(Client& client, bool enabled);  // Enable / Disable
  void checked_ok(Client& client);                 // CheckedOK, Set LastCheckedOK
  void start_checker(Client& client);              // StartChecker, CheckerRunning=true
  void stop_checker(Client& client);               // StopChecker, CheckerRunning=false
  void approve(Client& client, bool approved);     // Approve(b)
  void set_timeout(Client& client, Micros timeout);  // shifts expiry by new-old
  void set_extended_timeout(Client& client, Micros value);
  void set_interval(Client& client, Micros interval);  // reschedules, checks now
  void set_approval_delay(Client& client, Micros value);
  void set_approval_duration(Client& client, Micros value);
  void set_approved_by_default(Client& client, bool value);
  void set_checker(Client& client, std::string command);
  void set_host(Client& client, std::string host);
  void set_secret(Client& client, SecretBytes secret);

  // --- Secret requests from connection workers (server.md §7) ---------------
  // reply is called exactly once unless end_request() comes first; it may
  // be called before begin_request returns.
  RequestId begin_request(const std::string& key_id, const std::string& peer,
                          std::function<void(SecretReply)> reply);
  // The connection ended (any outcome); Delivered bumps expiry and reports
  // GotSecret. Unknown ids are ignored.
  void end_request(RequestId id, ipc::Outcome outcome);
  size_t open_requests() const { return requests_.size(); }

 private:
  struct Request {
    std::uint64_t client_serial = 0;
    std::string client_name;
    std::function<void(SecretReply)> reply;
    bool answered = false;
    bool granted = false;
    bool counted_pending = false;
    Micros remaining{};
    WallTime wait_started{};
    TimerId wait_timer = 0;
  };

  template <class F>
  void notify(F&& f);
  void changed(const Client& client, Property property);
  void set_expires(Client& client, std::optional<WallTime> expires);
  void schedule_disable(Client& client, Micros delay);
  void init_checker(Client& client, bool randomize);
  void on_checker_timer(Client& client);
  void disable(Client& client, bool quiet);
  void bump_timeout(Client& client, Micros timeout);
  void on_checker_done(std::uint64_t serial, int pid, int wait_status);
  void set_pending(Client& client, int delta);
  void evaluate_request(RequestId id);
  void on_request_wait_over(RequestId id);
  void answer(Request& request, SecretReply reply);
  void refuse(Request& request, const Client& client, ipc::Refusal refusal,
              const std::string& reason);
  void wake_waiters(const Client& client);
  Client* by_serial(std::uint64_t serial);

  Scheduler& scheduler_;
  CheckerLauncher& launcher_;
  RandomDelay random_;
  RegistryOptions options_;
  std::vector<RegistryObserver*> observers_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::unordered_map<std::string, std::vector<Client*>> by_key_id_;
  std::unordered_map<std::uint64_t, Client*> by_serial_;
  std::uint64_t next_serial_ = 1;
  bool started_ = false;
  std::map<RequestId, Request> requests_;
  RequestId next_request_ = 1;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mandos::server
