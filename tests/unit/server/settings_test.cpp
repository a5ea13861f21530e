#include "daemon/settings.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "mandos/test/support.hpp"

namespace mandos::server {
namespace {

class SettingsTest : public ::testing::Test {
 protected:
  ParsedSettings parse(std::vector<std::string> args) {
    args.insert(args.begin(), {"mandos", "--configdir", dir.path()});
    std::vector<const char*> argv;
    for (auto& a : args) argv.push_back(a.c_str());
    return parse_settings(static_cast<int>(argv.size()), argv.data());
  }
  void conf(const std::string& text) { mandos::test::write_file(dir.file("mandos.conf"), text); }
  mandos::test::TempDir dir;
};

TEST_F(SettingsTest, DefaultsMatchTheReference) {
  auto p = parse({});
  ASSERT_EQ(p.outcome, ParseOutcome::Run) << p.message;
  EXPECT_EQ(p.settings.servicename, "Mandos");
  EXPECT_EQ(p.settings.statedir, "/var/lib/mandos");
  EXPECT_TRUE(p.settings.use_dbus);
  EXPECT_TRUE(p.settings.use_ipv6);
  EXPECT_TRUE(p.settings.restore);
  EXPECT_TRUE(p.settings.zeroconf);
  EXPECT_FALSE(p.settings.foreground);
  EXPECT_FALSE(p.settings.port.has_value());
  EXPECT_EQ(p.settings.priority,
            "SECURE128:!CTYPE-X.509:+CTYPE-RAWPK:!RSA:!VERS-ALL:+VERS-TLS1.3:%PROFILE_ULTRA");
  EXPECT_EQ(p.settings.log_level(), log::Level::Warning);
}

TEST_F(SettingsTest, ConfigFileOverridesDefaultsAndCommandLineOverridesBoth) {
  conf("[DEFAULT]\nport = 1234\nservicename = Conf\nuse_ipv6 = no\ndebuglevel = info\n"
       "priority = NORMAL:%COMPAT\n[other]\nport = 99\n");
  auto p = parse({"--servicename", "Cli"});
  ASSERT_EQ(p.outcome, ParseOutcome::Run) << p.message;
  EXPECT_EQ(p.settings.port, 1234);
  EXPECT_EQ(p.settings.servicename, "Cli");
  EXPECT_FALSE(p.settings.use_ipv6);
  EXPECT_EQ(p.settings.priority, "NORMAL:%COMPAT");  // used raw, no interpolation
  EXPECT_EQ(p.settings.log_level(), log::Level::Info);
}

TEST_F(SettingsTest, FlagsOnlySwitchOnOrOff) {
  conf("[DEFAULT]\nuse_dbus = no\nforeground = yes\n");
  auto p = parse({"--port=1"});
  ASSERT_EQ(p.outcome, ParseOutcome::Run);
  EXPECT_FALSE(p.settings.use_dbus);
  EXPECT_TRUE(p.settings.foreground);
}

TEST_F(SettingsTest, DebugImpliesForegroundAndDebugLevel) {
  auto p = parse({"--debug"});
  ASSERT_EQ(p.outcome, ParseOutcome::Run);
  EXPECT_TRUE(p.settings.foreground);
  EXPECT_EQ(p.settings.log_level(), log::Level::Debug);
}

TEST_F(SettingsTest, UnambiguousAbbreviationsAreAccepted) {
  auto p = parse({"--fore", "--no-z", "--po", "5", "--no-d", "--no-r"});
  ASSERT_EQ(p.outcome, ParseOutcome::Run) << p.message;
  EXPECT_TRUE(p.settings.foreground);
  EXPECT_FALSE(p.settings.zeroconf);
  EXPECT_EQ(p.settings.port, 5);
  EXPECT_FALSE(p.settings.use_dbus);
  EXPECT_FALSE(p.settings.restore);
}

TEST_F(SettingsTest, AmbiguousAbbreviationIsAUsageError) {
  auto p = parse({"--no"});
  EXPECT_EQ(p.outcome, ParseOutcome::UsageError);
  EXPECT_NE(p.message.find("usage: mandos"), std::string::npos);
}

TEST_F(SettingsTest, ShortOptionsWork) {
  auto p = parse({"-i", "lo", "-a", "::1", "-p7"});
  ASSERT_EQ(p.outcome, ParseOutcome::Run) << p.message;
  EXPECT_EQ(p.settings.interface, "lo");
  EXPECT_EQ(p.settings.address, "::1");
  EXPECT_EQ(p.settings.port, 7);
}

TEST_F(SettingsTest, BadPortIsAUsageError) {
  auto p = parse({"--port", "http"});
  EXPECT_EQ(p.outcome, ParseOutcome::UsageError);
  EXPECT_NE(p.message.find("argument -p/--port: invalid int value: 'http'"), std::string::npos);
}

TEST_F(SettingsTest, UnknownOptionAndStrayArgumentsAreUsageErrors) {
  EXPECT_EQ(parse({"--frobnicate"}).outcome, ParseOutcome::UsageError);
  EXPECT_EQ(parse({"stray"}).outcome, ParseOutcome::UsageError);
}

TEST_F(SettingsTest, NoZeroconfNeedsAPortOrASocket) {
  auto p = parse({"--no-zeroconf"});
  EXPECT_EQ(p.outcome, ParseOutcome::UsageError);
  EXPECT_NE(p.message.find("Needs port or socket to work without Zeroconf"), std::string::npos);
  EXPECT_EQ(parse({"--no-zeroconf", "--port", "0"}).outcome, ParseOutcome::UsageError);
  EXPECT_EQ(parse({"--no-zeroconf", "--socket", "0"}).outcome, ParseOutcome::Run);
  conf("[DEFAULT]\nzeroconf = false\nport = 4000\n");
  EXPECT_EQ(parse({}).outcome, ParseOutcome::Run);
}

TEST_F(SettingsTest, SocketZeroToTwoFromTheFileIsDuplicated) {
  conf("[DEFAULT]\nsocket = 0\n");
  auto p = parse({});
  ASSERT_EQ(p.outcome, ParseOutcome::Run) << p.message;
  ASSERT_TRUE(p.settings.socket.has_value());
  EXPECT_GT(*p.settings.socket, 2);
  ::close(*p.settings.socket);
}

TEST_F(SettingsTest, EmptyPortInTheFileMeansUnset) {
  conf("[DEFAULT]\nport =\n");
  auto p = parse({});
  ASSERT_EQ(p.outcome, ParseOutcome::Run);
  EXPECT_FALSE(p.settings.port.has_value());
}

TEST_F(SettingsTest, BadValuesInTheFileAreFatalAndNameTheLine) {
  conf("[DEFAULT]\nuse_dbus = perhaps\n");
  auto p = parse({});
  EXPECT_EQ(p.outcome, ParseOutcome::Fatal);
  EXPECT_NE(p.message.find("mandos.conf:2"), std::string::npos) << p.message;
  conf("[DEFAULT]\nport = eighty\n");
  p = parse({});
  EXPECT_EQ(p.outcome, ParseOutcome::Fatal);
  EXPECT_NE(p.message.find("'port'"), std::string::npos) << p.message;
}

TEST_F(SettingsTest, FileWithoutSectionHeaderIsFatal) {
  conf("port = 1\n");
  EXPECT_EQ(parse({}).outcome, ParseOutcome::Fatal);
}

TEST_F(SettingsTest, InvalidDebugLevelIsFatal) {
  auto p = parse({"--debuglevel", "LOUD"});
  EXPECT_EQ(p.outcome, ParseOutcome::Fatal);
  EXPECT_NE(p.message.find("LOUD"), std::string::npos);
}

TEST_F(SettingsTest, VersionAndHelpExitSuccessfully) {
  auto v = parse({"--version"});
  EXPECT_EQ(v.outcome, ParseOutcome::ExitSuccess);
  EXPECT_EQ(v.message, "mandos 1.8.16\n");
  auto h = parse({"-h"});
  EXPECT_EQ(h.outcome, ParseOutcome::ExitSuccess);
  EXPECT_NE(h.message.find("--no-zeroconf"), std::string::npos);
}

}  // namespace
}  // namespace mandos::server
