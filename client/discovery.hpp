// Zeroconf discovery of Mandos servers with an embedded avahi-core stack
// (client.md §5): an initramfs has no avahi-daemon and no D-Bus, so the
// client runs its own mDNS querier. Local publishing is disabled.
//
// Every resolved server gets one attempt at once; failed servers join a
// round-robin list and each is retried when --retry seconds have passed
// since its last attempt, while Avahi keeps running in between.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "attempt.hpp"
#include "mandos/result.hpp"

namespace mandos::client {

struct DiscoverySettings {
  unsigned browse_ifindex = 0;         // 0: all interfaces
  std::vector<unsigned> in_use;        // servers elsewhere are skipped; empty: no filter
  std::chrono::milliseconds retry{10000};
  bool debug = false;
};

// The retry list (pure logic, exposed for tests).
class RetryList {
 public:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    Server server;
    Clock::time_point last_tried;
  };
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // Adds a server that just failed; it comes last in the round.
  void add(const Server& server, Clock::time_point now);
  // Time until the current server is due (zero or negative: due now).
  std::chrono::milliseconds wait(std::chrono::milliseconds retry, Clock::time_point now) const;
  Entry& current() { return entries_[current_]; }
  // Marks the current server tried at `now` and moves to the next.
  void advance(Clock::time_point now);

 private:
  std::vector<Entry> entries_;
  size_t current_ = 0;
};

using AttemptFunction = std::function<AttemptResult(const Server&)>;

class Discovery {
 public:
  // Starts the mDNS stack and the `_mandos._tcp` browser. Fails (exit 69)
  // if Avahi cannot be set up.
  [[nodiscard]] static Result<std::unique_ptr<Discovery>> create(DiscoverySettings settings);
  ~Discovery();
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // Runs until an attempt yields the password (kSecret) or a signal
  // arrives (kInterrupted). A browser failure is an error.
  [[nodiscard]] Result<AttemptResult> run(const AttemptFunction& attempt);

  struct Impl;

 private:
  explicit Discovery(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mandos::client
