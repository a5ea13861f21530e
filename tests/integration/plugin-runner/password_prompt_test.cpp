// password-prompt on a pseudo-terminal: the prompt text, echo switched off
// while waiting and restored afterwards (also when killed by SIGTERM), the
// password on stdout without its newline, and stepping aside for plymouthd.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "mandos/test/support.hpp"
#include "runner_test_helpers.hpp"

namespace mandos::test {
namespace {

const std::string kPrompt = built("plugins.d/password-prompt");

// A clean environment: only what the test sets (so the developer's own
// CRYPTTAB_* or cryptsource cannot leak in).
std::vector<std::string> env(std::vector<std::string> vars) {
  vars.push_back("PATH=/usr/bin:/bin");
  return vars;
}

bool plymouth_pid_file_exists() { return ::access("/run/plymouth/pid", F_OK) == 0; }

struct PromptCase {
  std::string name;  // the case's test name suffix
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string expected;
};

// Readable test names (and no raw bytes of the struct in ctest's output).
std::string case_name(const ::testing::TestParamInfo<PromptCase>& info) {
  return info.param.name;
}
void PrintTo(const PromptCase& c, std::ostream* os) { *os << c.name; }

class PasswordPromptText : public ::testing::TestWithParam<PromptCase> {};

TEST_P(PasswordPromptText, ShowsThePromptAndPrintsThePasswordWithoutNewline) {
  if (plymouth_pid_file_exists()) GTEST_SKIP() << "plymouth runs on this machine";
  std::vector<std::string> argv{kPrompt};
  argv.insert(argv.end(), GetParam().args.begin(), GetParam().args.end());
  PtyChild child(argv, env(GetParam().env));
  ASSERT_TRUE(child.read_until(GetParam().expected)) << child.terminal_output();
  EXPECT_EQ(child.terminal_output(), GetParam().expected);
  EXPECT_FALSE(child.echo_enabled());
  child.type("s3cret pass\n");
  auto result = child.finish();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "s3cret pass");
  EXPECT_TRUE(child.echo_enabled());
  // Only a newline follows the prompt: the password was not echoed.
  EXPECT_EQ(child.terminal_output(), GetParam().expected + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    Combinations, PasswordPromptText,
    ::testing::Values(
        PromptCase{"Plain", {}, {}, "Enter passphrase to unlock the disk: "},
        PromptCase{"CrypttabName", {}, {"CRYPTTAB_NAME=root"},
                   "Unlocking the disk (root)\nEnter passphrase: "},
        PromptCase{"CrypttabSource", {}, {"CRYPTTAB_SOURCE=/dev/sda2"},
                   "Unlocking the disk /dev/sda2\nEnter passphrase: "},
        PromptCase{"CrypttabSourceAndName", {},
                   {"CRYPTTAB_SOURCE=/dev/sda2", "CRYPTTAB_NAME=root"},
                   "Unlocking the disk /dev/sda2 (root)\nEnter passphrase: "},
        PromptCase{"OldStyleVariables", {},
                   {"cryptsource=/dev/old", "crypttarget=oldname"},
                   "Unlocking the disk /dev/old (oldname)\nEnter passphrase: "},
        PromptCase{"NewSourceWinsOverOldStyle", {},
                   {"CRYPTTAB_SOURCE=/dev/new", "cryptsource=/dev/old", "crypttarget=oldname"},
                   "Unlocking the disk /dev/new (oldname)\nEnter passphrase: "},
        PromptCase{"Prefix", {"--prefix=Mandos:"}, {},
                   "Mandos: Enter passphrase to unlock the disk: "},
        PromptCase{"PrefixAndPromptOptions", {"-p", "P", "--prompt=Say it"},
                   {"CRYPTTAB_NAME=root"}, "P Say it: "}),
    case_name);

TEST(PasswordPrompt, PrintsAnEmptyPasswordForAnEmptyLine) {
  if (plymouth_pid_file_exists()) GTEST_SKIP() << "plymouth runs on this machine";
  PtyChild child({kPrompt}, env({}));
  ASSERT_TRUE(child.read_until("disk: "));
  child.type("\n");
  auto result = child.finish();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "");
}

TEST(PasswordPrompt, AsksAgainAfterEndOfFile) {
  if (plymouth_pid_file_exists()) GTEST_SKIP() << "plymouth runs on this machine";
  PtyChild child({kPrompt}, env({}));
  ASSERT_TRUE(child.read_until("disk: "));
  child.type("\x04");  // Ctrl-D: end of file on a terminal
  ASSERT_TRUE(child.read_until("disk: \nEnter passphrase to unlock the disk: "))
      << child.terminal_output();
  child.type("second\n");
  auto result = child.finish();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "second");
}

TEST(PasswordPrompt, RestoresEchoWhenTerminatedAndDiesByTheSignal) {
  if (plymouth_pid_file_exists()) GTEST_SKIP() << "plymouth runs on this machine";
  PtyChild child({kPrompt}, env({}));
  ASSERT_TRUE(child.read_until("disk: "));
  ASSERT_FALSE(child.echo_enabled());
  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  auto result = child.finish();
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(child.echo_enabled());
}

TEST(PasswordPrompt, FailsWithStatus69WhenStdinIsNotATerminal) {
  if (plymouth_pid_file_exists()) GTEST_SKIP() << "plymouth runs on this machine";
  RunOptions options;
  options.input = "password\n";
  auto result = run({kPrompt}, options);
  EXPECT_EQ(result.exit_code, 69);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("Mandos plugin " + kPrompt + ": tcgetattr: "), std::string::npos)
      << result.err;
}

TEST(PasswordPrompt, StepsAsideSilentlyWhilePlymouthdRuns) {
  // A process whose first argument is ".../plymouthd", as plymouth's daemon.
  BackgroundProcess fake({"/bin/bash", "-c", "exec -a /sbin/plymouthd sleep 1000"}, "/tmp");
  ASSERT_TRUE(wait_until(
      [&] {
        auto cmdline = read_file("/proc/" + std::to_string(fake.pid()) + "/cmdline");
        return cmdline.rfind("/sbin/plymouthd", 0) == 0;
      },
      10s));
  PtyChild child({kPrompt}, env({}));
  auto result = child.finish();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(child.terminal_output(), "");
  fake.stop(SIGKILL);
}

// The reference's options (plugins.md §1) with their short forms.
TEST(PasswordPromptInterface, ListsExactlyTheReferenceOptionsInItsHelp) {
  const std::map<std::string, std::string> reference = {
      {"--prefix", "-p"}, {"--prompt", ""}, {"--debug", ""},
      {"--help", "-?"},   {"--usage", ""},  {"--version", "-V"},
  };
  auto result = run({kPrompt, "--help"});
  EXPECT_EQ(options_in_help(result.out), reference) << result.out;
}

// Our own wording, recorded in golden/ (see golden/README); like the
// reference, help, usage and version exit with 64.
TEST(PasswordPromptInterface, PrintsHelpAndUsageAsRecordedInTheGoldenFilesAndExits64) {
  for (const char* kind : {"help", "usage"}) {
    auto result = run({kPrompt, std::string("--") + kind});
    EXPECT_EQ(result.exit_code, 64);
    EXPECT_EQ(result.out, read_file(golden(std::string("password-prompt.") + kind)));
  }
  auto version = run({kPrompt, "--version"});
  EXPECT_EQ(version.exit_code, 64);
  EXPECT_EQ(version.out, "password-prompt 1.8.16\n");
}

}  // namespace
}  // namespace mandos::test
