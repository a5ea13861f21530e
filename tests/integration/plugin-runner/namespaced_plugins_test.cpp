// askpass-fifo and plymouth use fixed system paths (/lib/cryptsetup/passfifo,
// /bin/plymouth, /sbin/plymouthd, /run/plymouth/pid). Each test moves into
// a private mount namespace and overlays those directories, so the real
// binaries run unmodified while the host stays untouched.
//
// plymouth runs against a fake /bin/plymouth and /sbin/plymouthd (shell
// scripts that log their arguments and answer from files): a real plymouthd
// needs a display or a VT and would make these tests depend on the
// machine's console.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <map>
#include <string>
#include <vector>

#include "mandos/test/support.hpp"
#include "runner_test_helpers.hpp"

namespace mandos::test {
namespace {

const std::string kAskpass = built("plugins.d/askpass-fifo");
const std::string kPlymouth = built("plugins.d/plymouth");
const std::string kFifo = "/lib/cryptsetup/passfifo";

class Namespaced : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace_ = std::make_unique<PrivateMountNamespace>();
    if (!namespace_->ok()) GTEST_SKIP() << namespace_->reason();
  }
  void TearDown() override { namespace_.reset(); }

  TempDir scratch_{"plugins-ns-test"};
  std::unique_ptr<PrivateMountNamespace> namespace_;
};

// ---- askpass-fifo ----------------------------------------------------------

class AskpassFifo : public Namespaced {
 protected:
  void SetUp() override {
    Namespaced::SetUp();
    if (IsSkipped()) return;
    overlay("/usr/lib", scratch_.path());  // verified to be in place
    std::filesystem::remove_all("/usr/lib/cryptsetup");
    ASSERT_EQ(::mkdir("/usr/lib/cryptsetup", 0755), 0);
  }

