#include "daemon/state_saver.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "daemon/state.hpp"
#include "mandos/atomic_file.hpp"
#include "mandos/log.hpp"

namespace mandos::server {
namespace {

// However large the file, checker bookkeeping is written at least this often.
constexpr Micros kMaxRoutineDelay = std::chrono::minutes(5);

// write_file_atomically() names its temporary file ".NAME.XXXXXX" next to
// NAME (mkostemp: six random characters). A kill or crash in the middle of a
// write leaves one behind, as large as the state; nothing else ever removes
// it. This server is the only writer of its state file, so at start-up every
// such file is debris of an earlier run.
void remove_interrupted_writes(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string directory =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string prefix =
      "." + (slash == std::string::npos ? path : path.substr(slash + 1)) + ".";
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(directory.c_str()), ::closedir);
  if (!dir) return;  // the first write reports an unusable directory
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0) {
      continue;
    }
    struct stat st {};
    if (::fstatat(::dirfd(dir.get()), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
      continue;
    }
    if (::unlinkat(::dirfd(dir.get()), name.c_str(), 0) == 0) {
      log::info("Removed ", directory, "/", name, " (left by an interrupted state write)");
    } else {
      log::warning("Could not remove ", directory, "/", name, ": ", std::strerror(errno));
    }
  }
}

}  // namespace

StateSaver::StateSaver(Registry& registry, Scheduler& scheduler, std::string path,
                       const std::vector<ClientConfig>& settings, Micros urgent,
                       Micros routine, size_t routine_rate)
    : registry_(registry), scheduler_(scheduler), path_(std::move(path)), settings_(settings),
      urgent_(urgent), routine_(routine), routine_rate_(std::max<size_t>(routine_rate, 1)),
      routine_now_(routine) {
  remove_interrupted_writes(path_);
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
  const WallTime due = scheduler_.now() + (urgent ? urgent_ : routine_now_);
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
  const auto started = std::chrono::steady_clock::now();
  std::vector<const ClientData*> clients;
  for (const auto& client : registry_.clients()) clients.push_back(&client->data());
  auto text = serialize_state(clients, settings_, scheduler_.now());
  Status written = text ? write_file_atomically(path_, *text, 0600) : Status(text.error());
  if (text) {
    const size_t bytes = text->size();
    text->clear();
    text->shrink_to_fit();
    ::malloc_trim(0);  // the text of a large state would otherwise stay resident
    const auto seconds = static_cast<Micros::rep>(bytes / routine_rate_);
    routine_now_ = std::max(routine_, std::min<Micros>(std::chrono::seconds(seconds),
                                                       kMaxRoutineDelay));
  }
  if (!written) {
    // Logged once per distinct problem, not on every change.
    if (written.error().message != last_error_) {
      log::warning("Could not save persistent state: ", written.error().message);
      last_error_ = written.error().message;
    }
    return written;
  }
  if (!last_error_.empty()) log::info("Persistent state saved again to ", path_);
  log::debug("Saved the state of ", clients.size(), " clients to ", path_, " in ",
             std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - started)
                 .count(),
             " ms; next routine save after ", routine_now_.count() / 1000000, " s");
  last_error_.clear();
  dirty_ = false;
  ++writes_;
  return {};
}

}  // namespace mandos::server
