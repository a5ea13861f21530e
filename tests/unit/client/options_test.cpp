#include "options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mandos/tls.hpp"

namespace mandos::client {
namespace {

using ::testing::ExitedWithCode;

ClientOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), "mandos-client");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return parse_options(static_cast<int>(args.size()), argv.data());
}

TEST(ClientOptions, DefaultsMatchTheReference) {
  ClientOptions options = parse({});
  EXPECT_FALSE(options.connect.has_value());
  EXPECT_TRUE(options.interfaces.empty());
  EXPECT_EQ(options.pubkey, "/conf/conf.d/mandos/pubkey.txt");
  EXPECT_EQ(options.seckey, "/conf/conf.d/mandos/seckey.txt");
  EXPECT_EQ(options.tls_pubkey, "/conf/conf.d/mandos/tls-pubkey.pem");
  EXPECT_EQ(options.tls_privkey, "/conf/conf.d/mandos/tls-privkey.pem");
  EXPECT_EQ(options.priority, std::string(tls::kDefaultPriority));
  EXPECT_EQ(options.dh_bits, 0u);
  EXPECT_EQ(options.dh_params, "");
  EXPECT_DOUBLE_EQ(options.delay, 2.5);
  EXPECT_DOUBLE_EQ(options.retry, 10.0);
  EXPECT_EQ(options.hook_dir, "/lib/mandos/network-hooks.d");
  EXPECT_FALSE(options.debug);
}

TEST(ClientOptions, StoresEveryLongOption) {
  ClientOptions options = parse({"--connect=192.0.2.7:4711", "--interface=eth0",
                                 "--pubkey=/k/p", "--seckey=/k/s", "--tls-pubkey=/k/tp",
                                 "--tls-privkey=/k/ts", "--priority=NORMAL", "--dh-bits=2048",
                                 "--dh-params=/k/dh", "--delay=1.5", "--retry=3",
                                 "--network-hook-dir=/h", "--debug"});
  ASSERT_TRUE(options.connect.has_value());
  EXPECT_EQ(options.connect->address, "192.0.2.7");
  EXPECT_EQ(options.connect->port, 4711);
  EXPECT_EQ(options.connect->family, AF_INET);
  EXPECT_EQ(options.connect->text, "192.0.2.7:4711");
  EXPECT_EQ(options.interfaces, std::vector<std::string>{"eth0"});
  EXPECT_EQ(options.pubkey, "/k/p");
  EXPECT_EQ(options.seckey, "/k/s");
  EXPECT_EQ(options.tls_pubkey, "/k/tp");
  EXPECT_EQ(options.tls_privkey, "/k/ts");
  EXPECT_EQ(options.priority, "NORMAL");
  EXPECT_EQ(options.dh_bits, 2048u);
  EXPECT_EQ(options.dh_params, "/k/dh");
  EXPECT_DOUBLE_EQ(options.delay, 1.5);
  EXPECT_DOUBLE_EQ(options.retry, 3.0);
  EXPECT_EQ(options.hook_dir, "/h");
  EXPECT_TRUE(options.debug);
}

TEST(ClientOptions, StoresEveryShortOption) {
  ClientOptions options = parse({"-c", "[::1]:80", "-i", "eth1", "-p", "P", "-s", "S", "-T",
                                 "TP", "-t", "TS"});
  ASSERT_TRUE(options.connect.has_value());
  EXPECT_EQ(options.connect->address, "::1");
  EXPECT_EQ(options.interfaces, std::vector<std::string>{"eth1"});
  EXPECT_EQ(options.pubkey, "P");
  EXPECT_EQ(options.seckey, "S");
  EXPECT_EQ(options.tls_pubkey, "TP");
  EXPECT_EQ(options.tls_privkey, "TS");
}

TEST(ClientOptions, InterfaceOptionAccumulatesAndSplitsOnCommasDroppingEmptyNames) {
  ClientOptions options = parse({"-i", "eth0,eth1", "--interface=none", "-i", ",,eth3,"});
  EXPECT_EQ(options.interfaces, (std::vector<std::string>{"eth0", "eth1", "none", "eth3"}));
}

TEST(ClientOptions, DelayAlsoSetsTheRetryIntervalAsTheReferenceDoes) {
  ClientOptions options = parse({"--delay=4"});
  EXPECT_DOUBLE_EQ(options.delay, 4.0);
  EXPECT_DOUBLE_EQ(options.retry, 4.0);
}

TEST(ClientOptions, RetryAfterDelayWinsButRetryBeforeDelayIsOverridden) {
  EXPECT_DOUBLE_EQ(parse({"--delay=4", "--retry=7"}).retry, 7.0);
  EXPECT_DOUBLE_EQ(parse({"--retry=7", "--delay=4"}).retry, 4.0);
}

TEST(ConnectOption, SplitsAtTheLastColonSoIpv6NeedsNoBrackets) {
  auto target = parse_connect("2001:db8::5:22");
  ASSERT_TRUE(target.ok()) << target.error().message;
  EXPECT_EQ(target->family, AF_INET6);
  EXPECT_EQ(target->address, "2001:db8::5");
  EXPECT_EQ(target->port, 22);
}

TEST(ConnectOption, StripsBracketsAroundAnIpv6Address) {
  auto target = parse_connect("[fe80::1]:4711");
  ASSERT_TRUE(target.ok()) << target.error().message;
  EXPECT_EQ(target->family, AF_INET6);
  EXPECT_EQ(target->address, "fe80::1");
  EXPECT_EQ(target->port, 4711);
}

