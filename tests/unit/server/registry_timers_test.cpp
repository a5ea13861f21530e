#include "daemon/registry_timers.hpp"

#include <glib.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mandos::server::test {
namespace {

using namespace std::chrono_literals;

// Runs the default main context until `done` (a minute at most).
template <class Done>
bool run_until(Done done) {
  const gint64 limit = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
  while (!done() && g_get_monotonic_time() < limit) g_main_context_iteration(nullptr, TRUE);
  return done();
}

TEST(HeapScheduler, FiresInDeadlineOrderThenScheduleOrder) {
  HeapScheduler scheduler;
  std::string order;
  scheduler.schedule(30ms, [&] { order += "c"; });
  scheduler.schedule(10ms, [&] { order += "a"; });
  scheduler.schedule(20ms, [&] { order += "b"; });
  scheduler.schedule(Micros(-5), [&] { order += "0"; });  // negative = now
  scheduler.schedule(Micros(-7), [&] { order += "1"; });
  ASSERT_TRUE(run_until([&] { return order.size() == 5; }));
  EXPECT_EQ(order, "01abc");
  EXPECT_EQ(scheduler.pending(), 0u);
}

TEST(HeapScheduler, NeverFiresEarlierThanAsked) {
  HeapScheduler scheduler;
  const gint64 start = g_get_monotonic_time();
  gint64 fired = 0;
  scheduler.schedule(Micros(20'001), [&] { fired = g_get_monotonic_time(); });
  ASSERT_TRUE(run_until([&] { return fired != 0; }));
  EXPECT_GE(fired - start, 21'000);  // rounded up to whole milliseconds
}

TEST(HeapScheduler, CoarseTimersWaitForTheNextWholeSecondAndFireTogether) {
  HeapScheduler scheduler;
  const gint64 start = g_get_monotonic_time();
  // Both deadlines fall in the second that ends at `boundary`, with tens of
  // milliseconds to spare for a slow test machine.
  const gint64 boundary =
      (start + 100'000 + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC * G_USEC_PER_SEC;
  int iteration = 0;  // of the main loop
  struct Fired {
    gint64 time = 0;
    int iteration = 0;
  } first, second, precise;
  auto record = [&](Fired& fired) {
    return [&] { fired = {g_get_monotonic_time(), iteration}; };
  };
  scheduler.schedule_coarse(60ms, record(first));
  scheduler.schedule_coarse(Micros(boundary - start - 50'000), record(second));
  scheduler.schedule(1ms, record(precise));
  ASSERT_TRUE(run_until([&] {
    ++iteration;
    return first.time != 0 && second.time != 0;
  }));
  EXPECT_GE(first.time, boundary);
  EXPECT_GE(second.time, boundary);
  EXPECT_EQ(first.iteration, second.iteration) << "not one wake-up";
  EXPECT_LT(precise.iteration, first.iteration) << "a precise timer waited for the coarse ones";
}

TEST(HeapScheduler, CancelledTimersDoNotFireAndUnknownIdsAreIgnored) {
  HeapScheduler scheduler;
  std::vector<int> fired;
  TimerId first = scheduler.schedule(5ms, [&] { fired.push_back(1); });
  scheduler.schedule(15ms, [&] { fired.push_back(2); });
  scheduler.cancel(first);
  scheduler.cancel(first);
  scheduler.cancel(0);
  scheduler.cancel(12345);
  ASSERT_TRUE(run_until([&] { return !fired.empty(); }));
  EXPECT_EQ(fired, std::vector<int>{2});
}

TEST(HeapScheduler, CallbacksMayScheduleAndCancelIncludingThemselves) {
  HeapScheduler scheduler;
  std::vector<std::string> fired;
  TimerId victim = 0, self = 0;
  self = scheduler.schedule(1ms, [&] {
    fired.push_back("first");
    scheduler.cancel(self);    // its own id: a no-op
    scheduler.cancel(victim);  // a later one: never fires
    scheduler.schedule(0ms, [&] { fired.push_back("again"); });
  });
  victim = scheduler.schedule(50ms, [&] { fired.push_back("victim"); });
  ASSERT_TRUE(run_until([&] { return fired.size() == 2; }));
  EXPECT_EQ(fired, (std::vector<std::string>{"first", "again"}));
  EXPECT_EQ(scheduler.pending(), 0u);
}

TEST(HeapScheduler, ABacklogIsWorkedOffAcrossIterationsWithoutLosingTimers) {
  HeapScheduler scheduler;
  int fired = 0;
  for (int i = 0; i < 2000; ++i) scheduler.schedule(0ms, [&] { ++fired; });
  ASSERT_TRUE(run_until([&] { return fired == 2000; }));
  EXPECT_EQ(scheduler.pending(), 0u);
}

TEST(HeapScheduler, DestroyedWithPendingTimersFiresNothing) {
  bool fired = false;
  {
    HeapScheduler scheduler;
    scheduler.schedule(0ms, [&] { fired = true; });
  }
  g_main_context_iteration(nullptr, FALSE);
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace mandos::server::test
