#include "daemon/registry.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include "fakes.hpp"

namespace mandos::server::test {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest()
      : registry(clock, launcher, [this](Micros max) { return std::min(first_delay, max); }) {
    registry.add_observer(&recorder);
  }

  Client& add(ClientData data) { return registry.add_client(std::move(data)); }

  struct Answer {
    bool called = false;
    SecretReply reply;
  };
  RequestId request(const std::string& key, Answer& answer) {
    return registry.begin_request(key, "::1", [&answer](SecretReply reply) {
      answer.called = true;
      answer.reply = std::move(reply);
    });
  }

  FakeScheduler clock;
  FakeLauncher launcher;
  Micros first_delay = 30s;
  Registry registry;
  Recorder recorder;
};

TEST_F(RegistryTest, StartSchedulesFirstCheckerAfterRandomDelayAndExpiryOneIntervalLater) {
  Client& client = add(make_client("foo", kKeyA));
  const WallTime t0 = clock.now();
  registry.start();
  EXPECT_EQ(client.data().expires, t0 + 30s + 2min);
  clock.advance(29s);
  EXPECT_TRUE(launcher.started.empty());
  clock.advance(1s);
  ASSERT_EQ(launcher.started.size(), 1u);
  EXPECT_EQ(launcher.started[0], "fping -q -- 192.0.2.1");
  EXPECT_TRUE(client.checker_running());
  EXPECT_TRUE(recorder.has("CheckerStarted fping -q -- 192.0.2.1"));
}

TEST_F(RegistryTest, TickWhileCheckerRunsStartsNothing) {
  add(make_client("foo", kKeyA));
  registry.start();
  clock.advance(30s);
  clock.advance(2min);
  clock.advance(1min);
  EXPECT_EQ(launcher.started.size(), 1u);
}

TEST_F(RegistryTest, SuccessfulCheckerSetsExpiryToNowPlusTimeoutAndReportsCompletion) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  clock.advance(30s);
  clock.advance(5s);
  launcher.exit_with(launcher.only_pid(), 0);
  EXPECT_EQ(client.data().expires, clock.now() + 5min);
  EXPECT_EQ(client.data().last_checked_ok, clock.now());
  EXPECT_EQ(client.data().last_checker_status, 0);
  EXPECT_FALSE(client.checker_running());
  ASSERT_EQ(recorder.completed.size(), 1u);
  EXPECT_EQ(recorder.completed[0], std::make_tuple(0, std::int64_t{0}, std::string("fping -q -- 192.0.2.1")));
}

TEST_F(RegistryTest, FailedCheckerKeepsExpiryAndRecordsExitCode) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  auto expires = client.data().expires;
  clock.advance(30s);
  launcher.exit_with(launcher.only_pid(), 3);
  EXPECT_EQ(client.data().expires, expires);
  EXPECT_EQ(client.data().last_checker_status, 3);
  EXPECT_EQ(std::get<1>(recorder.completed.at(0)), 3 * 256);
}

TEST_F(RegistryTest, SignalledCheckerReportsMinusOneAndTheReferenceWaitValue) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  clock.advance(30s);
  launcher.kill_with(launcher.only_pid(), SIGTERM);
  EXPECT_EQ(client.data().last_checker_status, -1);
  EXPECT_EQ(client.data().last_checker_signal, SIGTERM);
  EXPECT_EQ(std::get<0>(recorder.completed.at(0)), -1);
  EXPECT_EQ(std::get<1>(recorder.completed.at(0)), -241);  // (-1 << 8) | 15
}

TEST_F(RegistryTest, ExpiryDisablesClientAndTerminatesTheCheckerProcessGroup) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  clock.advance(30s);
  int pid = launcher.only_pid();
  clock.advance(2min);  // expiry reached, checker still running
  EXPECT_FALSE(client.enabled());
  EXPECT_FALSE(client.data().expires.has_value());
  EXPECT_FALSE(client.checker_running());
  ASSERT_EQ(launcher.signalled.size(), 1u);
  EXPECT_EQ(launcher.signalled[0], std::make_pair(pid, SIGTERM));
  clock.advance(5s);  // ignored SIGTERM: SIGKILL follows
  EXPECT_EQ(launcher.signalled.back(), std::make_pair(pid, SIGKILL));
  launcher.kill_with(pid, SIGKILL);
  EXPECT_TRUE(recorder.completed.empty());  // a stopped checker's result does not count
}

