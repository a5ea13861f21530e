#include "daemon/worker_session.hpp"

#include <gtest/gtest.h>

#include "fakes.hpp"

namespace mandos::server::test {
namespace {

class WorkerSessionTest : public ::testing::Test {
 protected:
  WorkerSessionTest()
      : registry(clock, launcher, [](Micros) { return Micros::zero(); }),
        session(registry, [this](ipc::MainMessage m) { sent.push_back(std::move(m)); }) {}

  Status hello() { return session.handle(ipc::Hello{}); }
  Status ask(std::uint64_t connection, const std::string& key = kKeyA,
             const std::string& peer = "::1") {
    return session.handle(ipc::SecretRequest{connection, key, peer});
  }
  Status end(std::uint64_t connection, ipc::Outcome outcome) {
    return session.handle(ipc::ConnectionEnded{connection, outcome});
  }

  FakeScheduler clock;
  FakeLauncher launcher;
  Registry registry;
  std::vector<ipc::MainMessage> sent;
  WorkerSession session;
};

TEST_F(WorkerSessionTest, GrantsASecretForAKnownKeyAndRefusesAnUnknownOne) {
  registry.add_client(make_client("foo", kKeyA));
  ASSERT_TRUE(hello());
  ASSERT_TRUE(ask(1));
  ASSERT_TRUE(ask(2, kKeyB));
  ASSERT_EQ(sent.size(), 2u);
  auto* grant = std::get_if<ipc::SecretGrant>(&sent[0]);
  ASSERT_NE(grant, nullptr);
  EXPECT_EQ(grant->connection, 1u);
  EXPECT_EQ(grant->secret.view(), "the secret");
  auto* refusal = std::get_if<ipc::SecretRefusal>(&sent[1]);
  ASSERT_NE(refusal, nullptr);
  EXPECT_EQ(refusal->reason, ipc::Refusal::NotFound);
  EXPECT_TRUE(end(1, ipc::Outcome::Delivered));
  EXPECT_TRUE(end(2, ipc::Outcome::Failed));
  EXPECT_EQ(session.outstanding(), 0u);
}

TEST_F(WorkerSessionTest, RequestBeforeHelloIsAViolation) {
  auto status = ask(1);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("before Hello"), std::string::npos);
}

TEST_F(WorkerSessionTest, SecondHelloIsAViolation) {
  ASSERT_TRUE(hello());
  EXPECT_FALSE(hello());
}

TEST_F(WorkerSessionTest, WrongProtocolVersionIsAViolation) {
  auto status = session.handle(ipc::Hello{ipc::kProtocolVersion + 1});
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("version"), std::string::npos);
}

TEST_F(WorkerSessionTest, MalformedKeyIdIsAViolation) {
  ASSERT_TRUE(hello());
  EXPECT_FALSE(ask(1, std::string(64, 'a')));  // lower case
  EXPECT_FALSE(ask(2, std::string(63, 'A')));
  EXPECT_FALSE(ask(3, std::string(64, 'G')));
}

TEST_F(WorkerSessionTest, MalformedPeerAddressIsAViolation) {
  ASSERT_TRUE(hello());
  EXPECT_FALSE(ask(1, kKeyA, ""));
  EXPECT_FALSE(ask(2, kKeyA, std::string(ipc::kMaxPeerAddress + 1, '1')));
  EXPECT_FALSE(ask(3, kKeyA, "::1\n"));
}

TEST_F(WorkerSessionTest, DuplicateConnectionIdIsAViolationEvenAfterItEnded) {
  ASSERT_TRUE(hello());
  ASSERT_TRUE(ask(7));
  auto open_dup = ask(7);
  ASSERT_FALSE(open_dup);
  EXPECT_NE(open_dup.error().message.find("reused"), std::string::npos);
}

TEST_F(WorkerSessionTest, ReusingAnEndedConnectionIdIsAViolation) {
  ASSERT_TRUE(hello());
  ASSERT_TRUE(ask(7));
  ASSERT_TRUE(end(7, ipc::Outcome::Failed));
  EXPECT_FALSE(ask(7));
}

TEST_F(WorkerSessionTest, TooManyOutstandingRequestsIsAViolation) {
  ClientData data = make_client("slow", kKeyA);
  data.approval_delay = 1h;  // every request waits
  registry.add_client(data);
  ASSERT_TRUE(hello());
  for (std::uint64_t id = 0; id < ipc::kMaxOutstandingRequests; ++id) ASSERT_TRUE(ask(id));
  auto status = ask(ipc::kMaxOutstandingRequests);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("outstanding"), std::string::npos);
}

TEST_F(WorkerSessionTest, EndingAnUnknownConnectionIsAViolation) {
  ASSERT_TRUE(hello());
  EXPECT_FALSE(end(99, ipc::Outcome::Failed));
}

TEST_F(WorkerSessionTest, DeliveredWithoutAGrantIsAViolation) {
  ASSERT_TRUE(hello());
  ASSERT_TRUE(ask(1));  // unknown key: refused
  auto status = end(1, ipc::Outcome::Delivered);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("not granted"), std::string::npos);
}

TEST_F(WorkerSessionTest, AbandoningReleasesPendingApprovalsAndSilencesReplies) {
  ClientData data = make_client("foo", kKeyA);
  data.approval_delay = 10s;
  Client& client = registry.add_client(data);
  ASSERT_TRUE(hello());
  ASSERT_TRUE(ask(1));
  EXPECT_TRUE(client.approval_pending());
  session.abandon();
  EXPECT_FALSE(client.approval_pending());
  clock.advance(10s);
  EXPECT_TRUE(sent.empty());
  EXPECT_FALSE(session.handle(ipc::Hello{}));
}

TEST_F(WorkerSessionTest, ADelayedAnswerIsSentWhenTheApprovalArrives) {
  ClientData data = make_client("foo", kKeyA);
  data.approval_delay = 10s;
  data.approved_by_default = false;
  Client& client = registry.add_client(data);
  ASSERT_TRUE(hello());
  ASSERT_TRUE(ask(5));
  EXPECT_TRUE(sent.empty());
  registry.approve(client, true);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(std::get_if<ipc::SecretGrant>(&sent[0]), nullptr);
}

TEST(UsedIds, MergesConsecutiveIdsIntoOneRange) {
  UsedIds ids;
  for (std::uint64_t id = 0; id < 1000; ++id) ASSERT_TRUE(*ids.insert(id));
  EXPECT_EQ(ids.ranges(), 1u);
  EXPECT_FALSE(*ids.insert(500));
  ASSERT_TRUE(*ids.insert(2000));
  ASSERT_TRUE(*ids.insert(1999));
  EXPECT_EQ(ids.ranges(), 2u);
  for (std::uint64_t id = 1000; id < 1999; ++id) ASSERT_TRUE(*ids.insert(id));
  EXPECT_EQ(ids.ranges(), 1u);
}

TEST(UsedIds, RefusesToGrowWithoutBound) {
  UsedIds ids;
  for (std::uint64_t i = 0; i < UsedIds::kMaxRanges; ++i) ASSERT_TRUE(ids.insert(i * 2).ok());
  EXPECT_FALSE(ids.insert(UsedIds::kMaxRanges * 4).ok());
}

}  // namespace
}  // namespace mandos::server::test
