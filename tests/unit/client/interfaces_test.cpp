#include "interfaces.hpp"

#include <gtest/gtest.h>
#include <net/if.h>

#include <map>

namespace mandos::client {
namespace {

// A fake kernel: name -> (index, flags or "unreadable").
class FakeInterfaces final : public InterfaceSystem {
 public:
  struct Entry {
    unsigned index;
    std::optional<unsigned> flags;
  };
  void add(const std::string& name, std::optional<unsigned> flags) {
    entries_[name] = Entry{static_cast<unsigned>(entries_.size() + 1), flags};
  }
  void set_flags(const std::string& name, unsigned flags) { entries_.at(name).flags = flags; }
  int flag_reads = 0;

  Result<std::vector<std::string>> list_names() const override {
    // Deliberately not sorted: the rules must sort.
    std::vector<std::string> names;
    for (const auto& [name, entry] : entries_) names.insert(names.begin(), name);
    return names;
  }
  unsigned index(const std::string& name) const override {
    auto found = entries_.find(name);
    return found == entries_.end() ? 0 : found->second.index;
  }
  std::optional<unsigned> flags(const std::string& name) const override {
    ++const_cast<FakeInterfaces*>(this)->flag_reads;
    auto found = entries_.find(name);
    return found == entries_.end() ? std::nullopt : found->second.flags;
  }