TEST_F(RegistryTest, NoSecondCheckerStartsWhileAStoppedOneIsUnreaped) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  clock.advance(30s);
  registry.stop_checker(client);
  registry.start_checker(client);
  EXPECT_EQ(launcher.started.size(), 1u);
  launcher.kill_with(launcher.only_pid(), SIGTERM);
  registry.start_checker(client);
  EXPECT_EQ(launcher.started.size(), 2u);
}

TEST_F(RegistryTest, EnablingADisabledClientChecksAfterOneIntervalAndExpiresAfterTwo) {
  ClientData data = make_client("foo", kKeyA);
  data.enabled = false;
  Client& client = add(data);
  registry.start();
  const WallTime t0 = clock.now();
  registry.set_enabled(client, true);
  EXPECT_EQ(client.data().expires, t0 + 4min);
  EXPECT_EQ(client.data().last_enabled, t0);
  clock.advance(2min - 1ms);
  EXPECT_TRUE(launcher.started.empty());
  clock.advance(1ms);
  EXPECT_EQ(launcher.started.size(), 1u);
}

TEST_F(RegistryTest, SetTimeoutShiftsExpiryByTheDifference) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  WallTime expires = *client.data().expires;
  registry.set_timeout(client, 10min);
  EXPECT_EQ(client.data().expires, expires + 5min);
  clock.advance(2min + 30s + 4min);
  EXPECT_TRUE(client.enabled());
  clock.advance(1min);
  EXPECT_FALSE(client.enabled());
}

TEST_F(RegistryTest, SetTimeoutIntoThePastDisablesAtOnce) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  registry.set_timeout(client, 1s);
  EXPECT_FALSE(client.enabled());
}

TEST_F(RegistryTest, SetIntervalStartsACheckerNowAndTicksAtTheNewInterval) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  registry.set_interval(client, 10s);
  ASSERT_EQ(launcher.started.size(), 1u);
  launcher.exit_with(launcher.only_pid(), 0);
  clock.advance(10s);
  EXPECT_EQ(launcher.started.size(), 2u);
}

TEST_F(RegistryTest, CheckedOkBumpsExpiryOnlyForEnabledClients) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  clock.advance(1min);
  registry.checked_ok(client);
  EXPECT_EQ(client.data().expires, clock.now() + 5min);
  registry.set_enabled(client, false);
  registry.checked_ok(client);
  EXPECT_FALSE(client.data().expires.has_value());
  EXPECT_EQ(client.data().last_checked_ok, clock.now());
}

TEST_F(RegistryTest, UnformattableCheckerIsLoggedAndRetriedNextInterval) {
  ClientData data = make_client("foo", kKeyA);
  data.checker = "ping %(nosuchkey)s";
  Client& client = add(data);
  registry.start();
  clock.advance(30s);
  EXPECT_TRUE(launcher.started.empty());
  registry.set_checker(client, "ping %(host)s");
  registry.checked_ok(client);  // keep it enabled past the next tick
  clock.advance(2min);
  EXPECT_EQ(launcher.started.size(), 1u);
}

TEST_F(RegistryTest, PropertyChangesAreReportedOnlyWhenTheValueChanges) {
  Client& client = add(make_client("foo", kKeyA));
  registry.set_host(client, "192.0.2.1");
  EXPECT_EQ(recorder.count(Property::Host), 0u);
  registry.set_host(client, "192.0.2.2");
  EXPECT_EQ(recorder.count(Property::Host), 1u);
  registry.set_enabled(client, true);
  EXPECT_EQ(recorder.count(Property::Enabled), 0u);
}

TEST_F(RegistryTest, UnknownKeyIdIsNotFoundAndReported) {
  add(make_client("foo", kKeyA));
  Answer answer;
  request(kKeyB, answer);
  ASSERT_TRUE(answer.called);
  EXPECT_FALSE(answer.reply.granted);
  EXPECT_EQ(answer.reply.refusal, ipc::Refusal::NotFound);
  EXPECT_TRUE(recorder.has("ClientNotFound " + kKeyB + " ::1"));
}

