#include "daemon/checker_launcher.hpp"

#include <fcntl.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <set>
#include <string>

namespace mandos::server::test {
namespace {

// What this process's stdout is ("pipe:[N]", a file, a terminal).
std::string realpath_of_stdout() {
  char buffer[4096];
  ssize_t length = ::readlink("/proc/self/fd/1", buffer, sizeof buffer - 1);
  return length < 0 ? std::string() : std::string(buffer, static_cast<size_t>(length));
}

// Runs the default GLib main context until the checker is reaped (a stuck
// checker fails the test after a minute instead of hanging it).
class CheckerLauncherTest : public ::testing::Test {
 protected:
  std::optional<int> run(const std::string& command, CheckerStdio stdio = {true, false},
                         bool terminate = false) {
    SpawningCheckerLauncher launcher(stdio);
    std::optional<int> status;
    auto pid = launcher.start(command, [&](int s) { status = s; });
    EXPECT_TRUE(pid) << pid.error().message;
    if (!pid) return std::nullopt;
    if (terminate) launcher.signal(*pid, SIGTERM);
    bool gave_up = false;
    guint limit = g_timeout_add_seconds(60, [](gpointer flag) {
      *static_cast<bool*>(flag) = true;
      return G_SOURCE_REMOVE;
    }, &gave_up);
    while (!status && !gave_up) g_main_context_iteration(nullptr, TRUE);
    if (!gave_up) g_source_remove(limit);
    EXPECT_FALSE(gave_up) << "checker not reaped: " << command;
    EXPECT_EQ(launcher.running(), 0u);
    return status;
  }

  static bool exited_with(std::optional<int> status, int code) {
    return status && WIFEXITED(*status) && WEXITSTATUS(*status) == code;
  }
};

TEST_F(CheckerLauncherTest, ReportsTheExitStatusOfTheShellCommand) {
  EXPECT_TRUE(exited_with(run("exit 3"), 3));
  EXPECT_TRUE(exited_with(run("true"), 0));
}

TEST_F(CheckerLauncherTest, RunsInItsOwnProcessGroupFromTheRootDirectory) {
  // Field 5 of /proc/PID/stat is the process group.
  EXPECT_TRUE(exited_with(
      run("[ \"$(pwd)\" = / ] && [ \"$(cut -d' ' -f5 /proc/$$/stat)\" = $$ ]"), 0));
}

TEST_F(CheckerLauncherTest, SignalsReachTheWholeProcessGroup) {
  auto status = run("sleep 60 & wait", {true, false}, /*terminate=*/true);
  ASSERT_TRUE(status);
  ASSERT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGTERM);
}

TEST_F(CheckerLauncherTest, StartsWithDefaultSignalsUnblockedDespiteTheServersOwn) {
  // The server ignores SIGPIPE; a blocked signal would also be inherited.
  struct sigaction ignore {}, old_pipe {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old_pipe), 0);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ASSERT_EQ(::sigprocmask(SIG_BLOCK, &block, &old_mask), 0);
  // The last 7 hex digits of SigIgn/SigBlk are signals 1-28 (glibc keeps
  // its internal real-time signals 32 and 33 to itself). awk reads its own
  // status, inherited through exec: the shell's would be racy, as dash
  // blocks every signal for a moment while it waits for a child.
  auto status = run(
      "exec awk '/^Sig(Ign|Blk):/ && substr($2, 10) != \"0000000\" {bad = 1} END {exit bad}' "
      "/proc/self/status");
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  EXPECT_TRUE(exited_with(status, 0)) << "wait status " << (status ? *status : -1);
}

TEST_F(CheckerLauncherTest, StdioIsDevNullOrInheritedAsConfigured) {
  const std::string all_null =
      "for fd in 0 1 2; do [ \"$(readlink /proc/$$/fd/$fd)\" = /dev/null ] || exit 1; done";
  EXPECT_TRUE(exited_with(run(all_null, {true, true}), 0));
  // Inherited output: the test's own stdout is not /dev/null under ctest.
  const std::string same_out = "[ \"$(readlink /proc/$$/fd/1)\" = \"" +
                               realpath_of_stdout() + "\" ]";
  EXPECT_TRUE(exited_with(run(same_out, {true, false}), 0));
}

TEST_F(CheckerLauncherTest, ABurstOfCheckersAllGetTheirOwnResult) {
  SpawningCheckerLauncher launcher({true, true});
  std::map<int, int> status_of;  // launcher id -> exit code
  std::set<int> ids;
  for (int i = 0; i < 40; ++i) {
    auto id = launcher.start("exit " + std::to_string(i), [&, i](int status) {
      status_of[i] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    });
    ASSERT_TRUE(id) << id.error().message;
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 40u);
  EXPECT_EQ(launcher.running(), 40u);
  bool gave_up = false;
  guint limit = g_timeout_add_seconds(60, [](gpointer flag) {
    *static_cast<bool*>(flag) = true;
    return G_SOURCE_REMOVE;
  }, &gave_up);
  while (status_of.size() < 40 && !gave_up) g_main_context_iteration(nullptr, TRUE);
  if (!gave_up) g_source_remove(limit);
  ASSERT_EQ(status_of.size(), 40u);
  for (auto [i, code] : status_of) EXPECT_EQ(code, i);
  EXPECT_EQ(launcher.running(), 0u);
}

TEST_F(CheckerLauncherTest, DestroyingItWithCheckersQueuedOrRunningNeitherHangsNorCallsBack) {
  bool called = false;
  {
    SpawningCheckerLauncher launcher({true, true});
    for (int i = 0; i < 20; ++i) {
      auto id = launcher.start("exec sleep 30", [&](int) { called = true; });
      ASSERT_TRUE(id);
      launcher.signal(*id, SIGKILL);  // delivered even if only spawned later
    }
  }
  g_main_context_iteration(nullptr, FALSE);
  EXPECT_FALSE(called);
}

TEST_F(CheckerLauncherTest, NoOtherDescriptorCrossesExec) {
  int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(fd, 3);
  auto status = run("[ ! -e /proc/$$/fd/" + std::to_string(fd) + " ]");
  ::close(fd);
  EXPECT_TRUE(exited_with(status, 0));
}

}  // namespace
}  // namespace mandos::server::test