 private:
  std::map<std::string, Entry> entries_;
};

constexpr unsigned kEthernet = IFF_BROADCAST | IFF_MULTICAST;

TEST(InterfaceSelection, DropsNonexistentNamesButKeepsNone) {
  FakeInterfaces system;
  system.add("eth0", kEthernet);
  std::vector<std::string> dropped;
  auto kept = drop_nonexistent({"eth0", "ghost", "none", "eth9"}, system, dropped);
  EXPECT_EQ(kept, (std::vector<std::string>{"eth0", "none"}));
  EXPECT_EQ(dropped, (std::vector<std::string>{"ghost", "eth9"}));
}

TEST(InterfaceSelection, AutoDetectionTakesBroadcastInterfacesInNameOrder) {
  FakeInterfaces system;
  system.add("wlan0", kEthernet);
  system.add("eth1", kEthernet | IFF_UP);
  system.add("eth0", kEthernet);
  auto chosen = detect_interfaces(system, false);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(*chosen, (std::vector<std::string>{"eth0", "eth1", "wlan0"}));
}

TEST(InterfaceSelection, AutoDetectionSkipsLoopbackNoarpHiddenAndUnreadable) {
  FakeInterfaces system;
  system.add("lo", IFF_LOOPBACK | IFF_UP);
  system.add("noarp0", kEthernet | IFF_NOARP);
  system.add(".hidden", kEthernet);
  system.add("unreadable", std::nullopt);
  system.add("nobcast", IFF_MULTICAST);
  system.add("eth0", kEthernet);
  auto chosen = detect_interfaces(system, false);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(*chosen, std::vector<std::string>{"eth0"});
}

TEST(InterfaceSelection, PointToPointCountsOnlyWithConnect) {
  FakeInterfaces system;
  system.add("ppp0", IFF_POINTOPOINT | IFF_NOARP);
  auto zeroconf = detect_interfaces(system, false);
  auto connect = detect_interfaces(system, true);
  ASSERT_TRUE(zeroconf.ok() && connect.ok());
  EXPECT_TRUE(zeroconf->empty());
  EXPECT_EQ(*connect, std::vector<std::string>{"ppp0"});
}

TEST(InterfaceSelection, LoopbackIsNeverEligibleEvenAsPointToPoint) {
  EXPECT_FALSE(eligible_for_auto(IFF_LOOPBACK | IFF_BROADCAST, false));
  EXPECT_FALSE(eligible_for_auto(IFF_LOOPBACK | IFF_POINTOPOINT, true));
  EXPECT_TRUE(eligible_for_auto(IFF_BROADCAST, true));
}

TEST(InterfaceSelection, NoneStopsBringUpButLaterNamesAreStillUsed) {
  InterfacePlan plan = plan_interfaces({"eth0", "none", "eth1", "none", "eth2"});
  EXPECT_EQ(plan.bring_up, std::vector<std::string>{"eth0"});
  EXPECT_EQ(plan.in_use, (std::vector<std::string>{"eth0", "eth1", "eth2"}));
}

TEST(InterfaceSelection, OnlyNoneMeansNothingBroughtUpAndNothingInUse) {
  InterfacePlan plan = plan_interfaces({"none"});
  EXPECT_TRUE(plan.bring_up.empty());
  EXPECT_TRUE(plan.in_use.empty());
}

TEST(InterfaceNames, FollowTheKernelsRules) {
  EXPECT_TRUE(valid_interface_name("eth0"));
  EXPECT_TRUE(valid_interface_name("br-lan.10"));
  EXPECT_TRUE(valid_interface_name("abcdefghijklmno"));  // 15 bytes
  EXPECT_FALSE(valid_interface_name("abcdefghijklmnop"));
  EXPECT_FALSE(valid_interface_name(""));
  EXPECT_FALSE(valid_interface_name("."));
  EXPECT_FALSE(valid_interface_name(".."));
  EXPECT_FALSE(valid_interface_name("a/b"));
  EXPECT_FALSE(valid_interface_name("eth0:1"));
  EXPECT_FALSE(valid_interface_name("eth 0"));
}

TEST(WaitUntilRunning, ReturnsAsSoonAsAllAreRunning) {
  FakeInterfaces system;
  system.add("eth0", kEthernet | IFF_UP);
  system.add("eth1", kEthernet | IFF_UP | IFF_RUNNING);
  int naps = 0;
  auto waiting = wait_until_running(system, {"eth0", "eth1"}, std::chrono::milliseconds(2500),
                                    std::chrono::milliseconds(250), [&](auto) {
                                      if (++naps == 3) system.set_flags("eth0", kEthernet | IFF_RUNNING);
                                      return true;
                                    });
  EXPECT_TRUE(waiting.empty());
  EXPECT_EQ(naps, 3);
}

TEST(WaitUntilRunning, GivesUpAfterTheDelayNamingTheLaggards) {
  FakeInterfaces system;
  system.add("eth0", kEthernet | IFF_UP);
  std::chrono::milliseconds slept{0};
  auto waiting = wait_until_running(system, {"eth0"}, std::chrono::milliseconds(1000),
                                    std::chrono::milliseconds(300), [&](auto nap) {
                                      slept += nap;
                                      return true;
                                    });
  EXPECT_EQ(waiting, std::vector<std::string>{"eth0"});
  EXPECT_EQ(slept, std::chrono::milliseconds(1000));
}

TEST(WaitUntilRunning, StopsWhenTheSleepIsInterrupted) {
  FakeInterfaces system;
  system.add("eth0", kEthernet | IFF_UP);
  int naps = 0;
  auto waiting = wait_until_running(system, {"eth0"}, std::chrono::milliseconds(100000),
                                    std::chrono::milliseconds(250), [&](auto) {
                                      ++naps;
                                      return false;
                                    });
  EXPECT_EQ(naps, 1);
  EXPECT_EQ(waiting.size(), 1u);
}

TEST(SystemInterfaces, SeesLoopbackAsLoopback) {
  SystemInterfaces system;
  ASSERT_NE(system.index("lo"), 0u);
  auto flags = system.flags("lo");
  ASSERT_TRUE(flags.has_value());
  EXPECT_NE(*flags & IFF_LOOPBACK, 0u);
  EXPECT_EQ(system.index("no-such-if0"), 0u);
  EXPECT_FALSE(system.flags("no-such-if0").has_value());
}

TEST(SystemInterfaces, ListingAMissingDirectoryNamesIt) {
  SystemInterfaces system("/nonexistent/sys/class/net");
  auto names = system.list_names();
  ASSERT_FALSE(names.ok());
  EXPECT_NE(names.error().message.find("/nonexistent/sys/class/net"), std::string::npos);
}

}  // namespace
}  // namespace mandos::client
