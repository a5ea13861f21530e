#include "daemon/registry.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>

#include "daemon/checker_command.hpp"
#include "mandos/duration.hpp"
#include "mandos/keyid.hpp"
#include "mandos/log.hpp"

namespace mandos::server {
namespace {

Micros at_least_zero(Micros value) { return value < Micros::zero() ? Micros::zero() : value; }

// GLib timeouts are in whole milliseconds, as the reference computes them.
Micros whole_ms(Micros value) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at_least_zero(value));
}

}  // namespace

std::string_view property_name(Property property) {
  switch (property) {
    case Property::ApprovalDelay: return "ApprovalDelay";
    case Property::ApprovalDuration: return "ApprovalDuration";
    case Property::ApprovalPending: return "ApprovalPending";
    case Property::ApprovedByDefault: return "ApprovedByDefault";
    case Property::Checker: return "Checker";
    case Property::CheckerRunning: return "CheckerRunning";
    case Property::Created: return "Created";
    case Property::Enabled: return "Enabled";
    case Property::Expires: return "Expires";
    case Property::ExtendedTimeout: return "ExtendedTimeout";
    case Property::Fingerprint: return "Fingerprint";
    case Property::Host: return "Host";
    case Property::Interval: return "Interval";
    case Property::KeyID: return "KeyID";
    case Property::LastApprovalRequest: return "LastApprovalRequest";
    case Property::LastCheckedOK: return "LastCheckedOK";
    case Property::LastCheckerStatus: return "LastCheckerStatus";
    case Property::LastEnabled: return "LastEnabled";
    case Property::Name: return "Name";
    case Property::ObjectPath: return "ObjectPath";
    case Property::Secret: return "Secret";
    case Property::Timeout: return "Timeout";
  }
  return "?";
}

bool is_persistent(Property property) {
  switch (property) {
    case Property::ApprovalPending:
    case Property::CheckerRunning:
    case Property::ObjectPath:
      return false;
    case Property::ApprovalDelay:
    case Property::ApprovalDuration:
    case Property::ApprovedByDefault:
    case Property::Checker:
    case Property::Created:
    case Property::Enabled:
    case Property::Expires:
    case Property::ExtendedTimeout:
    case Property::Fingerprint:
    case Property::Host:
    case Property::Interval:
    case Property::KeyID:
    case Property::LastApprovalRequest:
    case Property::LastCheckedOK:
    case Property::LastCheckerStatus:
    case Property::LastEnabled:
    case Property::Name:
    case Property::Secret:
    case Property::Timeout:
      return true;
  }
  return true;
}

Registry::Registry(Scheduler& scheduler, CheckerLauncher& launcher, RandomDelay random,
                   RegistryOptions options)
    : scheduler_(scheduler), launcher_(launcher), random_(std::move(random)),
      options_(options) {}

Registry::~Registry() {
  *alive_ = false;
  shutdown();
}

void Registry::add_observer(RegistryObserver* observer) { observers_.push_back(observer); }

void Registry::remove_observer(RegistryObserver* observer) {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), observer), observers_.end());
}

template <class F>
void Registry::notify(F&& f) {
  // Copy: an observer may (un)register observers while being called.
  auto observers = observers_;
  for (RegistryObserver* observer : observers) f(*observer);
}

void Registry::changed(const Client& client, Property property) {
  if (client.removing_) return;
  notify([&](RegistryObserver& o) { o.property_changed(client, property); });
}

Client* Registry::by_serial(std::uint64_t serial) {
  auto found = by_serial_.find(serial);
  return found == by_serial_.end() ? nullptr : found->second;
}

Client* Registry::find(std::string_view name) {
  for (auto& client : clients_) {
    if (client->name() == name) return client.get();
  }
  return nullptr;
}

Client* Registry::find_by_key_id(std::string_view key_id) {
  if (key_id.empty() || is_never_matching_key_id(key_id)) return nullptr;
  auto found = by_key_id_.find(std::string(key_id));
  if (found == by_key_id_.end() || found->second.empty()) return nullptr;
  return found->second.front();
}

// --- Population --------------------------------------------------------------

Client& Registry::add_client(ClientData data) {
  auto client = std::make_unique<Client>();
  client->data_ = std::move(data);
  client->serial_ = next_serial_++;
  Client& ref = *client;
  clients_.push_back(std::move(client));
  by_key_id_[ref.data_.key_id].push_back(&ref);
  by_serial_[ref.serial_] = &ref;
  notify([&](RegistryObserver& o) { o.client_added(ref); });
  if (started_ && ref.enabled()) init_checker(ref, true);
  return ref;
}

