#include "options.hpp"

#include <gtest/gtest.h>
#include <sysexits.h>

#include <cerrno>

#include "mandos/test/support.hpp"

namespace mandos::runner {
namespace {

int parse(std::vector<std::string> args, Settings& settings, Pass pass = Pass::Full) {
  args.insert(args.begin(), "plugin-runner");
  return parse_arguments(args, pass, settings);
}

TEST(RunnerOptions, HasTheReferenceDefaults) {
  Settings settings;
  EXPECT_EQ(parse({}, settings), 0);
  EXPECT_EQ(settings.effective_plugin_dir(), "/lib/mandos/plugins.d");
  EXPECT_EQ(settings.effective_helper_dir(), "/lib/mandos/plugin-helpers");
  EXPECT_EQ(settings.effective_config_file(), "/conf/conf.d/mandos/plugin-runner.conf");
  EXPECT_EQ(settings.uid, 65534u);
  EXPECT_EQ(settings.gid, 65534u);
  EXPECT_FALSE(settings.debug);
}

TEST(RunnerOptions, SplitsOptionListsOnCommasKeepingEmptyItems) {
  Settings settings;
  ASSERT_EQ(parse({"-g", "a,,b", "--options-for=p:x,y,", "-o", "p:z"}, settings), 0);
  EXPECT_EQ(settings.plugins.global().args, (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(settings.plugins.find("p")->args, (std::vector<std::string>{"x", "y", "", "z"}));
}

TEST(RunnerOptions, SplitsPluginOptionsAtTheFirstColonOnly) {
  Settings settings;
  ASSERT_EQ(parse({"-o", "p:--connect=[::1]:1234", "-E", "p:URL=http://x"}, settings), 0);
  EXPECT_EQ(settings.plugins.find("p")->args, (std::vector<std::string>{"--connect=[::1]:1234"}));
  EXPECT_EQ(settings.plugins.find("p")->env, (std::vector<std::string>{"URL=http://x"}));
}

TEST(RunnerOptions, ReplacesLaterEnvironmentSettingsOfTheSameVariable) {
  Settings settings;
  ASSERT_EQ(parse({"-G", "A=1", "-G", "A=2", "-E", "p:B=1", "-E", "p:B=2"}, settings), 0);
  EXPECT_EQ(settings.plugins.global().env, (std::vector<std::string>{"A=2"}));
  EXPECT_EQ(settings.plugins.find("p")->env, (std::vector<std::string>{"B=2"}));
}

TEST(RunnerOptions, TogglesDisableAndEnable) {
  Settings settings;
  ASSERT_EQ(parse({"-d", "p", "--enable=p", "--disable=q"}, settings), 0);
  EXPECT_FALSE(settings.plugins.find("p")->disabled);
  EXPECT_TRUE(settings.plugins.find("q")->disabled);
}

TEST(RunnerOptions, RejectsPluginOptionsWithoutColonOrName) {
  Settings settings;
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse({"--options-for=nocolon"}, settings), EINVAL);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("No colon in \"nocolon\""), std::string::npos);
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse({"--env-for=:A=1"}, settings), EINVAL);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("Empty plugin name"), std::string::npos);
}

TEST(RunnerOptions, ReportsABadIdAndKeepsTheOldValue) {
  Settings settings;
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse({"--userid=12x", "--groupid=-1"}, settings), 0);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Bad user ID number: \"12x\", using 65534"), std::string::npos) << err;
  EXPECT_NE(err.find("Bad group ID number: \"-1\", using 65534"), std::string::npos) << err;
  EXPECT_EQ(settings.uid, 65534u);
  EXPECT_EQ(settings.gid, 65534u);
}

TEST(RunnerOptions, FailsWithErangeForAnIdBeyondIntmax) {
  Settings settings;
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse({"--userid=99999999999999999999999"}, settings), ERANGE);
  testing::internal::GetCapturedStderr();
}

