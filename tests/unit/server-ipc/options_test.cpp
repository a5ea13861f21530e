#include "worker/options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mandos::server::worker {
namespace {

using ::testing::HasSubstr;

Result<WorkerOptions> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "mandos-tls-worker");
  return parse_options(args);
}

TEST(WorkerOptions, DefaultsMatchTheDocumentedValues) {
  auto options = parse({});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->priority, "");
  EXPECT_FALSE(options->debug);
  EXPECT_EQ(options->debuglevel, log::Level::Warning);
  EXPECT_EQ(options->servicename, "Mandos");
  EXPECT_EQ(options->handshake_timeout, std::chrono::seconds(10));
  EXPECT_EQ(options->close_timeout, std::chrono::seconds(10));
  EXPECT_EQ(options->max_connections, 1024u);
  EXPECT_FALSE(options->allow_root);
}

TEST(WorkerOptions, AcceptsEveryOptionWithEqualsOrSeparateValue) {
  auto options = parse({"--priority=NORMAL", "--debug", "--debuglevel", "info", "--servicename=Foo",
                        "--handshake-timeout=0.5", "--close-timeout=2", "--max-connections", "7",
                        "--allow-root"});
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->priority, "NORMAL");
  EXPECT_TRUE(options->debug);
  EXPECT_EQ(options->debuglevel, log::Level::Info);
  EXPECT_EQ(options->servicename, "Foo");
  EXPECT_EQ(options->handshake_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(options->close_timeout, std::chrono::seconds(2));
  EXPECT_EQ(options->max_connections, 7u);
  EXPECT_TRUE(options->allow_root);
}

TEST(WorkerOptions, RejectsBadTimeoutsNamingTheOption) {
  for (const std::string option : {"--handshake-timeout", "--close-timeout"}) {
    for (const char* value : {"0", "-1", "abc", "1e9", "nan", "", "5s"}) {
      auto options = parse({option + "=" + value});
      ASSERT_FALSE(options) << value;
      EXPECT_THAT(options.error().message, HasSubstr(option)) << value;
    }
  }
}

TEST(WorkerOptions, RejectsConnectionLimitsOutsideTheChannelLimit) {
  for (const char* value : {"0", "-3", "4097", "x", "1.5"}) {
    auto options = parse({std::string("--max-connections=") + value});
    ASSERT_FALSE(options) << value;
    EXPECT_THAT(options.error().message, HasSubstr("between 1 and 4096")) << value;
  }
}

TEST(WorkerOptions, RejectsUnknownArgumentsAndMissingValues) {
  auto unknown = parse({"--bogus"});
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().message, HasSubstr("unknown argument \"--bogus\""));
  auto missing = parse({"--priority"});
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("--priority requires a value"));
  auto extra = parse({"--debug=yes"});
  ASSERT_FALSE(extra);
  EXPECT_THAT(extra.error().message, HasSubstr("--debug takes no value"));
  auto level = parse({"--debuglevel=LOUD"});
  ASSERT_FALSE(level);
  EXPECT_THAT(level.error().message, HasSubstr("--debuglevel"));
}

TEST(WorkerOptions, SyslogTagNamesARenamedService) {
  EXPECT_EQ(syslog_tag("Mandos"), "Mandos");
  EXPECT_EQ(syslog_tag("Other"), "Mandos (Other)");
}

}  // namespace
}  // namespace mandos::server::worker
