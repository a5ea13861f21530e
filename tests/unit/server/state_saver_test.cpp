#include "daemon/state_saver.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

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
  std::string on_disk_sparse() { return mandos::test::read_file(dir.file("sparse.json")); }

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

TEST_F(StateSaverTest, RoutineWritesOfALargeFileAreSpacedByItsSize) {
  // 100 bytes per second of delay: this state (over 1,000 bytes) waits 10 s+.
  StateSaver sparse(registry, clock, dir.file("sparse.json"), settings, 500ms, 5s, 100);
  Client& client = registry.add_client(make_client("foo", kKeyA));
  clock.advance(1s);
  ASSERT_EQ(sparse.writes(), 1u);
  const size_t size = on_disk_sparse().size();
  ASSERT_GT(size, 1000u);
  EXPECT_EQ(sparse.routine_delay(), std::chrono::seconds(size / 100));
  registry.checked_ok(client);
  clock.advance(std::chrono::seconds(size / 100) - 1s);
  EXPECT_EQ(sparse.writes(), 1u);
  clock.advance(1s);
  EXPECT_EQ(sparse.writes(), 2u);
  registry.set_enabled(client, false);  // decisions still go out within 0.5 s
  clock.advance(500ms);
  EXPECT_EQ(sparse.writes(), 3u);
  // The default rate keeps a small file on the 5 s routine.
  EXPECT_EQ(saver.routine_delay(), 5s);
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

TEST_F(StateSaverTest, StartingRemovesOnlyTheTemporaryFilesOfInterruptedWrites) {
  using mandos::test::write_file;
  write_file(dir.file(".clients.json.a1B2c3"), "{\"format\": \"mandos-serv");  // torn write
  write_file(dir.file(".clients.json.toolong1"), "kept");
  write_file(dir.file(".other.json.a1B2c3"), "kept");
  write_file(dir.file("clients.json.a1B2c3"), "kept");
  ASSERT_EQ(::mkdir(dir.file(".clients.json.dirdir").c_str(), 0755), 0);
  StateSaver restarted(registry, clock, dir.file("clients.json"), settings);
  EXPECT_NE(::access(dir.file(".clients.json.a1B2c3").c_str(), F_OK), 0);
  for (const char* name : {".clients.json.toolong1", ".other.json.a1B2c3", "clients.json.a1B2c3",
                           ".clients.json.dirdir"}) {
    EXPECT_EQ(::access(dir.file(name).c_str(), F_OK), 0) << name;
  }
}

}  // namespace
}  // namespace mandos::server::test
