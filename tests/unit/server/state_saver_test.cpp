#include "daemon/state_saver.hpp"

#include <gtest/gtest.h>

#include "daemon/state.hpp"
#include "fakes.hpp"
#include "mandos/test/support.hpp"

namespace mandos::server::test {
namespace {

class StateSaverTest : public ::testing::Test {
 protected:
  StateSaverTest()
      : registry(clock, launcher, [](Micros) { return Micros::zero(); }),
        saver(registry, clock, dir.file("clients.json"), settings) {
    ClientConfig config;
    config.name = "foo";
    config.secret = SecretBytes("config");
    settings.push_back(config);
  }

  std::string on_disk() { return mandos::test::read_file(dir.file("clients.json")); }

  mandos::test::TempDir dir;
  FakeScheduler clock;
  FakeLauncher launcher;
  Registry registry;
  std::vector<ClientConfig> settings;
  StateSaver saver;
};

TEST_F(StateSaverTest, ABurstOfChangesCostsOneWrite) {
  Client& client = registry.add_client(make_client("foo", kKeyA));
  registry.set_host(client, "a");
  registry.set_host(client, "b");
  registry.set_enabled(client, false);
  EXPECT_EQ(saver.writes(), 0u);
  clock.advance(500ms);
  EXPECT_EQ(saver.writes(), 1u);
  auto state = parse_state(on_disk(), "clients.json");
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(state->clients.at(0).data.host, "b");
  EXPECT_FALSE(state->clients.at(0).data.enabled);
}

TEST_F(StateSaverTest, RoutineCheckerResultsAreWrittenLaterUnlessSomethingUrgentFollows) {
  Client& client = registry.add_client(make_client("foo", kKeyA));
  clock.advance(1s);
  ASSERT_EQ(saver.writes(), 1u);
  registry.checked_ok(client);
  clock.advance(4s);
  EXPECT_EQ(saver.writes(), 1u);
  clock.advance(1s);
  EXPECT_EQ(saver.writes(), 2u);
  registry.checked_ok(client);
  clock.advance(1s);
  registry.set_enabled(client, false);  // urgent: pulls the write forward
  clock.advance(500ms);
  EXPECT_EQ(saver.writes(), 3u);
  clock.advance(10s);
  EXPECT_EQ(saver.writes(), 3u);
}

TEST_F(StateSaverTest, RunningCheckersAndPendingApprovalsAreNotPersisted) {
  Client& client = registry.add_client(make_client("foo", kKeyA));
  clock.advance(1s);
  ASSERT_EQ(saver.writes(), 1u);
  registry.start_checker(client);
  clock.advance(10s);
  EXPECT_EQ(saver.writes(), 1u);
}

TEST_F(StateSaverTest, FlushWritesAtOnceAndFailuresAreReported) {
  registry.add_client(make_client("foo", kKeyA));
  ASSERT_TRUE(saver.flush());
  EXPECT_EQ(saver.writes(), 1u);
  EXPECT_FALSE(saver.dirty());
  StateSaver broken(registry, clock, "/nonexistent/dir/clients.json", settings);
  auto status = broken.flush(/*force=*/true);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("/nonexistent/dir/clients.json"), std::string::npos);
}

}  // namespace
}  // namespace mandos::server::test
