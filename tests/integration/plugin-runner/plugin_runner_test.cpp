// Scenario tests for plugin-runner: the real binary with small shell-script
// plugins in a temporary plugin directory. The runner drops to uid/gid
// 65534 when started as root (as in these tests), so the plugin directory
// is world-readable and plugins write their markers into a 0777 directory.
//
// The getpass(3) fallback is tested without a terminal: the runner is
// started through `setsid --wait`, so it has no controlling terminal and
// getpass() reads the line from stdin and prompts on stderr.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "mandos/test/support.hpp"
#include "runner_test_helpers.hpp"

namespace mandos::test {
namespace {

const std::string kRunner = built("plugin-runner/plugin-runner");

class PluginRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the runner changes uid to 65534";
    plugins_ = dir_.file("plugins.d");
    markers_ = dir_.file("markers");
    ASSERT_EQ(::mkdir(plugins_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(markers_.c_str(), 0777), 0);
    ASSERT_EQ(::chmod(markers_.c_str(), 0777), 0);
  }

  // A plugin: a /bin/sh script with body; $M is the marker directory.
  void plugin(const std::string& name, const std::string& body, mode_t mode = 0755) {
    write_file(plugins_ + "/" + name, "#!/bin/sh\nM=" + markers_ + "\n" + body + "\n", mode);
    ASSERT_EQ(::chmod((plugins_ + "/" + name).c_str(), mode), 0);
  }

  std::vector<std::string> command(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{kRunner, "--plugin-dir=" + plugins_,
                                  "--config-file=" + dir_.file("plugin-runner.conf")};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  RunResult run_runner(const std::vector<std::string>& args, RunOptions options = {}) {
    options.timeout = 30s;
    return run(command(args), options);
  }

  // Without a controlling terminal, so getpass() uses stdin and stderr.
  RunResult run_detached(const std::vector<std::string>& args, const std::string& input) {
    std::vector<std::string> argv{"/usr/bin/setsid", "--wait"};
    auto rest = command(args);
    argv.insert(argv.end(), rest.begin(), rest.end());
    RunOptions options;
    options.input = input;
    options.timeout = 30s;
    return run(argv, options);
  }

  bool marker(const std::string& name) const { return ::access((markers_ + "/" + name).c_str(), F_OK) == 0; }

  TempDir dir_{"plugin-runner-test"};
  std::string plugins_;
  std::string markers_;
};

TEST_F(PluginRunner, PrintsTheOutputOfASuccessfulPluginUnchanged) {
  plugin("only", "printf 'secret'");
  auto result = run_runner({});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "secret");
}

TEST_F(PluginRunner, PassesBinaryOutputWithNulBytesAndNewlinesThrough) {
  const std::string bytes("a\0b\nc\xff\n\0", 8);
  write_file(markers_ + "/payload", bytes, 0644);
  plugin("binary", "cat \"$M/payload\"");
  auto result = run_runner({});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, bytes);
}

TEST_F(PluginRunner, PassesLargeOutputThroughUnchanged) {
  std::string bytes;
  for (int i = 0; i < 300000; ++i) bytes.push_back(static_cast<char>(i * 7 % 256));
  write_file(markers_ + "/payload", bytes, 0644);
  plugin("large", "cat \"$M/payload\"");
  auto result = run_runner({});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, bytes);
}

TEST_F(PluginRunner, PrintsAnEmptyPasswordWhenAPluginSucceedsSilently) {
  plugin("silent", "exit 0");
  auto result = run_runner({});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
}

TEST_F(PluginRunner, LetsTheFastSuccessWinAndStopsTheSlowPlugin) {
  // fast wins only once slow is ready to record its SIGTERM.
  plugin("fast", "while [ ! -e \"$M/slow-ready\" ]; do sleep 0.05; done\nprintf fast");
  plugin("slow",
         "trap 'echo >\"$M/slow-terminated\"; kill $child; exit 1' TERM\n"
         "sleep 1000 & child=$!\necho >\"$M/slow-ready\"\nwait\nprintf slow");
  auto result = run_runner({});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "fast");
  EXPECT_TRUE(marker("slow-terminated"));
}

TEST_F(PluginRunner, IgnoresTheOutputOfFailingPlugins) {
  plugin("a-fails", "printf wrong; exit 1");
  plugin("b-killed", "printf wrong; kill -KILL $$");
  plugin("c-works", "sleep 0.2; printf right");
  auto result = run_runner({});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "right");
}