void Registry::start() {
  started_ = true;
  for (auto& client : clients_) {
    if (client->enabled()) init_checker(*client, true);
  }
}

bool Registry::remove_client(const std::string& name) {
  Client* client = find(name);
  if (client == nullptr) return false;
  client->removing_ = true;
  disable(*client, /*quiet=*/true);
  cancel_timer(scheduler_, client->approval_reset_timer_);
  // Answer whoever still waits for this client: it no longer exists.
  std::vector<RequestId> waiting;
  for (auto& [id, request] : requests_) {
    if (request.client_serial == client->serial_ && !request.answered) waiting.push_back(id);
  }
  for (RequestId id : waiting) {
    auto found = requests_.find(id);
    if (found == requests_.end()) continue;
    found->second.counted_pending = false;
    answer(found->second, SecretReply{false, ipc::Refusal::Disabled, {}});
  }
  notify([&](RegistryObserver& o) { o.client_removed(*client); });
  auto& same_key = by_key_id_[client->data_.key_id];
  same_key.erase(std::remove(same_key.begin(), same_key.end(), client), same_key.end());
  by_serial_.erase(client->serial_);
  clients_.erase(std::find_if(clients_.begin(), clients_.end(),
                              [&](const auto& c) { return c.get() == client; }));
  return true;
}

void Registry::shutdown() {
  for (auto& client : clients_) {
    cancel_timer(scheduler_, client->checker_timer_);
    cancel_timer(scheduler_, client->disable_timer_);
    cancel_timer(scheduler_, client->approval_reset_timer_);
    cancel_timer(scheduler_, client->checker_kill_timer_);
    if (client->checker_pid_ != 0) {
      launcher_.signal(client->checker_pid_, SIGTERM);
      client->checker_abandoned_ = true;
    }
  }
  for (auto& [id, request] : requests_) cancel_timer(scheduler_, request.wait_timer);
  started_ = false;
}

// --- Expiry and checker schedule (server.md §5, §6) ---------------------------

void Registry::set_expires(Client& client, std::optional<WallTime> expires) {
  if (client.data_.expires == expires) return;
  client.data_.expires = expires;
  changed(client, Property::Expires);
}

void Registry::schedule_disable(Client& client, Micros delay) {
  cancel_timer(scheduler_, client.disable_timer_);
  std::uint64_t serial = client.serial_;
  client.disable_timer_ = scheduler_.schedule_coarse(whole_ms(delay), [this, serial] {
    Client* c = by_serial(serial);
    if (c == nullptr) return;
    c->disable_timer_ = 0;
    disable(*c, /*quiet=*/false);
  });
}

void Registry::init_checker(Client& client, bool randomize) {
  cancel_timer(scheduler_, client.checker_timer_);
  const Micros interval = whole_ms(client.data_.interval);
  const Micros delay = randomize ? whole_ms(random_(interval)) : interval;
  std::uint64_t serial = client.serial_;
  client.checker_timer_ = scheduler_.schedule_coarse(delay, [this, serial] {
    if (Client* c = by_serial(serial)) on_checker_timer(*c);
  });
  // A checker may take up to an interval, so expire one interval after the
  // first one starts at the earliest.
  set_expires(client, scheduler_.now() + delay + interval);
  schedule_disable(client, delay + interval);
}

void Registry::on_checker_timer(Client& client) {
  client.checker_timer_ = 0;
  start_checker(client);
  if (!client.enabled() || client.checker_timer_ != 0) return;
  // A zero interval would spin; the reference would, too, but without harm
  // to others only because it is single-threaded. Keep at least 1 ms.
  Micros interval = std::max(whole_ms(client.data_.interval), Micros(1000));
  std::uint64_t serial = client.serial_;
  client.checker_timer_ = scheduler_.schedule_coarse(interval, [this, serial] {
    if (Client* c = by_serial(serial)) on_checker_timer(*c);
  });
}