TEST(RunnerOptions, AcceptsValidIdsAndDirectories) {
  Settings settings;
  ASSERT_EQ(parse({"--userid=1000", "--groupid=0", "--plugin-dir=/p", "--plugin-helper-dir=/h",
                   "--debug", ""},
                  settings),
            0);
  EXPECT_EQ(settings.uid, 1000u);
  EXPECT_EQ(settings.gid, 0u);
  EXPECT_EQ(settings.effective_plugin_dir(), "/p");
  EXPECT_EQ(settings.effective_helper_dir(), "/h");
  EXPECT_TRUE(settings.debug);
}

TEST(RunnerOptions, RejectsANonEmptyPositionalArgument) {
  Settings settings;
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse({"key"}, settings), EINVAL);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("Too many arguments"), std::string::npos);
}

TEST(RunnerOptions, TakesOnlyTheConfigFileInTheFirstPass) {
  Settings settings;
  ASSERT_EQ(parse({"-o", "p:x", "--config-file=/c", "--userid=bad"}, settings,
                  Pass::ConfigFileOption),
            0);
  EXPECT_EQ(settings.effective_config_file(), "/c");
  EXPECT_EQ(settings.plugins.find("p"), nullptr);
  Settings full;
  ASSERT_EQ(parse({"--config-file=/c"}, full), 0);
  EXPECT_FALSE(full.config_file.has_value());
}

TEST(RunnerOptions, RejectsUnknownOptionsInTheFirstPass) {
  Settings settings;
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse({"--bogus"}, settings, Pass::ConfigFileOption), EINVAL);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("unrecognized option '--bogus'"),
            std::string::npos);
}

TEST(RunnerOptions, SetsTheHelperDirectoryVariableReplacingAGlobalOne) {
  Settings settings;
  ASSERT_EQ(parse({"-G", "MANDOSPLUGINHELPERDIR=/x", "--plugin-helper-dir=/h"}, settings), 0);
  add_helper_dir_variable(settings);
  EXPECT_EQ(settings.plugins.global().env, (std::vector<std::string>{"MANDOSPLUGINHELPERDIR=/h"}));
}

TEST(ConfigTokens, DropCommentsAndSplitOnAllWhitespaceKinds) {
  EXPECT_EQ(tokenize_config("# all comment --x\n"
                            "--a=1\t--b=2#c --d\r\n"
                            " \f\v--e   \n"
                            "--f=x y"),
            (std::vector<std::string>{"--a=1", "--b=2", "--e", "--f=x", "y"}));
}

TEST(ConfigTokens, HaveNoQuoting) {
  EXPECT_EQ(tokenize_config("--prompt=\"Two words\""),
            (std::vector<std::string>{"--prompt=\"Two", "words\""}));
}

TEST(ConfigTokens, EndALineAtANulByte) {
  EXPECT_EQ(tokenize_config(std::string("--a\0--lost\n--b", 15)),
            (std::vector<std::string>{"--a", "--b"}));
}

TEST(ConfigFile, IsIgnoredWhenMissing) {
  auto tokens = read_config_file("/nonexistent/plugin-runner.conf");
  ASSERT_TRUE(tokens.ok());
  EXPECT_FALSE(tokens->has_value());
}

TEST(ConfigFile, IsReadAndTokenized) {
  mandos::test::TempDir dir;
  mandos::test::write_file(dir.file("c.conf"), "--debug # on\n--disable=x\n");
  auto tokens = read_config_file(dir.file("c.conf"));
  ASSERT_TRUE(tokens.ok());
  ASSERT_TRUE(tokens->has_value());
  EXPECT_EQ(**tokens, (std::vector<std::string>{"--debug", "--disable=x"}));
}

TEST(ConfigFile, LargerThanTheLimitIsAConfigurationErrorNamingTheFile) {
  mandos::test::TempDir dir;
  mandos::test::write_file(dir.file("big.conf"), std::string(kMaxConfigFileBytes + 1, '#'));
  auto tokens = read_config_file(dir.file("big.conf"));
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.error().code, EX_CONFIG);
  EXPECT_NE(tokens.error().message.find(dir.file("big.conf") + ": configuration file larger than"),
            std::string::npos);
}

}  // namespace
}  // namespace mandos::runner
