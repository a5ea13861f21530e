#include "mandos/child.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <gtest/gtest.h>

#include "mandos/fd.hpp"
#include "mandos/test/support.hpp"

namespace mandos {
namespace {

using namespace std::chrono_literals;

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

TEST(ChildProcess, ReportsExitStatus) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "exit 3"};
  auto child = spawn(options);
  ASSERT_TRUE(child.ok()) << child.error().message;
  auto status = child->wait();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_EQ(describe_wait_status(*status), "exited with status 3");
}

TEST(ChildProcess, DescribesDeathBySignal) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "kill -TERM $$"};
  auto child = spawn(options);
  ASSERT_TRUE(child.ok());
  auto status = child->wait();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(describe_wait_status(*status), "killed by signal SIGTERM");
}

TEST(ChildProcess, FailsNamingTheProgramThatCannotBeExecuted) {
  SpawnOptions options;
  options.argv = {"/nonexistent/program"};
  auto child = spawn(options);
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.error().message.find("/nonexistent/program"), std::string::npos);
  EXPECT_EQ(child.error().code, ENOENT);
}

TEST(ChildProcess, PassesStdoutPipeAndExplicitEnvironment) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe.ok());
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "printf '%s' \"$GREETING\"; env | wc -l"};
  options.environment = std::vector<std::string>{"GREETING=hi", "PATH=/usr/bin:/bin"};
  options.stdout_fd = pipe->write.get();
  auto child = spawn(options);
  ASSERT_TRUE(child.ok());
  pipe->write.reset();
  auto out = read_all(pipe->read.get(), 4096);
  ASSERT_TRUE(child->wait().ok());
  ASSERT_TRUE(out.ok());
  // Only the given variables (plus what sh itself adds: PWD, SHLVL, _).
  EXPECT_EQ(out->substr(0, 2), "hi");
  EXPECT_LE(std::stoi(out->substr(2)), 5);
}

TEST(ChildProcess, DoesNotLeakParentDescriptors) {
  auto leaked = make_pipe();
  ASSERT_TRUE(leaked.ok());
  set_cloexec(leaked->read.get(), false);  // even a non-CLOEXEC fd must not cross
  auto out = make_pipe();
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "ls /proc/self/fd | wc -l"};
  options.stdout_fd = out->write.get();
  auto child = spawn(options);
  ASSERT_TRUE(child.ok());
  out->write.reset();
  auto text = read_all(out->read.get(), 4096);
  ASSERT_TRUE(child->wait().ok());
  // 0, 1, 2 and the fd ls opens on /proc/self/fd.
  EXPECT_EQ(std::stoi(text.value()), 4);
}

TEST(ChildProcess, DestructorKillsTheWholeProcessGroup) {
  test::TempDir dir;
  const std::string pidfile = dir.file("grandchild.pid");
  pid_t grandchild = 0;
  {
    SpawnOptions options;
    options.argv = {"/bin/sh", "-c", "sleep 60 & echo $! > " + pidfile + "; wait"};
    options.new_process_group = true;
    auto child = spawn(options);
    ASSERT_TRUE(child.ok());
    ASSERT_TRUE(test::wait_until([&] { return test::read_file(pidfile).size() > 1; }, 5s));
    grandchild = std::stoi(test::read_file(pidfile));
    ASSERT_TRUE(process_exists(grandchild));
  }
  // The grandchild is re-parented and reaped by init; give it a moment.
  EXPECT_TRUE(test::wait_until([&] { return !process_exists(grandchild); }, 5s));
}

TEST(ChildProcess, RunsAsTheRequestedUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  auto out = make_pipe();
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "echo $(id -u):$(id -g):$(id -G)"};
  options.run_as = UserIds{65534, 65534};
  options.stdout_fd = out->write.get();
  auto child = spawn(options);
  ASSERT_TRUE(child.ok());
  out->write.reset();
  auto text = read_all(out->read.get(), 4096);
  ASSERT_TRUE(child->wait().ok());
  EXPECT_EQ(text.value(), "65534:65534:65534\n");
}

TEST(ChildProcess, ResetsIgnoredSignalsForTheChild) {
  auto old = ::signal(SIGTERM, SIG_IGN);
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "kill -TERM $$; exit 0"};
  auto child = spawn(options);
  ::signal(SIGTERM, old);
  ASSERT_TRUE(child.ok());
  auto status = child->wait();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFSIGNALED(*status));
}

}  // namespace
}  // namespace mandos