TEST_F(RegistryTest, TheEmptyInputHashNeverMatchesEvenIfConfigured) {
  const std::string empty_hash = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
  add(make_client("broken", empty_hash));
  Answer answer;
  request(empty_hash, answer);
  EXPECT_EQ(answer.reply.refusal, ipc::Refusal::NotFound);
}

TEST_F(RegistryTest, FirstClientInInternalOrderWinsOnDuplicateKeyIds) {
  add(make_client("first", kKeyA));
  ClientData second = make_client("second", kKeyA);
  second.secret = SecretBytes("other");
  add(second);
  Answer answer;
  request(kKeyA, answer);
  EXPECT_EQ(answer.reply.secret.view(), "the secret");
}

TEST_F(RegistryTest, DisabledClientIsRefused) {
  ClientData data = make_client("foo", kKeyA);
  data.enabled = false;
  add(data);
  Answer answer;
  request(kKeyA, answer);
  EXPECT_EQ(answer.reply.refusal, ipc::Refusal::Disabled);
  EXPECT_TRUE(recorder.has("Rejected Disabled"));
}

TEST_F(RegistryTest, NoApprovalDelayGrantsAtOnceAndDeliveryExtendsExpiry) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  Answer answer;
  RequestId id = request(kKeyA, answer);
  ASSERT_TRUE(answer.called);
  EXPECT_TRUE(answer.reply.granted);
  EXPECT_EQ(answer.reply.secret.view(), "the secret");
  EXPECT_FALSE(recorder.has("GotSecret"));
  registry.end_request(id, ipc::Outcome::Delivered);
  EXPECT_TRUE(recorder.has("GotSecret"));
  EXPECT_EQ(client.data().expires, clock.now() + 15min);
}

TEST_F(RegistryTest, FailedDeliveryDoesNotExtendExpiry) {
  Client& client = add(make_client("foo", kKeyA));
  registry.start();
  auto expires = client.data().expires;
  Answer answer;
  registry.end_request(request(kKeyA, answer), ipc::Outcome::Failed);
  EXPECT_EQ(client.data().expires, expires);
  EXPECT_FALSE(recorder.has("GotSecret"));
}

class ApprovalTest : public RegistryTest {
 protected:
  Client& add_waiting_client(bool by_default) {
    ClientData data = make_client("foo", kKeyA);
    data.approval_delay = 10s;
    data.approval_duration = 5s;
    data.approved_by_default = by_default;
    return add(data);
  }
};

TEST_F(ApprovalTest, DefaultApprovalGrantsWhenTheDelayEnds) {
  Client& client = add_waiting_client(true);
  Answer answer;
  request(kKeyA, answer);
  EXPECT_FALSE(answer.called);
  EXPECT_TRUE(client.approval_pending());
  EXPECT_TRUE(recorder.has("NeedApproval 10000 true"));
  clock.advance(10s - 1ms);
  EXPECT_FALSE(answer.called);
  clock.advance(1ms);
  ASSERT_TRUE(answer.called);
  EXPECT_TRUE(answer.reply.granted);
}

TEST_F(ApprovalTest, DefaultDenialRefusesWithApprovalTimedOut) {
  add_waiting_client(false);
  Answer answer;
  request(kKeyA, answer);
  clock.advance(10s);
  ASSERT_TRUE(answer.called);
  EXPECT_EQ(answer.reply.refusal, ipc::Refusal::ApprovalTimedOut);
  EXPECT_TRUE(recorder.has("Rejected Approval timed out"));
}

TEST_F(ApprovalTest, ApproveWakesAWaiterAndGrants) {
  Client& client = add_waiting_client(false);
  Answer answer;
  request(kKeyA, answer);
  clock.advance(3s);
  registry.approve(client, true);
  ASSERT_TRUE(answer.called);
  EXPECT_TRUE(answer.reply.granted);
}

TEST_F(ApprovalTest, DenyWakesAWaiterAndRefusesWithDenied) {
  Client& client = add_waiting_client(true);
  Answer answer;
  request(kKeyA, answer);
  registry.approve(client, false);
  ASSERT_TRUE(answer.called);
  EXPECT_EQ(answer.reply.refusal, ipc::Refusal::Denied);
  EXPECT_TRUE(recorder.has("Rejected Denied"));
}