void Registry::start_checker(Client& client) {
  if (client.checker_pid_ != 0) {
    if (client.checker_abandoned_) {
      log::debug("Previous checker for ", client.name(), " is still being stopped");
    } else {
      log::debug("Checker for ", client.name(), " is still running");
    }
    return;
  }
  auto command = expand_checker_command(client.data_, options_.expand_object_path);
  if (!command) {
    log::error("Could not format string \"", client.data_.checker, "\" for client ",
               client.name(), ": ", command.error().message);
    return;  // retried at the next interval
  }
  log::info("Starting checker \"", *command, "\" for ", client.name());
  std::uint64_t serial = client.serial_;
  std::weak_ptr<bool> alive = alive_;
  auto pid = launcher_.start(*command, [this, alive, serial](int status) {
    if (alive.expired() || !*alive.lock()) return;
    on_checker_done(serial, 0, status);
  });
  if (!pid) {
    log::error("Failed to start checker for ", client.name(), ": ", pid.error().message);
    return;
  }
  client.checker_pid_ = *pid;
  client.checker_abandoned_ = false;
  client.current_command_ = *command;
  changed(client, Property::CheckerRunning);
  notify([&](RegistryObserver& o) { o.checker_started(client, *command); });
}

void Registry::stop_checker(Client& client) {
  if (client.checker_pid_ == 0 || client.checker_abandoned_) return;
  log::debug("Stopping checker for ", client.name());
  launcher_.signal(client.checker_pid_, SIGTERM);
  client.checker_abandoned_ = true;
  changed(client, Property::CheckerRunning);
  std::uint64_t serial = client.serial_;
  client.checker_kill_timer_ = scheduler_.schedule(options_.checker_kill_grace, [this, serial] {
    Client* c = by_serial(serial);
    if (c == nullptr) return;
    c->checker_kill_timer_ = 0;
    if (c->checker_pid_ != 0 && c->checker_abandoned_) {
      log::warning("Checker for ", c->name(), " ignored SIGTERM; killing it");
      launcher_.signal(c->checker_pid_, SIGKILL);
    }
  });
}

void Registry::on_checker_done(std::uint64_t serial, int /*pid*/, int wait_status) {
  Client* found = by_serial(serial);
  if (found == nullptr) return;
  Client& client = *found;
  const bool abandoned = client.checker_abandoned_;
  client.checker_pid_ = 0;
  client.checker_abandoned_ = false;
  cancel_timer(scheduler_, client.checker_kill_timer_);
  if (abandoned) return;  // stopped: its result no longer counts
  changed(client, Property::CheckerRunning);
  const std::string command = client.current_command_;
  const int old_status = client.data_.last_checker_status;
  if (WIFEXITED(wait_status)) {
    int code = WEXITSTATUS(wait_status);
    client.data_.last_checker_status = code;
    client.data_.last_checker_signal = 0;
    if (code == 0) {
      log::info("Checker for ", client.name(), " succeeded");
      checked_ok(client);
    } else {
      log::info("Checker for ", client.name(), " failed");
      if (old_status != code) changed(client, Property::LastCheckerStatus);
    }
    notify([&](RegistryObserver& o) {
      o.checker_completed(client, code, std::int64_t{code} << 8, command);
    });
    return;
  }
  int signo = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
  client.data_.last_checker_status = kCheckerStatusAbnormal;
  client.data_.last_checker_signal = signo;
  log::warning("Checker for ", client.name(), " crashed?");
  if (old_status != kCheckerStatusAbnormal) changed(client, Property::LastCheckerStatus);
  // QUIRK kept (dbus-api.md): (-1 << 8) | signal, a negative number.
  notify([&](RegistryObserver& o) {
    o.checker_completed(client, -1, (std::int64_t{-1} * 256) | signo, command);
  });
}

void Registry::disable(Client& client, bool quiet) {
  if (!client.enabled()) return;
  if (!quiet) log::info("Disabling client ", client.name());
  cancel_timer(scheduler_, client.disable_timer_);
  set_expires(client, std::nullopt);
  cancel_timer(scheduler_, client.checker_timer_);
  stop_checker(client);
  client.data_.enabled = false;
  changed(client, Property::Enabled);
}

void Registry::bump_timeout(Client& client, Micros timeout) {
  cancel_timer(scheduler_, client.disable_timer_);
  if (!client.enabled()) return;
  schedule_disable(client, timeout);
  set_expires(client, scheduler_.now() + timeout);
}

// --- Methods and property setters ------------------------------------------------

void Registry::set_enabled(Client& client, bool enabled) {
  if (!enabled) {
    disable(client, /*quiet=*/false);
    return;
  }
  if (client.enabled()) return;
  client.data_.enabled = true;
  client.data_.last_enabled = scheduler_.now();
  if (started_) init_checker(client, /*randomize=*/false);
  changed(client, Property::Enabled);
  changed(client, Property::LastEnabled);
  wake_waiters(client);
}

