// SIGINT, SIGHUP and SIGTERM (client.md §7): the first one caught ends the
// program after a full cleanup, then the same signal is raised again.
//
// The three signals stay blocked except inside the waits below, which
// unblock them atomically (ppoll). A signal therefore interrupts exactly the
// next or current wait, and there is no window between "check the flag"
// and "sleep" in which one could be lost. Signals ignored at start-up stay
// ignored, as in the reference.
#pragma once

#include <poll.h>

#include <chrono>
#include <optional>

#include "mandos/result.hpp"

namespace mandos::client::signals {

using Clock = std::chrono::steady_clock;

// Installs the handlers and blocks the signals. Call once, early.
[[nodiscard]] Status install();

// The signal caught, or 0.
int caught();
inline bool stop_requested() { return caught() != 0; }

// poll() with the signals unblocked. Returns what ppoll returns; -1 with
// errno EINTR when a signal (or anything else) interrupted it. A negative
// timeout waits for ever.
int poll(pollfd* fds, nfds_t count, int timeout_ms);

enum class Wait { kReady, kTimeout, kInterrupted };
// Waits for `events` on fd until `deadline` (nullopt: no limit).
[[nodiscard]] Result<Wait> wait_fd(int fd, short events, std::optional<Clock::time_point> deadline);
// Sleeps; false if a signal cut it short.
bool sleep_for(std::chrono::milliseconds duration);

// Milliseconds left until deadline, clamped to [0, INT_MAX].
int remaining_ms(Clock::time_point deadline);

// After cleanup: if a signal was caught, restores its default action,
// unblocks it and raises it again, so the parent sees the signal.
void reraise_if_caught();

// In a forked child that must not react to these signals (the privileged
// helper): ignore them and unblock.
void ignore_in_child();

}  // namespace mandos::client::signals