TEST_F(PluginRunner, FallsBackToGetpassWhenAllPluginsFail) {
  plugin("fails", "exit 1");
  plugin("also-fails", "exit 3");
  auto result = run_detached({}, "typed\n");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "typed");
  EXPECT_NE(result.err.find("Going to fallback mode using getpass(3)\nPassword: "),
            std::string::npos)
      << result.err;
}

TEST_F(PluginRunner, FallsBackWhenNoPluginStarts) {
  auto result = run_detached({}, "typed\n");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "typed");
  EXPECT_NE(result.err.find("No plugin processes started. Incorrect plugin directory?\n"
                            "Going to fallback mode using getpass(3)\n"),
            std::string::npos)
      << result.err;
}

TEST_F(PluginRunner, FallsBackWithStatus69WhenThePluginDirectoryIsMissing) {
  auto result = run_detached({"--plugin-dir=" + dir_.file("missing")}, "typed\n");
  EXPECT_EQ(result.exit_code, 69);
  EXPECT_EQ(result.out, "typed");
  EXPECT_NE(result.err.find("Could not open plugin dir: No such file or directory"),
            std::string::npos)
      << result.err;
}

TEST_F(PluginRunner, FallsBackWithStatus64OnACommandLineError) {
  plugin("works", "printf no");
  auto result = run_detached({"--no-such-option"}, "typed\n");
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_EQ(result.out, "typed");
  EXPECT_NE(result.err.find("unrecognized option '--no-such-option'"), std::string::npos)
      << result.err;
}

TEST_F(PluginRunner, RejectsOptionsForWithoutAColonNamingTheArgument) {
  auto result = run_detached({"--options-for=nocolon"}, "x\n");
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_NE(result.err.find("No colon in \"nocolon\""), std::string::npos) << result.err;
  result = run_detached({"--env-for=:A=b"}, "x\n");
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_NE(result.err.find("Empty plugin name"), std::string::npos) << result.err;
}

TEST_F(PluginRunner, IgnoresAnEmptyArgumentButRejectsOthers) {
  plugin("works", "printf ok");
  auto result = run_runner({""});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "ok");
  result = run_detached({"extra"}, "typed\n");
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_NE(result.err.find("Too many arguments"), std::string::npos) << result.err;
}