void Registry::checked_ok(Client& client) {
  client.data_.last_checked_ok = scheduler_.now();
  changed(client, Property::LastCheckedOK);
  const bool status_changed = client.data_.last_checker_status != 0;
  client.data_.last_checker_status = 0;
  client.data_.last_checker_signal = 0;
  if (status_changed) changed(client, Property::LastCheckerStatus);
  bump_timeout(client, client.data_.timeout);
}

void Registry::approve(Client& client, bool approved) {
  log::debug(approved ? "Approving" : "Denying", " client ", client.name());
  client.approved_ = approved;
  cancel_timer(scheduler_, client.approval_reset_timer_);
  std::uint64_t serial = client.serial_;
  client.approval_reset_timer_ =
      scheduler_.schedule(whole_ms(client.data_.approval_duration), [this, serial] {
        if (Client* c = by_serial(serial)) {
          c->approval_reset_timer_ = 0;
          c->approved_.reset();
        }
      });
  wake_waiters(client);
}

void Registry::set_timeout(Client& client, Micros timeout) {
  const Micros old = client.data_.timeout;
  if (old == timeout) return;
  client.data_.timeout = timeout;
  changed(client, Property::Timeout);
  if (!client.enabled() || !client.data_.expires) return;
  const WallTime now = scheduler_.now();
  const WallTime expires = *client.data_.expires + (timeout - old);
  set_expires(client, expires);
  if (expires <= now) {
    disable(client, /*quiet=*/false);
    return;
  }
  if (client.disable_timer_ == 0) return;
  schedule_disable(client, expires - now);
}

void Registry::set_interval(Client& client, Micros interval) {
  if (client.data_.interval == interval) return;
  client.data_.interval = interval;
  changed(client, Property::Interval);
  if (client.checker_timer_ == 0 || !client.enabled()) return;
  cancel_timer(scheduler_, client.checker_timer_);
  std::uint64_t serial = client.serial_;
  Micros tick = std::max(whole_ms(interval), Micros(1000));
  client.checker_timer_ = scheduler_.schedule_coarse(tick, [this, serial] {
    if (Client* c = by_serial(serial)) on_checker_timer(*c);
  });
  start_checker(client);
}

#define MANDOS_SIMPLE_SETTER(function, field, type, property) \
  void Registry::function(Client& client, type value) {       \
    if (client.data_.field == value) return;                   \
    client.data_.field = std::move(value);                     \
    changed(client, Property::property);                       \
  }

MANDOS_SIMPLE_SETTER(set_extended_timeout, extended_timeout, Micros, ExtendedTimeout)
MANDOS_SIMPLE_SETTER(set_approval_delay, approval_delay, Micros, ApprovalDelay)
MANDOS_SIMPLE_SETTER(set_approval_duration, approval_duration, Micros, ApprovalDuration)
MANDOS_SIMPLE_SETTER(set_approved_by_default, approved_by_default, bool, ApprovedByDefault)
MANDOS_SIMPLE_SETTER(set_checker, checker, std::string, Checker)
MANDOS_SIMPLE_SETTER(set_host, host, std::string, Host)
#undef MANDOS_SIMPLE_SETTER

void Registry::set_secret(Client& client, SecretBytes secret) {
  // Write-only over D-Bus: always reported (as "invalidated").
  client.data_.secret = std::move(secret);
  changed(client, Property::Secret);
}

// --- Secret requests (server.md §7) ----------------------------------------------

RequestId Registry::begin_request(const std::string& key_id, const std::string& peer,
                                  std::function<void(SecretReply)> reply) {
  const RequestId id = next_request_++;
  Client* client = find_by_key_id(key_id);
  if (client == nullptr) {
    log::info("Client not found for key ID: ", key_id, ", address: ", peer);
    notify([&](RegistryObserver& o) { o.client_not_found(key_id, peer); });
    reply(SecretReply{false, ipc::Refusal::NotFound, {}});
    return id;
  }
  Request request;
  request.client_serial = client->serial_;
  request.client_name = client->name();
  request.reply = std::move(reply);
  request.remaining = client->data_.approval_delay;
  if (client->data_.approval_delay != Micros::zero()) {
    request.counted_pending = true;
    set_pending(*client, +1);
  }
  requests_.emplace(id, std::move(request));
  evaluate_request(id);
  return id;
}

void Registry::set_pending(Client& client, int delta) {
  const bool was = client.approval_pending();
  client.approvals_pending_ = std::max(0, client.approvals_pending_ + delta);
  if (client.approval_pending() != was) changed(client, Property::ApprovalPending);
}