TEST_F(ApprovalTest, PreApprovalLastsForTheApprovalDuration) {
  Client& client = add_waiting_client(false);
  registry.approve(client, true);
  Answer first;
  request(kKeyA, first);
  EXPECT_TRUE(first.reply.granted);
  clock.advance(5s);
  Answer second;
  request(kKeyA, second);
  EXPECT_FALSE(second.called);  // approval expired: waits again
}

TEST_F(ApprovalTest, EnableWakesWaitersWhichReEmitNeedApprovalWithTheFullDelay) {
  Client& client = add_waiting_client(true);
  Answer answer;
  request(kKeyA, answer);
  clock.advance(4s);
  registry.set_enabled(client, true);  // already enabled: no wake-up
  registry.set_enabled(client, false);
  registry.set_enabled(client, true);  // wakes: loop again
  size_t need = 0;
  for (const auto& e : recorder.events) need += e == "NeedApproval 10000 true" ? 1 : 0;
  EXPECT_EQ(need, 2u);
  clock.advance(6s - 1ms);
  EXPECT_FALSE(answer.called);
  clock.advance(1ms);
  EXPECT_TRUE(answer.reply.granted);
}

TEST_F(ApprovalTest, PendingCountFollowsConnectionsAndPeerGoneReleasesIt) {
  Client& client = add_waiting_client(true);
  Answer a, b;
  RequestId first = request(kKeyA, a);
  RequestId second = request(kKeyA, b);
  EXPECT_EQ(client.approvals_pending(), 2);
  EXPECT_EQ(recorder.count(Property::ApprovalPending), 1u);
  registry.end_request(first, ipc::Outcome::PeerGone);
  EXPECT_TRUE(client.approval_pending());
  registry.end_request(second, ipc::Outcome::PeerGone);
  EXPECT_FALSE(client.approval_pending());
  EXPECT_EQ(recorder.count(Property::ApprovalPending), 2u);
  clock.advance(1min);
  EXPECT_FALSE(a.called);  // nothing answered after the peer left
  EXPECT_FALSE(b.called);
}

TEST_F(ApprovalTest, DisablingDoesNotWakeWaitersWhoThenFollowTheDefault) {
  Client& client = add_waiting_client(true);
  Answer answer;
  request(kKeyA, answer);
  registry.set_enabled(client, false);
  EXPECT_FALSE(answer.called);
  clock.advance(10s);
  EXPECT_TRUE(answer.reply.granted);  // QUIRK kept from the reference
}

TEST_F(ApprovalTest, LastApprovalRequestIsRecordedOnlyWhenConfigured) {
  Client& client = add_waiting_client(true);
  Answer answer;
  request(kKeyA, answer);
  EXPECT_FALSE(client.data().last_approval_request.has_value());
}

TEST_F(ApprovalTest, RemovingAClientRefusesItsWaiters) {
  add_waiting_client(true);
  Answer answer;
  request(kKeyA, answer);
  EXPECT_TRUE(registry.remove_client("foo"));
  ASSERT_TRUE(answer.called);
  EXPECT_FALSE(answer.reply.granted);
  EXPECT_TRUE(recorder.has("removed foo"));
  EXPECT_EQ(registry.find("foo"), nullptr);
  Answer later;
  request(kKeyA, later);
  EXPECT_EQ(later.reply.refusal, ipc::Refusal::NotFound);
}

TEST(RegistryOptionsTest, ApprovalRequestsAreRecordedWhenDBusIsOn) {
  FakeScheduler clock;
  FakeLauncher launcher;
  RegistryOptions options;
  options.record_approval_requests = true;
  Registry registry(clock, launcher, [](Micros) { return Micros::zero(); }, options);
  ClientData data = make_client("foo", kKeyA);
  data.approval_delay = 1s;
  Client& client = registry.add_client(data);
  registry.begin_request(kKeyA, "::1", [](SecretReply) {});
  EXPECT_EQ(client.data().last_approval_request, clock.now());
}

}  // namespace
}  // namespace mandos::server::test
