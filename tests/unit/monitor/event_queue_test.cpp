#include "event_queue.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <thread>

namespace mandos::monitor {
namespace {

bool readable(int fd) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, 0) == 1 && (entry.revents & POLLIN) != 0;
}

TEST(EventQueue, WakesThePollerAndHandsOverEventsInOrder) {
  EventQueue queue;
  ASSERT_TRUE(queue.open());
  EXPECT_FALSE(readable(queue.fd()));
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) queue.push(GotSecret{"/clients/" + std::to_string(i)});
  });
  producer.join();
  EXPECT_TRUE(readable(queue.fd()));
  auto batch = queue.take();
  ASSERT_EQ(batch.events.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(std::get<GotSecret>(batch.events[static_cast<size_t>(i)]).path,
              "/clients/" + std::to_string(i));
  }
  EXPECT_EQ(batch.dropped, 0u);
  EXPECT_FALSE(readable(queue.fd()));
}

TEST(EventQueue, DropsAndCountsEventsBeyondItsLimit) {
  EventQueue queue(3);
  ASSERT_TRUE(queue.open());
  for (int i = 0; i < 5; ++i) queue.push(BusProblem{std::to_string(i)});
  auto batch = queue.take();
  EXPECT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.dropped, 2u);
  EXPECT_EQ(queue.take().dropped, 0u);
}

}  // namespace
}  // namespace mandos::monitor
