#include "daemon/state_saver.hpp"

#include "daemon/state.hpp"
#include "mandos/atomic_file.hpp"
#include "mandos/log.hpp"

namespace mandos::server {

StateSaver::StateSaver(Registry& registry, Scheduler& scheduler, std::string path,
                       const std::vector<ClientConfig>& settings, Micros urgent,
                       Micros routine)
    : registry_(registry), scheduler_(scheduler), path_(std::move(path)), settings_(settings),
      urgent_(urgent), routine_(routine) {
  registry_.add_observer(this);
}

StateSaver::~StateSaver() {
  registry_.remove_observer(this);
  cancel_timer(scheduler_, timer_);
}

void StateSaver::property_changed(const Client&, Property property) {
  if (!is_persistent(property)) return;
  switch (property) {
    case Property::Expires:
    case Property::LastCheckedOK:
    case Property::LastCheckerStatus:
    case Property::LastApprovalRequest:
      mark_dirty(/*urgent=*/false);
      return;
    case Property::ApprovalDelay:
    case Property::ApprovalDuration:
    case Property::ApprovalPending:
    case Property::ApprovedByDefault:
    case Property::Checker:
    case Property::CheckerRunning:
    case Property::Created:
    case Property::Enabled:
    case Property::ExtendedTimeout:
    case Property::Fingerprint:
    case Property::Host:
    case Property::Interval:
    case Property::KeyID:
    case Property::LastEnabled:
    case Property::Name:
    case Property::ObjectPath:
    case Property::Secret:
    case Property::Timeout:
      mark_dirty(/*urgent=*/true);
      return;
  }
}

void StateSaver::mark_dirty(bool urgent) {
  dirty_ = true;
  const WallTime due = scheduler_.now() + (urgent ? urgent_ : routine_);
  // A write already due by then: this change joins it.
  if (timer_ != 0 && due_ <= due) return;
  cancel_timer(scheduler_, timer_);
  due_ = due;
  timer_ = scheduler_.schedule(due - scheduler_.now(), [this] {
    timer_ = 0;
    (void)flush();
  });
}

Status StateSaver::flush(bool force) {
  cancel_timer(scheduler_, timer_);
  if (!dirty_ && !force) return {};
  std::vector<const ClientData*> clients;
  for (const auto& client : registry_.clients()) clients.push_back(&client->data());
  auto text = serialize_state(clients, settings_, scheduler_.now());
  Status written = text ? write_file_atomically(path_, *text, 0600) : Status(text.error());
  if (!written) {
    // Logged once per distinct problem, not on every change.
    if (written.error().message != last_error_) {
      log::warning("Could not save persistent state: ", written.error().message);
      last_error_ = written.error().message;
    }
    return written;
  }
  if (!last_error_.empty()) log::info("Persistent state saved again to ", path_);
  last_error_.clear();
  dirty_ = false;
  ++writes_;
  return {};
}

}  // namespace mandos::server
