// Keeps STATEDIR/clients.json current: every change that must survive a
// restart marks the state dirty, and a timer coalesces a burst of changes
// into one atomic write (temp file + fsync + rename). flush() writes at
// once (shutdown). Construction removes temporary files that an earlier
// run left behind when it was killed in the middle of a write.
//
// Two tiers, because a write costs O(clients): decisions (enabled, secret,
// settings, clients added/removed) are written within `urgent`; routine
// checker bookkeeping (expiry, last check, status) within `routine`, or
// longer for a large file: one routine write per (file size / `routine_rate`)
// at most, so many clients with frequent checkers neither keep the CPU busy
// serialising nor rewrite megabytes every few seconds (10,000 clients make
// 23 MB, a few hundred ms of CPU to write: every 5 minutes rather than
// every 90 s at 256 KiB per second). Losing routine
// bookkeeping to a crash is harmless: a start reschedules every checker.
#pragma once

#include <string>
#include <vector>

#include "daemon/client_config.hpp"
#include "daemon/registry.hpp"
#include "daemon/scheduler.hpp"

namespace mandos::server {

class StateSaver final : public RegistryObserver {
 public:
  StateSaver(Registry& registry, Scheduler& scheduler, std::string path,
             const std::vector<ClientConfig>& settings,
             Micros urgent = std::chrono::milliseconds(500),
             Micros routine = std::chrono::seconds(5),
             size_t routine_rate = size_t{64} << 10);
  ~StateSaver() override;
  StateSaver(const StateSaver&) = delete;
  StateSaver& operator=(const StateSaver&) = delete;

  void mark_dirty(bool urgent = true);
  // Writes now if anything changed since the last write (or `force`).
  // Failures are logged as warnings (as the reference does) and returned.
  Status flush(bool force = false);
  size_t writes() const { return writes_; }
  // The routine tier's delay now (grows with the file).
  Micros routine_delay() const { return routine_now_; }
  bool dirty() const { return dirty_; }

  void client_added(const Client&) override { mark_dirty(); }
  void client_removed(const Client&) override { mark_dirty(); }
  void property_changed(const Client&, Property property) override;

 private:
  Registry& registry_;
  Scheduler& scheduler_;
  std::string path_;
  const std::vector<ClientConfig>& settings_;
  Micros urgent_;
  Micros routine_;
  size_t routine_rate_;  // bytes per second of routine delay
  Micros routine_now_;
  TimerId timer_ = 0;
  WallTime due_{};
  bool dirty_ = false;
  size_t writes_ = 0;
  std::string last_error_;
};

}  // namespace mandos::server