TEST(ConnectOption, TakesAnAddressWithoutColonsAsIpv4) {
  auto target = parse_connect("127.0.0.1:65535");
  ASSERT_TRUE(target.ok()) << target.error().message;
  EXPECT_EQ(target->family, AF_INET);
  EXPECT_EQ(target->address, "127.0.0.1");
  EXPECT_EQ(target->port, 65535);
}

TEST(ConnectOption, RejectsAValueWithoutColon) {
  auto target = parse_connect("127.0.0.1");
  ASSERT_FALSE(target.ok());
  EXPECT_EQ(target.error().message, "No colon in address");
}

TEST(ConnectOption, RejectsBadPortNumbers) {
  for (const char* text : {"::1:", "::1:65536", "::1:0", "::1:x", "::1:-5", "::1:80x",
                           "1.2.3.4:99999999999999999999999"}) {
    auto target = parse_connect(text);
    ASSERT_FALSE(target.ok()) << text;
    EXPECT_EQ(target.error().message, "Bad port number") << text;
  }
}

TEST(ConnectOption, RejectsAnAddressThatIsNotNumericNamingIt) {
  for (const char* text : {"mandos.example:80", "1.2.3:80", "[::1:80", "fe80::1%eth0:80"}) {
    auto target = parse_connect(text);
    ASSERT_FALSE(target.ok()) << text;
    EXPECT_EQ(target.error().message.rfind("Bad address: ", 0), 0u) << target.error().message;
  }
}

TEST(NumericOptions, RetryMustBeNonNegativeAndFitInIntMilliseconds) {
  EXPECT_TRUE(parse_retry("0").ok());
  EXPECT_TRUE(parse_retry("2147483.647").ok());
  for (const char* text : {"-1", "2147484", "nan", "inf", "", "5s", "x"}) {
    auto retry = parse_retry(text);
    ASSERT_FALSE(retry.ok()) << text;
    EXPECT_EQ(retry.error().message, "Bad retry interval");
  }
}

TEST(NumericOptions, DelayAcceptsAnyNumberButNotGarbage) {
  EXPECT_DOUBLE_EQ(*parse_delay("0.25"), 0.25);
  EXPECT_DOUBLE_EQ(*parse_delay("-1"), -1.0);
  for (const char* text : {"", "x", "1.5s", "nan"}) {
    auto delay = parse_delay(text);
    ASSERT_FALSE(delay.ok()) << text;
    EXPECT_EQ(delay.error().message, "Bad delay");
  }
}

TEST(NumericOptions, DhBitsMustBeAnUnsignedInt) {
  EXPECT_EQ(*parse_dh_bits("0"), 0u);
  EXPECT_EQ(*parse_dh_bits("4294967295"), 4294967295u);
  for (const char* text : {"", "-1", "4294967296", "12x", "abc"}) {
    auto bits = parse_dh_bits(text);
    ASSERT_FALSE(bits.ok()) << text;
    EXPECT_EQ(bits.error().message, "Bad number of DH bits");
  }
}

// Errors: argp prints "mandos-client: MESSAGE" and the "Try" line, and
// exits 64, as the reference does.
TEST(ClientOptionsDeathTest, BadDelayExitsWithUsageStatus) {
  EXPECT_EXIT(parse({"--delay=x"}), ExitedWithCode(64), "mandos-client: Bad delay");
}

TEST(ClientOptionsDeathTest, DelayThatIsNoValidRetryIntervalFailsAsRetry) {
  EXPECT_EXIT(parse({"--delay=-1"}), ExitedWithCode(64), "Bad retry interval");
  EXPECT_EXIT(parse({"--delay=1e10"}), ExitedWithCode(64), "Bad retry interval");
}

TEST(ClientOptionsDeathTest, BadRetryExitsWithUsageStatus) {
  EXPECT_EXIT(parse({"--retry=-0.5"}), ExitedWithCode(64), "Bad retry interval");
}

TEST(ClientOptionsDeathTest, BadDhBitsExitsWithUsageStatus) {
  EXPECT_EXIT(parse({"--dh-bits=-3"}), ExitedWithCode(64), "Bad number of DH bits");
}

TEST(ClientOptionsDeathTest, PositionalArgumentsAreRefused) {
  EXPECT_EXIT(parse({"extra"}), ExitedWithCode(64), "Too many arguments");
}

TEST(ClientOptionsDeathTest, UnknownOptionsAreRefused) {
  EXPECT_EXIT(parse({"--frobnicate"}), ExitedWithCode(64), "unrecognized option '--frobnicate'");
}

TEST(ClientOptionsDeathTest, MissingOptionArgumentIsRefused) {
  EXPECT_EXIT(parse({"--connect"}), ExitedWithCode(64), "requires an argument");
}

TEST(ClientOptionsDeathTest, BadConnectValuesExitWithPluginPrefixedMessages) {
  EXPECT_EXIT(parse({"--connect=::1:"}), ExitedWithCode(64),
              "Mandos plugin mandos-client: Bad port number");
  EXPECT_EXIT(parse({"--connect=localhost"}), ExitedWithCode(64),
              "Mandos plugin mandos-client: No colon in address");
  EXPECT_EXIT(parse({"--connect=localhost:80"}), ExitedWithCode(64),
              "Mandos plugin mandos-client: Bad address: localhost");
}

TEST(ClientOptionsDeathTest, HelpUsageAndVersionAllExitWithStatus64) {
  EXPECT_EXIT(parse({"--help"}), ExitedWithCode(64), "");
  EXPECT_EXIT(parse({"-?"}), ExitedWithCode(64), "");
  EXPECT_EXIT(parse({"--usage"}), ExitedWithCode(64), "");
  EXPECT_EXIT(parse({"--version"}), ExitedWithCode(64), "");
  EXPECT_EXIT(parse({"-V"}), ExitedWithCode(64), "");
}

}  // namespace
}  // namespace mandos::client
