// Our mandos-ctl against our own server's D-Bus API, on a private system
// bus. Where Debian's mandos-ctl is installed, it must print the same bytes
// for our server as ours does (a cross-check of server/dbus too).
//
// Until our server exports se.recompile.Mandos these tests SKIP with a
// message saying so; re-run them once server/dbus/ is complete.
#include <gtest/gtest.h>
#include <unistd.h>

#include "ctl_test_env.hpp"

namespace mandos::ctl {
namespace {

using namespace std::chrono_literals;
using test_env::CtlResult;
using test_env::json_block;

class CtlIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(MANDOS_SERVER).empty()) {
      GTEST_SKIP() << "SKIPPED: our server (target mandos) is not built in this tree";
    }
    bus_ = std::make_unique<test_env::PrivateBus>(dir_.path(),
                                                  test_env::PrivateBus::Policy::kOpen);
    server_ = std::make_unique<test_env::MandosServer>(
        MANDOS_SERVER, dir_.path(), test_env::sample_clients_conf(), bus_->address());
    if (!server_->wait_ready(30s)) {
      const std::string log = server_->log();
      server_.reset();
      GTEST_SKIP() << "SKIPPED: OUR SERVER DID NOT TAKE se.recompile.Mandos ON THE BUS; "
                      "its D-Bus API (server/dbus/) is not ready. Server log:\n"
                   << log;
    }
  }

  CtlResult ours(const std::vector<std::string>& args) {
    return test_env::run_ctl(MANDOS_CTL, args, bus_->address());
  }

  std::string json_of(const std::string& name) {
    const CtlResult result = ours({"--dump-json", name});
    EXPECT_EQ(result.status, 0) << result.err;
    return json_block(result.out, name);
  }

  static bool reference_installed() { return ::access(test_env::kReferenceCtl, X_OK) == 0; }

  test::TempDir dir_{"ctl-integration"};
  std::unique_ptr<test_env::PrivateBus> bus_;
  std::unique_ptr<test_env::MandosServer> server_;
};

TEST_F(CtlIntegration, ListsEveryConfiguredClient) {
  const CtlResult table = ours({});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_TRUE(table.out.starts_with("Name      Enabled Timeout    Last Successful Check\n"))
      << table.out;
  for (const char* line : {"\nfoo       Yes     1T02:03:05 ", "\nbar.baz-1 No      00:05:00   ",
                           "\nq         Yes     00:05:00   "}) {
    EXPECT_NE(table.out.find(line), std::string::npos) << line << " in\n" << table.out;
  }
  const std::string bar = json_of("bar.baz-1");
  EXPECT_NE(bar.find("\"Host\": \"h\\u00f4st-\\u00fc.example\","), std::string::npos) << bar;
  EXPECT_NE(bar.find("\"ApprovedByDefault\": false,"), std::string::npos) << bar;
  EXPECT_NE(bar.find("\"KeyID\": \"A33FCBED11ED5E03073F6A55B86FFE92AF0E24C045FB6E3B40547B3DC0C030ED\","),
            std::string::npos)
      << bar;
}

TEST_F(CtlIntegration, DebiansMandosCtlPrintsTheSameForOurServer) {
  if (!reference_installed()) GTEST_SKIP() << "SKIPPED: Debian's mandos-ctl is not installed";
  const std::vector<std::vector<std::string>> cases = {
      {}, {"-v"}, {"-j"}, {"q", "foo"}, {"nobody"}, {"-V", "bar.baz-1"}, {"--debug", "-j"}};
  for (const auto& args : cases) {
    bool compared = false;
    for (int attempt = 0; attempt < 3 && !compared; ++attempt) {
      const CtlResult before = test_env::run_ctl(test_env::kReferenceCtl, args, bus_->address());
      const CtlResult mine = ours(args);
      const CtlResult after = test_env::run_ctl(test_env::kReferenceCtl, args, bus_->address());
      if (before.out != after.out || before.err != after.err) continue;  // state moved
      compared = true;
      EXPECT_EQ(mine.out, before.out);
      EXPECT_EQ(mine.err, before.err);
      EXPECT_EQ(mine.status, before.status);
    }
    EXPECT_TRUE(compared) << "the server state kept changing";
  }
}

TEST_F(CtlIntegration, ActionsChangeOurServersProperties) {
  ASSERT_EQ(ours({"-d", "foo"}).status, 0);
  EXPECT_EQ(ours({"-V", "foo"}).status, 1);
  ASSERT_EQ(ours({"-e", "foo"}).status, 0);
  EXPECT_EQ(ours({"-V", "foo"}).status, 0);
  const CtlResult set = ours({"-t", "PT7M", "--extended-timeout", "P30D", "-i", "PT10M",
                              "--approval-delay", "PT3S", "--approval-duration", "PT2S", "-H",
                              "h.example", "-c", "true", "--deny-by-default", "foo"});
  ASSERT_EQ(set.status, 0) << set.err;
  const std::string foo = json_of("foo");
  for (const char* expected :
       {"\"Timeout\": 420000,", "\"ExtendedTimeout\": 2592000000,", "\"Interval\": 600000,",
        "\"ApprovalDelay\": 3000,", "\"ApprovalDuration\": 2000,", "\"Host\": \"h.example\",",
        "\"Checker\": \"true\",", "\"ApprovedByDefault\": false,"}) {
    EXPECT_NE(foo.find(expected), std::string::npos) << expected << " in " << foo;
  }
  ASSERT_EQ(ours({"-b", "foo"}).status, 0);
  EXPECT_EQ(json_of("foo").find("\"LastCheckedOK\": \"\","), std::string::npos);
}

TEST_F(CtlIntegration, SecretApproveAndRemoveAreAccepted) {
  test::write_file(dir_.file("secret"), std::string("new\0secret", 10), 0600);
  CtlResult result = ours({"-s", dir_.file("secret"), "--approve", "q"});
  EXPECT_EQ(result.status, 0) << result.err;
  result = ours({"--remove", "--deny", "q"});
  EXPECT_EQ(result.status, 0) << result.err;
  const CtlResult missing = ours({"q"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err, "Client not found on server: 'q'\n");
}

}  // namespace
}  // namespace mandos::ctl
