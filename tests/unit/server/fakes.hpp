// Test doubles for the registry: a virtual clock with timers that fire only
// when the test advances time, a checker launcher whose processes end when
// the test says so, and an observer that records everything.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "daemon/registry.hpp"

namespace mandos::server::test {

using namespace std::chrono_literals;

class FakeScheduler final : public Scheduler {
 public:
  explicit FakeScheduler(WallTime start = WallTime(std::chrono::seconds(1'700'000'000)))
      : now_(start) {}
  WallTime now() const override { return now_; }
  TimerId schedule(Micros delay, std::function<void()> fn) override {
    TimerId id = next_++;
    timers_[{now_ + (delay < Micros::zero() ? Micros::zero() : delay), id}] = std::move(fn);
    return id;
  }
  void cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }
  // Moves the clock forward, firing due timers in order.
  void advance(Micros step) {
    const WallTime target = now_ + step;
    while (!timers_.empty() && timers_.begin()->first.first <= target) {
      auto it = timers_.begin();
      now_ = it->first.first;
      auto fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
    now_ = target;
  }
  size_t pending() const { return timers_.size(); }

 private:
  WallTime now_;
  TimerId next_ = 1;
  std::map<std::pair<WallTime, TimerId>, std::function<void()>> timers_;
};

class FakeLauncher final : public CheckerLauncher {
 public:
  struct Process {
    std::string command;
    Done done;
    std::vector<int> signals;
  };
  Result<int> start(const std::string& command, Done done) override {
    if (fail_next) {
      fail_next = false;
      return fail("cannot execute /bin/sh: No such file or directory");
    }
    int pid = next_pid_++;
    processes[pid] = Process{command, std::move(done), {}};
    started.push_back(command);
    return pid;
  }
  void signal(int id, int sig) override {
    auto it = processes.find(id);
    if (it != processes.end()) it->second.signals.push_back(sig);
    signalled.emplace_back(id, sig);
  }
  // Ends a process with a raw wait status.
  void finish(int pid, int wait_status) {
    auto it = processes.find(pid);
    ASSERT_NE(it, processes.end());
    auto done = std::move(it->second.done);
    processes.erase(it);
    done(wait_status);
  }
  void exit_with(int pid, int code) { finish(pid, code << 8); }
  void kill_with(int pid, int signo) { finish(pid, signo); }
  int only_pid() const {
    EXPECT_EQ(processes.size(), 1u);
    return processes.empty() ? -1 : processes.begin()->first;
  }

  std::map<int, Process> processes;
  std::vector<std::string> started;
  std::vector<std::pair<int, int>> signalled;
  bool fail_next = false;

 private:
  int next_pid_ = 1000;
};

struct Recorder final : public RegistryObserver {
  std::vector<std::string> events;
  std::vector<Property> properties;
  std::vector<std::tuple<int, std::int64_t, std::string>> completed;

  void client_added(const Client& c) override { events.push_back("added " + c.name()); }
  void client_removed(const Client& c) override { events.push_back("removed " + c.name()); }
  void property_changed(const Client&, Property p) override { properties.push_back(p); }
  void checker_completed(const Client&, int n, std::int64_t x, const std::string& s) override {
    completed.emplace_back(n, x, s);
    events.push_back("CheckerCompleted");
  }
  void checker_started(const Client&, const std::string& s) override {
    events.push_back("CheckerStarted " + s);
  }
  void got_secret(const Client&) override { events.push_back("GotSecret"); }
  void need_approval(const Client&, std::uint64_t ms, bool by_default) override {
    events.push_back("NeedApproval " + std::to_string(ms) + (by_default ? " true" : " false"));
  }
  void rejected(const Client&, const std::string& reason) override {
    events.push_back("Rejected " + reason);
  }
  void client_not_found(const std::string& key, const std::string& address) override {
    events.push_back("ClientNotFound " + key + " " + address);
  }
  size_t count(Property p) const {
    size_t n = 0;
    for (Property q : properties) n += q == p ? 1 : 0;
    return n;
  }
  bool has(const std::string& event) const {
    for (const auto& e : events) {
      if (e == event) return true;
    }
    return false;
  }
};

inline const std::string kKeyA(64, 'A');
inline const std::string kKeyB(64, 'B');

inline ClientData make_client(const std::string& name, const std::string& key_id) {
  ClientData d;
  d.name = name;
  d.key_id = key_id;
  d.host = "192.0.2.1";
  d.checker = "fping -q -- %(host)s";
  d.timeout = 5min;
  d.extended_timeout = 15min;
  d.interval = 2min;
  d.approval_delay = 0s;
  d.approval_duration = 1s;
  d.secret = SecretBytes("the secret");
  return d;
}

}  // namespace mandos::server::test
