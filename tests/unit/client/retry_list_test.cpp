#include <gtest/gtest.h>

#include "discovery.hpp"

namespace mandos::client {
namespace {

using Clock = RetryList::Clock;
using std::chrono::milliseconds;

Server server(uint16_t port) {
  Server s;
  s.family = AF_INET6;
  s.address[15] = 1;
  s.port = port;
  return s;
}

TEST(RetryList, TriesServersRoundRobinEachAfterTheRetryInterval) {
  RetryList list;
  auto t0 = Clock::now();
  list.add(server(1), t0);
  list.add(server(2), t0 + milliseconds(100));
  EXPECT_EQ(list.current().server.port, 1);
  EXPECT_EQ(list.wait(milliseconds(1000), t0 + milliseconds(400)), milliseconds(600));
  EXPECT_LE(list.wait(milliseconds(1000), t0 + milliseconds(1000)).count(), 0);
  list.advance(t0 + milliseconds(1000));
  EXPECT_EQ(list.current().server.port, 2);
  EXPECT_EQ(list.wait(milliseconds(1000), t0 + milliseconds(1000)), milliseconds(100));
  list.advance(t0 + milliseconds(1100));
  EXPECT_EQ(list.current().server.port, 1);
  EXPECT_EQ(list.wait(milliseconds(1000), t0 + milliseconds(1100)), milliseconds(900));
}

TEST(RetryList, ANewlyFailedServerComesLastInTheRound) {
  RetryList list;
  auto t0 = Clock::now();
  list.add(server(1), t0);
  list.add(server(2), t0);
  list.add(server(3), t0);
  list.advance(t0);  // now at 2
  list.add(server(4), t0);
  EXPECT_EQ(list.size(), 4u);
  std::vector<uint16_t> order;
  for (int i = 0; i < 4; ++i) {
    order.push_back(list.current().server.port);
    list.advance(t0);
  }
  EXPECT_EQ(order, (std::vector<uint16_t>{2, 3, 1, 4}));
}

TEST(RetryList, KeepsDuplicatesAsTheReferenceDoes) {
  RetryList list;
  auto t0 = Clock::now();
  list.add(server(1), t0);
  list.add(server(1), t0);
  EXPECT_EQ(list.size(), 2u);
}

}  // namespace
}  // namespace mandos::client