  bool fifo_ready() const {
    struct stat st;
    return ::stat(kFifo.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
  }

  void write_to_fifo(const std::string& bytes) {
    UniqueFd fd(::open(kFifo.c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
};

TEST_F(AskpassFifo, OutputsEverythingWrittenIntoTheFifoUnchanged) {
  BackgroundProcess askpass({kAskpass}, scratch_.path());
  ASSERT_TRUE(wait_until([&] { return fifo_ready(); }, 10s));
  struct stat st;
  ASSERT_EQ(::stat(kFifo.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  const std::string bytes("pass\0word\n\n", 11);
  write_to_fifo(bytes);
  auto result = askpass.stop(0, 10s);
  EXPECT_EQ(result.exit_code, 0) << askpass.stderr_text();
  EXPECT_EQ(askpass.stdout_text(), bytes);
}

TEST_F(AskpassFifo, ReusesAnExistingFifo) {
  ASSERT_EQ(::mkfifo(kFifo.c_str(), 0600), 0);
  BackgroundProcess askpass({kAskpass}, scratch_.path());
  write_to_fifo("again");
  auto result = askpass.stop(0, 10s);
  EXPECT_EQ(result.exit_code, 0) << askpass.stderr_text();
  EXPECT_EQ(askpass.stdout_text(), "again");
}

TEST_F(AskpassFifo, ExitsWith69WithoutTheCryptsetupDirectory) {
  ASSERT_EQ(::rmdir("/usr/lib/cryptsetup"), 0);
  auto result = run({kAskpass});
  EXPECT_EQ(result.exit_code, 69);
  EXPECT_EQ(result.err, "Mandos plugin " + kAskpass + ": mkfifo: No such file or directory\n");
}

TEST_F(AskpassFifo, DropsToTheRealIdsOnceTheFifoIsOpen) {
  // A set-uid root copy started by an unprivileged user, as installed.
  const std::string copy = scratch_.file("askpass-fifo");
  ASSERT_EQ(run({"/bin/cp", kAskpass, copy}).exit_code, 0);
  ASSERT_EQ(::chmod(copy.c_str(), 04755), 0);
  RunOptions options;
  options.run_as = UserIds{65534, 65534};
  BackgroundProcess askpass({copy}, scratch_.path(), options);
  ASSERT_TRUE(wait_until([&] { return fifo_ready(); }, 10s)) << askpass.stderr_text();
  struct stat st;
  ASSERT_EQ(::stat(kFifo.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);  // made while still root
  if (!askpass.running()) GTEST_SKIP() << "set-uid not honoured here: " << askpass.stderr_text();
  // Opening the writing end lets it past open(); it then waits in read().
  UniqueFd writer(::open(kFifo.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writer.valid());
  const std::string status_file = "/proc/" + std::to_string(askpass.pid()) + "/status";
  EXPECT_TRUE(wait_until(
      [&] {
        const auto status = read_file(status_file);
        return status.find("Uid:\t65534\t65534\t65534\t65534") != std::string::npos &&
               status.find("Gid:\t65534\t65534\t65534\t65534") != std::string::npos;
      },
      10s));
  ASSERT_EQ(::write(writer.get(), "pw", 2), 2);
  writer.reset();
  auto result = askpass.stop(0, 10s);
  EXPECT_EQ(result.exit_code, 0) << askpass.stderr_text();
  EXPECT_EQ(askpass.stdout_text(), "pw");
}

// ---- plymouth ----------------------------------------------------------------

class Plymouth : public Namespaced {
 protected:
  void SetUp() override {
    Namespaced::SetUp();
    if (IsSkipped()) return;
    overlay("/usr/bin", scratch_.path());
    overlay("/usr/sbin", scratch_.path());
    mount_tmpfs("/run");
    state_ = scratch_.file("state");
    ASSERT_EQ(::mkdir(state_.c_str(), 0755), 0);
    ::unlink("/usr/bin/plymouth");
    ::unlink("/usr/sbin/plymouthd");
  }

  // The fake client: logs each call; --ping succeeds while "running"
  // exists; ask-for-password prints "answer" if present, else waits.
  void install_fake_plymouth() {
    write_file("/usr/bin/plymouth",
               "#!/bin/sh\n"
               "S=" + state_ + "\n"
               "echo \"$*\" >>\"$S/log\"\n"
               "case \"$1\" in\n"
               "  --ping) [ -e \"$S/running\" ] ;;\n"
               "  ask-for-password)\n"
               "    if [ -e \"$S/answer\" ]; then cat \"$S/answer\"; exit 0; fi\n"
               "    trap 'echo ask-terminated >>\"$S/log\"; kill $child; exit 1' TERM\n"
               "    sleep 1000 & child=$!\n"
               "    echo $$ >\"$S/ask.pid\"  # ready: the trap can kill the child\n"
               "    wait ;;\n"
               "  *) exit 0 ;;\n"
               "esac\n",
               0755);
    ASSERT_EQ(::chmod("/usr/bin/plymouth", 0755), 0);
    write_file("/usr/sbin/plymouthd",
               "#!/bin/sh\n"
               "echo \"plymouthd $* cwd=$(pwd)\" >>" + state_ + "/log\n",
               0755);
    ASSERT_EQ(::chmod("/usr/sbin/plymouthd", 0755), 0);
  }

  // After a failed test the fake "ask-for-password" and its sleep may be
  // left over: kill their process group (the plugin's).
  void TearDown() override {
    if (!state_.empty()) {
      const pid_t ask = read_pid_file(state_ + "/ask.pid");
      const pid_t group = ask > 0 ? ::getpgid(ask) : -1;
      if (group > 1 && group != ::getpgrp()) ::kill(-group, SIGKILL);
    }
    Namespaced::TearDown();
  }

  std::string log() const { return read_file(state_ + "/log"); }

  std::string state_;
};

TEST_F(Plymouth, ExitsWith69SilentlyWithoutPlymouth) {
  auto result = run({kPlymouth});
  EXPECT_EQ(result.exit_code, 69);
  EXPECT_EQ(result.err, "");
}

TEST_F(Plymouth, ExitsWith69SilentlyWhenPlymouthdDoesNotAnswer) {
  install_fake_plymouth();
  auto result = run({kPlymouth});
  EXPECT_EQ(result.exit_code, 69);
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(log(), "--ping\n");
}

TEST_F(Plymouth, AsksWithThePromptFromCryptsourceAndCrypttarget) {
  install_fake_plymouth();
  write_file(state_ + "/running", "");
  write_file(state_ + "/answer", std::string("sec\0ret", 7));
  RunOptions options;
  options.env_add = {"cryptsource=/dev/sda2", "crypttarget=root", "CRYPTTAB_NAME=ignored"};
  auto result = run({kPlymouth}, options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, std::string("sec\0ret", 7));
  EXPECT_EQ(log(),
            "--ping\nask-for-password --prompt=Unlocking the disk /dev/sda2 (root)\n"
            "Enter passphrase\n");
}

TEST_F(Plymouth, UsesTheGivenPrompt) {
  install_fake_plymouth();
  write_file(state_ + "/running", "");
  write_file(state_ + "/answer", "pw");
  auto result = run({kPlymouth, "--prompt=Type it"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(log(), "--ping\nask-for-password --prompt=Type it\n");
}

TEST_F(Plymouth, RestartsPlymouthdWithItsOwnArgumentsWhenTerminated) {
  install_fake_plymouth();
  write_file(state_ + "/running", "");
  BackgroundProcess daemon({"/bin/bash", "-c", "exec -a /sbin/plymouthd sleep 1000"},
                           scratch_.path());
  ASSERT_EQ(::mkdir("/run/plymouth", 0755), 0);
  write_file("/run/plymouth/pid", std::to_string(daemon.pid()) + "\n");
  ASSERT_TRUE(wait_until(
      [&] {
        return read_file("/proc/" + std::to_string(daemon.pid()) + "/cmdline")
                   .rfind("/sbin/plymouthd", 0) == 0;
      },
      10s));
  BackgroundProcess plugin({kPlymouth}, scratch_.path());
  ASSERT_TRUE(wait_until([&] { return read_pid_file(state_ + "/ask.pid") != 0; }, 10s));
  auto result = plugin.stop(SIGTERM, 20s);
  EXPECT_EQ(result.exit_code, 1) << plugin.stderr_text();
  EXPECT_EQ(plugin.stdout_text(), "");
  EXPECT_EQ(log(),
            "--ping\nask-for-password --prompt=Unlocking the disk\nEnter passphrase\n"
            "ask-terminated\nquit\nplymouthd 1000 cwd=/\nshow-splash\n");
  daemon.stop(SIGKILL);
}

TEST_F(Plymouth, RestartsPlymouthdWithDefaultArgumentsWhenItsPidIsUnknown) {
  install_fake_plymouth();
  write_file(state_ + "/running", "");
  BackgroundProcess plugin({kPlymouth}, scratch_.path());
  ASSERT_TRUE(wait_until([&] { return read_pid_file(state_ + "/ask.pid") != 0; }, 10s));
  auto result = plugin.stop(SIGTERM, 20s);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(plugin.stderr_text(), "Mandos plugin " + kPlymouth + ": plymouthd pid not found\n");
  EXPECT_NE(log().find("quit\nplymouthd --mode=boot --attach-to-session cwd=/\nshow-splash\n"),
            std::string::npos)
      << log();
}

// The reference's options (plugins.md §3) with their short forms.
TEST(PlymouthInterface, ListsExactlyTheReferenceOptionsInItsHelp) {
  const std::map<std::string, std::string> reference = {
      {"--prompt", ""}, {"--debug", ""}, {"--help", "-?"}, {"--usage", ""}, {"--version", "-V"},
  };
  auto result = run({kPlymouth, "--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(options_in_help(result.out), reference) << result.out;
}

// Our own wording, recorded in golden/ (see golden/README).
TEST(PlymouthInterface, PrintsHelpAndUsageAsRecordedInTheGoldenFiles) {
  for (const char* kind : {"help", "usage"}) {
    auto result = run({kPlymouth, std::string("--") + kind});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out, read_file(golden(std::string("plymouth.") + kind)));
  }
}

}  // namespace
}  // namespace mandos::test
