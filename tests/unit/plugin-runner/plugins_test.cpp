// Unit tests for the password plugins' helpers.
#include <gtest/gtest.h>
#include <unistd.h>

#include "mandos/test/support.hpp"
#include "plugin_common.hpp"
#include "plymouth_support.hpp"
#include "prompt.hpp"

namespace mandos::plugins {
namespace {

TEST(PasswordPromptText, DefaultsToTheGenericQuestion) {
  EXPECT_EQ(compose_prompt(nullptr, nullptr, nullptr, nullptr),
            "Enter passphrase to unlock the disk: ");
}

TEST(PasswordPromptText, NamesSourceAndTarget) {
  EXPECT_EQ(compose_prompt(nullptr, nullptr, "/dev/sda1", nullptr),
            "Unlocking the disk /dev/sda1\nEnter passphrase: ");
  EXPECT_EQ(compose_prompt(nullptr, nullptr, nullptr, "root"),
            "Unlocking the disk (root)\nEnter passphrase: ");
  EXPECT_EQ(compose_prompt(nullptr, nullptr, "/dev/sda1", "root"),
            "Unlocking the disk /dev/sda1 (root)\nEnter passphrase: ");
}

TEST(PasswordPromptText, PutsThePrefixAndAGivenPromptFirst) {
  EXPECT_EQ(compose_prompt("pre", nullptr, nullptr, nullptr),
            "pre Enter passphrase to unlock the disk: ");
  EXPECT_EQ(compose_prompt("pre", "Own", "/dev/sda1", "root"), "pre Own: ");
  EXPECT_EQ(compose_prompt(nullptr, "", nullptr, nullptr), ": ");
}

TEST(PasswordPromptText, TreatsSetButEmptyVariablesAsSet) {
  EXPECT_EQ(compose_prompt(nullptr, nullptr, "", ""), "Unlocking the disk  ()\nEnter passphrase: ");
}

TEST(PlymouthPrompt, IsBuiltFromSourceAndTargetWithoutColon) {
  EXPECT_EQ(plymouth_prompt(nullptr, nullptr), "Unlocking the disk\nEnter passphrase");
  EXPECT_EQ(plymouth_prompt("/dev/sda1", nullptr), "Unlocking the disk /dev/sda1\nEnter passphrase");
  EXPECT_EQ(plymouth_prompt(nullptr, "root"), "Unlocking the disk (root)\nEnter passphrase");
  EXPECT_EQ(plymouth_prompt("/dev/sda1", "root"),
            "Unlocking the disk /dev/sda1 (root)\nEnter passphrase");
}

TEST(PlymouthPidText, ReadsALeadingDecimalNumber) {
  EXPECT_EQ(parse_pid_text("123\n"), 123);
  EXPECT_EQ(parse_pid_text("  77 trailing"), 77);
  EXPECT_EQ(parse_pid_text(""), 0);
  EXPECT_EQ(parse_pid_text("abc"), 0);
  EXPECT_EQ(parse_pid_text("-5"), 0);
  EXPECT_EQ(parse_pid_text("99999999999999999999999"), 0);
  EXPECT_EQ(parse_pid_text("4294967296"), 0);  // does not fit a pid_t
}

TEST(FindPlymouthd, UsesTheFirstPidFileThatOpens) {
  mandos::test::TempDir dir;
  mandos::test::write_file(dir.file("second"), "42\n");
  EXPECT_EQ(find_plymouthd({dir.file("missing"), dir.file("second")}, dir.file("noproc")), 42);
}

TEST(FindPlymouthd, ScansProcessesWhenThePidFileIsUnusable) {
  mandos::test::TempDir dir;
  mandos::test::write_file(dir.file("garbage"), "not a pid");
  mandos::test::write_file(dir.file("later"), "42");
  // No process here runs /sbin/plymouthd.
  EXPECT_EQ(find_plymouthd({dir.file("garbage"), dir.file("later")}, "/proc"), 0);
}

TEST(ProcessArgv, ReadsTheCommandLineOfAProcess) {
  auto argv = process_argv(::getpid(), "/proc");
  ASSERT_TRUE(argv.has_value());
  ASSERT_FALSE(argv->empty());
  EXPECT_NE(argv->front().find("plugins_unit_test"), std::string::npos);
}

TEST(Cmdline, SplitsOnNulBytes) {
  EXPECT_EQ(split_cmdline(std::string("/sbin/plymouthd\0--mode=boot\0", 28)),
            (std::vector<std::string>{"/sbin/plymouthd", "--mode=boot"}));
  EXPECT_EQ(split_cmdline(std::string("a\0\0b", 4)), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(split_cmdline("").empty());
}

TEST(Cmdline, NamesPlymouthdByTheBaseNameOfTheFirstArgument) {
  EXPECT_TRUE(cmdline_is_plymouthd(std::string("plymouthd\0--mode=boot\0", 22)));
  EXPECT_TRUE(cmdline_is_plymouthd(std::string("/sbin/plymouthd\0", 16)));
  EXPECT_FALSE(cmdline_is_plymouthd(std::string("/sbin/plymouthd-x\0", 18)));
  EXPECT_FALSE(cmdline_is_plymouthd(std::string("sh\0plymouthd\0", 13)));
  EXPECT_FALSE(cmdline_is_plymouthd(""));
}

TEST(ReadBounded, StopsAtTheLimit) {
  mandos::test::TempDir dir;
  mandos::test::write_file(dir.file("f"), std::string(10000, 'x'));
  auto text = read_bounded(dir.file("f"), 100);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->size(), 100u);
  EXPECT_FALSE(read_bounded(dir.file("missing"), 100).has_value());
}

TEST(SecretBuffer, KeepsBytesUpToItsLimit) {
  SecretBuffer buffer(5000);
  std::string expected;
  while (!buffer.full()) {
    auto [space, room] = buffer.reserve(1024);
    ASSERT_GT(room, 0u);
    for (size_t i = 0; i < room; ++i) space[i] = static_cast<char>(expected.size() + i);
    expected.append(space, room);
    buffer.commit(room);
  }
  EXPECT_EQ(std::string(buffer.data(), buffer.size()), expected);
  EXPECT_EQ(buffer.reserve(1).second, 0u);
}

}  // namespace
}  // namespace mandos::plugins
