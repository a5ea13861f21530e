// A ClientBus that records the calls the monitor would make.
#pragma once

#include <string>
#include <vector>

#include "keys.hpp"

namespace mandos::monitor::fake {

class FakeBus : public ClientBus {
 public:
  void set_enabled(const std::string& path, bool enabled) override {
    calls.push_back("Set " + path + " Enabled " + (enabled ? "true" : "false"));
  }
  void approve(const std::string& path, bool approved) override {
    calls.push_back("Approve " + path + " " + (approved ? "true" : "false"));
  }
  void remove_client(const std::string& path) override {
    calls.push_back("RemoveClient " + path);
  }
  void set_checker_running(const std::string& path, bool running) override {
    calls.push_back("Set " + path + " CheckerRunning " + (running ? "true" : "false"));
  }
  void checked_ok(const std::string& path) override { calls.push_back("CheckedOK " + path); }

  std::vector<std::string> calls;
};

}  // namespace mandos::monitor::fake