void Registry::answer(Request& request, SecretReply reply) {
  request.answered = true;
  request.granted = reply.granted;
  cancel_timer(scheduler_, request.wait_timer);
  // The callback may end the request (and erase `request`): call it last.
  auto callback = std::move(request.reply);
  request.reply = nullptr;
  if (callback) callback(std::move(reply));
}

void Registry::refuse(Request& request, const Client& client, ipc::Refusal refusal,
                      const std::string& reason) {
  notify([&](RegistryObserver& o) { o.rejected(client, reason); });
  answer(request, SecretReply{false, refusal, {}});
}

void Registry::evaluate_request(RequestId id) {
  auto found = requests_.find(id);
  if (found == requests_.end()) return;
  Request& request = found->second;
  Client* client = by_serial(request.client_serial);
  if (client == nullptr) {
    answer(request, SecretReply{false, ipc::Refusal::Disabled, {}});
    return;
  }
  if (!client->enabled()) {
    log::info("Client ", client->name(), " is disabled");
    refuse(request, *client, ipc::Refusal::Disabled, "Disabled");
    return;
  }
  if (client->approved_.value_or(false) || client->data_.approval_delay == Micros::zero()) {
    log::info("Sending secret to ", client->name());
    answer(request, SecretReply{true, ipc::Refusal::NotFound, client->data_.secret});
    return;
  }
  if (!client->approved_.has_value()) {
    log::info("Client ", client->name(), " needs approval");
    if (options_.record_approval_requests) {
      client->data_.last_approval_request = scheduler_.now();
      changed(*client, Property::LastApprovalRequest);
    }
    const auto delay_ms =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_milliseconds(client->data_.approval_delay)));
    notify([&](RegistryObserver& o) {
      o.need_approval(*client, delay_ms, client->data_.approved_by_default);
    });
  } else {
    log::warning("Client ", client->name(), " was not approved");
    refuse(request, *client, ipc::Refusal::Denied, "Denied");
    return;
  }
  request.wait_started = scheduler_.now();
  request.wait_timer = scheduler_.schedule(at_least_zero(request.remaining), [this, id] {
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    it->second.wait_timer = 0;
    on_request_wait_over(id);
  });
}

void Registry::on_request_wait_over(RequestId id) {
  auto found = requests_.find(id);
  if (found == requests_.end()) return;
  Request& request = found->second;
  Client* client = by_serial(request.client_serial);
  if (client == nullptr) {
    answer(request, SecretReply{false, ipc::Refusal::Disabled, {}});
    return;
  }
  // QUIRK kept: a client disabled meanwhile still follows approved_by_default.
  if (client->data_.approved_by_default) {
    log::info("Sending secret to ", client->name());
    answer(request, SecretReply{true, ipc::Refusal::NotFound, client->data_.secret});
    return;
  }
  log::warning("Client ", client->name(), " timed out while waiting for approval");
  refuse(request, *client, ipc::Refusal::ApprovalTimedOut, "Approval timed out");
}

void Registry::wake_waiters(const Client& client) {
  std::vector<RequestId> waiting;
  for (auto& [id, request] : requests_) {
    if (request.client_serial == client.serial_ && !request.answered &&
        request.wait_timer != 0) {
      waiting.push_back(id);
    }
  }
  const WallTime now = scheduler_.now();
  for (RequestId id : waiting) {
    auto found = requests_.find(id);
    if (found == requests_.end() || found->second.wait_timer == 0) continue;
    Request& request = found->second;
    cancel_timer(scheduler_, request.wait_timer);
    const Micros elapsed = now - request.wait_started;
    if (elapsed >= request.remaining) {
      on_request_wait_over(id);
    } else {
      request.remaining -= elapsed;
      evaluate_request(id);
    }
  }
}

void Registry::end_request(RequestId id, ipc::Outcome outcome) {
  auto found = requests_.find(id);
  if (found == requests_.end()) return;
  Request request = std::move(found->second);
  requests_.erase(found);
  cancel_timer(scheduler_, request.wait_timer);
  Client* client = by_serial(request.client_serial);
  if (client == nullptr) return;
  if (request.counted_pending) set_pending(*client, -1);
  if (outcome == ipc::Outcome::Delivered && request.granted) {
    bump_timeout(*client, client->data_.extended_timeout);
    notify([&](RegistryObserver& o) { o.got_secret(*client); });
  }
}

}  // namespace mandos::server