TEST_F(PluginRunner, ReportsABadUserIdAndKeepsTheDefault) {
  plugin("who", "printf \"$(id -u)\"");
  auto result = run_runner({"--userid=abc"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "65534");
  EXPECT_NE(result.err.find("Bad user ID number: \"abc\", using 65534"), std::string::npos)
      << result.err;
}

TEST_F(PluginRunner, DoesNotRunDisabledPlugins) {
  plugin("a-disabled", "echo >\"$M/disabled-ran\"; printf disabled");
  plugin("b-other", "sleep 0.3; printf other");
  auto result = run_runner({"--disable=a-disabled"});
  EXPECT_EQ(result.out, "other") << result.err;
  EXPECT_FALSE(marker("disabled-ran"));
}

TEST_F(PluginRunner, RunsAPluginAgainAfterEnable) {
  plugin("toggled", "printf toggled");
  auto result = run_runner({"--disable=toggled", "--enable=toggled"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "toggled");
}

TEST_F(PluginRunner, FallsBackInsteadOfBlockingWhenOnlyNamedPluginsRemain) {
  // The reference blocks forever here: "ghost" is named but never started.
  plugin("fails", "exit 1");
  auto result = run_detached({"--options-for=ghost:x", "--disable=ghost2"}, "typed\n");
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "typed");
}

TEST_F(PluginRunner, PassesPluginOptionsBeforeGlobalOptionsKeepingEmptyItems) {
  // (A script cannot see its argv[0]: the kernel passes /dev/fd/N instead.)
  plugin("args", "printf '[%s]' \"$@\"");
  auto result = run_runner({"--global-options=g1,,g2", "--options-for=args:p1,p 2",
                            "-o", "args:p3", "-o", "other:x"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "[p1][p 2][p3][g1][][g2]");
}

TEST_F(PluginRunner, GivesPluginEnvironmentPrecedenceOverGlobalOverInherited) {
  plugin("a-env", "sleep 0.2; exit 1");
  plugin("b-env", "printf '%s|%s|%s|%s' \"$V\" \"$W\" \"$X\" \"$MANDOSPLUGINHELPERDIR\"");
  RunOptions options;
  options.env_add = {"V=inherited", "W=inherited", "X=inherited"};
  auto result = run_runner({"--global-env=V=global", "--global-env=W=global",
                            "--env-for=b-env:V=plugin", "-G", "W=global2"},
                           options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "plugin|global2|inherited|/lib/mandos/plugin-helpers");
}

TEST_F(PluginRunner, SetsTheHelperDirectoryVariableOverridingAGlobalOne) {
  plugin("helper", "printf %s \"$MANDOSPLUGINHELPERDIR\"");
  auto result = run_runner({"--global-env=MANDOSPLUGINHELPERDIR=/ignored"});
  EXPECT_EQ(result.out, "/lib/mandos/plugin-helpers") << result.err;
  result = run_runner({"--plugin-helper-dir=/helpers"});
  EXPECT_EQ(result.out, "/helpers") << result.err;
  result = run_runner({"--plugin-helper-dir=/helpers", "--env-for=helper:MANDOSPLUGINHELPERDIR=/own"});
  EXPECT_EQ(result.out, "/own") << result.err;
}

TEST_F(PluginRunner, ReadsTheConfigFileThenLetsTheCommandLineAdd) {
  write_file(dir_.file("plugin-runner.conf"),
             "# a comment line --disable=args\n"
             "--options-for=args:file1\t--global-options=fileglobal#trailing comment\r\n"
             "  --disable=args   \n"
             "\n"
             "--env-for=args:V=file --env-for=args:W=file\n");
  plugin("args", "printf '[%s]' \"$@\" \"$V\" \"$W\"");
  auto result = run_runner({"--enable=args", "--options-for=args:cli1", "--env-for=args:W=cli"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "[file1][cli1][fileglobal][file][cli]");
}

TEST_F(PluginRunner, UsesTheConfigFileGivenOnTheCommandLineOnly) {
  write_file(dir_.file("other.conf"), "--options-for=args:other --config-file=/nonexistent\n");
  plugin("args", "printf '[%s]' \"$@\"");
  auto result = run_runner({"--config-file=" + dir_.file("other.conf")});
  EXPECT_EQ(result.out, "[other]") << result.err;
}

TEST_F(PluginRunner, FallsBackWithStatus78OnAnErrorInTheConfigFile) {
  write_file(dir_.file("plugin-runner.conf"), "--options-for=nocolon\n");
  plugin("works", "printf no");
  auto result = run_detached({}, "typed\n");
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_EQ(result.out, "typed");
  EXPECT_NE(result.err.find("No colon in \"nocolon\""), std::string::npos) << result.err;
}

TEST_F(PluginRunner, RejectsAnOversizedConfigFileWithStatus78) {
  write_file(dir_.file("plugin-runner.conf"), std::string(1024 * 1024 + 1, ' '));
  auto result = run_detached({}, "typed\n");
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_NE(result.err.find("plugin-runner.conf: configuration file larger than 1048576 bytes"),
            std::string::npos)
      << result.err;
}

TEST_F(PluginRunner, SkipsLeftoverNamesNonExecutablesAndDirectories) {
  for (const char* name : {".hidden", "#autosave#", "backup~", "x.dpkg-new", "x.dpkg-old",
                           "x.dpkg-bak", "x.dpkg-divert"}) {
    plugin(name, "printf bad");
  }
  plugin("not-executable", "printf bad", 0644);
  ASSERT_EQ(::mkdir((plugins_ + "/directory").c_str(), 0755), 0);
  auto result = run_detached({"--debug"}, "typed\n");
  EXPECT_EQ(result.out, "typed");
  EXPECT_NE(result.err.find("No plugin processes started"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("Ignoring plugin dir entry \"x.dpkg-divert\" matching pattern "
                            "*.dpkg-divert"),
            std::string::npos)
      << result.err;
}

TEST_F(PluginRunner, FollowsSymlinksToExecutables) {
  write_file(markers_ + "/target", "#!/bin/sh\nprintf linked\n", 0755);
  ASSERT_EQ(::chmod((markers_ + "/target").c_str(), 0755), 0);
  ASSERT_EQ(::symlink((markers_ + "/target").c_str(), (plugins_ + "/link").c_str()), 0);
  auto result = run_runner({});
  EXPECT_EQ(result.out, "linked") << result.err;
}

TEST_F(PluginRunner, RunsPluginsAsTheConfiguredUserAndGroupOnly) {
  plugin("ids", "printf '%s %s %s' \"$(id -u)\" \"$(id -g)\" \"$(id -G)\"");
  auto result = run_runner({"--userid=1234", "--groupid=2345"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "1234 2345 2345");
  result = run_runner({});
  EXPECT_EQ(result.out, "65534 65534 65534") << result.err;
}

TEST_F(PluginRunner, DropsAPluginThatPrintsMoreThanTheLimit) {
  // b-small answers only once a-huge is gone (dropped, or at worst after
  // 20 s), so a loaded machine cannot let it win before a-huge hits the limit.
  plugin("a-huge", "echo $$ > $M/huge.pid; exec head -c 9000000 /dev/zero");
  plugin("b-small",
         "while [ ! -s $M/huge.pid ]; do sleep 0.05; done; i=0\n"
         "while kill -0 \"$(cat $M/huge.pid)\" 2>/dev/null && [ $i -lt 400 ]; do\n"
         "  sleep 0.05; i=$((i + 1))\n"
         "done\n"
         "printf small");
  auto result = run_runner({});
  EXPECT_EQ(result.out, "small");
  EXPECT_NE(result.err.find("Plugin a-huge printed more than 8388608 bytes"), std::string::npos)
      << result.err;
}

TEST_F(PluginRunner, ReapsFailedPluginsWhileOthersRunAndLeavesNoProcessBehind) {
  plugin("a-fails", "echo $$ >\"$M/a.pid\"; exit 1");
  plugin("b-waits",
         "echo $$ >\"$M/b.pid\"\n"
         "while [ ! -e \"$M/go\" ]; do sleep 0.05; done\nprintf done");
  BackgroundProcess runner(command({}), dir_.path());
  ASSERT_TRUE(wait_until([&] { return read_pid_file(markers_ + "/a.pid") != 0; }, 20s));
  const pid_t a = read_pid_file(markers_ + "/a.pid");
  // The failed plugin is reaped while the runner keeps waiting for b.
  EXPECT_TRUE(wait_until([&] { return process_gone(a) && zombie_children_of(runner.pid()).empty(); },
                         20s));
  EXPECT_TRUE(runner.running());
  write_file(markers_ + "/go", "");
  auto result = runner.stop(0, 20s);  // signal 0: just wait for the exit
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(runner.stdout_text(), "done");
  EXPECT_TRUE(process_gone(read_pid_file(markers_ + "/b.pid")));
}

class PluginRunnerSignals : public PluginRunner, public ::testing::WithParamInterface<int> {};

TEST_P(PluginRunnerSignals, KillsPluginsAndTheirChildrenAndDiesByTheSignal) {
  become_subreaper();  // orphaned grandchildren come back to us to be checked
  plugin("hangs",
         "echo $$ >\"$M/plugin.pid\"\n"
         "sleep 1000 & echo $! >\"$M/grandchild.pid\"\nwait");
  BackgroundProcess runner(command({}), dir_.path());
  ASSERT_TRUE(wait_until([&] { return read_pid_file(markers_ + "/grandchild.pid") != 0; }, 20s));
  const pid_t plugin_pid = read_pid_file(markers_ + "/plugin.pid");
  const pid_t grandchild = read_pid_file(markers_ + "/grandchild.pid");
  ASSERT_FALSE(process_gone(grandchild));

  auto result = runner.stop(GetParam(), 20s);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.signal, GetParam());
  EXPECT_EQ(runner.stdout_text(), "");
  EXPECT_TRUE(wait_until([&] { return process_gone(plugin_pid); }, 10s));
  EXPECT_TRUE(wait_until([&] { return process_gone(grandchild); }, 10s));
}

INSTANTIATE_TEST_SUITE_P(TermAndInt, PluginRunnerSignals, ::testing::Values(SIGTERM, SIGINT));

// The reference's options (plugin-runner.md §1) with their short forms.
TEST(PluginRunnerInterface, ListsExactlyTheReferenceOptionsInItsHelp) {
  const std::map<std::string, std::string> reference = {
      {"--global-options", "-g"}, {"--global-env", "-G"},   {"--options-for", "-o"},
      {"--env-for", "-E"},        {"--disable", "-d"},      {"--enable", "-e"},
      {"--plugin-dir", ""},       {"--plugin-helper-dir", ""}, {"--config-file", ""},
      {"--userid", ""},           {"--groupid", ""},        {"--debug", ""},
      {"--help", "-?"},           {"--usage", ""},          {"--version", "-V"},
  };
  auto result = run({kRunner, "--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(options_in_help(result.out), reference) << result.out;
}

// Our own wording, recorded in golden/ (see golden/README) so that any
// change to it is deliberate.
TEST(PluginRunnerInterface, PrintsHelpAndUsageAsRecordedInTheGoldenFiles) {
  for (const char* kind : {"help", "usage"}) {
    auto result = run({kRunner, std::string("--") + kind});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out, read_file(golden(std::string("plugin-runner.") + kind)));
  }
  auto version = run({kRunner, "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "plugin-runner 1.8.16\n");
}

}  // namespace
}  // namespace mandos::test
