// password-agent against synthetic systemd questions: ask files written by
// the test into an agent directory, answered on AF_UNIX datagram sockets
// that the test binds. The "Mandos client" is a shell script that prints a
// password once the test creates a "go" file, so questions can be changed
// while the agent waits.
//
// To know the agent has read a question file before changing it, the test
// watches the directory for IN_CLOSE_NOWRITE (the agent opens ask files
// read-only; the test only writes them).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <map>
#include <string>

#include "mandos/test/support.hpp"
#include "runner_test_helpers.hpp"

namespace mandos::test {
namespace {

const std::string kAgent = built("password-agent/password-agent");

uint64_t monotonic_us() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
}

// A PID that certainly belongs to no process right now.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status;
  ::waitpid(pid, &status, 0);
  return pid;
}

class ReplySocket {
 public:
  explicit ReplySocket(const std::string& path) : path_(path) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    bound_ = fd_ && ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  bool bound() const { return bound_; }
  // One datagram, or nullopt when none arrives in time.
  std::optional<std::string> receive(std::chrono::milliseconds timeout = 10s) {
    pollfd fd{fd_.get(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buffer[4096];
    const ssize_t got = ::recv(fd_.get(), buffer, sizeof buffer, 0);
    if (got < 0) return std::nullopt;
    return std::string(buffer, static_cast<size_t>(got));
  }
  bool nothing_received() { return !receive(std::chrono::milliseconds(0)); }

 private:
  std::string path_;
  UniqueFd fd_;
  bool bound_ = false;
};

class PasswordAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the agent starts the client as 65534";
    agent_dir_ = dir_.file("ask-password");
    markers_ = dir_.file("markers");
    ASSERT_EQ(::mkdir(agent_dir_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(markers_.c_str(), 0777), 0);
    ASSERT_EQ(::chmod(markers_.c_str(), 0777), 0);
    watch_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    ASSERT_GE(::inotify_add_watch(watch_.get(), agent_dir_.c_str(), IN_CLOSE_NOWRITE), 0);
  }

  // The client prints password once markers/go exists (at once if wait is false).
  std::string client(const std::string& password, bool wait = true, int status = 0) {
    write_file(markers_ + "/password", password, 0644);
    const std::string path = dir_.file("client");
    write_file(path,
               "#!/bin/sh\n"
               "M=" + markers_ + "\n"
               "echo $$ >\"$M/client.pid\"\n" +
                   (wait ? "while [ ! -e \"$M/go\" ]; do sleep 0.05; done\n" : "") +
                   "cat \"$M/password\"\nexit " + std::to_string(status) + "\n",
               0755);
    EXPECT_EQ(::chmod(path.c_str(), 0755), 0);
    return path;
  }

  void go() { write_file(markers_ + "/go", ""); }

  // Writes an ask file the way systemd does: a temporary name, then rename.
  void ask(const std::string& name, const std::string& socket, pid_t pid,
           const std::string& extra = "") {
    const std::string temporary = dir_.file("tmp-" + name);
    write_file(temporary,
               "[Ask]\nPID=" + std::to_string(pid) + "\nSocket=" + socket +
                   "\nAcceptCached=1\nEcho=0\nMessage=Please enter passphrase\n" + extra,
               0600);
    ASSERT_EQ(::rename(temporary.c_str(), (agent_dir_ + "/" + name).c_str()), 0);
  }

  // Waits until the agent has read the named ask file.
  bool agent_read(const std::string& name, std::chrono::milliseconds timeout = 10s) {
    return wait_until(
        [&] {
          alignas(inotify_event) char buffer[4096];
          ssize_t got;
          while ((got = ::read(watch_.get(), buffer, sizeof buffer)) > 0) {
            for (ssize_t offset = 0; offset < got;) {
              const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
              if (event->len > 0) read_.insert(event->name);
              offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            }
          }
          return read_.count(name) > 0;
        },
        timeout);
  }

  std::vector<std::string> agent_command(const std::string& client_path) const {
    return {kAgent, "--agent-directory=" + agent_dir_, "--", client_path};
  }

  std::string socket_path(const std::string& name) const { return dir_.file(name + ".sock"); }

  TempDir dir_{"password-agent-test"};
  std::string agent_dir_;
  std::string markers_;
  UniqueFd watch_;
  std::set<std::string> read_;
};

TEST_F(PasswordAgent, AnswersAnExistingQuestionWithTheClientOutput) {
  ReplySocket reply(socket_path("a"));
  ASSERT_TRUE(reply.bound());
  ask("ask.a", socket_path("a"), ::getpid());
  auto result = run(agent_command(client(std::string("pw\0x\n", 5), false)));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(reply.receive(), std::string("+pw\0x\n\0", 7));
}

TEST_F(PasswordAgent, AnswersAQuestionThatArrivesWhileTheClientRuns) {
  ReplySocket first(socket_path("a")), second(socket_path("b"));
  ask("ask.a", socket_path("a"), ::getpid());
  BackgroundProcess agent(agent_command(client("secret")), dir_.path());
  ASSERT_TRUE(agent_read("ask.a"));
  ask("ask.b", socket_path("b"), ::getpid());
  ASSERT_TRUE(agent_read("ask.b"));
  go();
  EXPECT_EQ(first.receive(), std::string("+secret\0", 8));
  EXPECT_EQ(second.receive(), std::string("+secret\0", 8));
  EXPECT_EQ(agent.stop(0, 20s).exit_code, 0) << agent.stderr_text();
}

TEST_F(PasswordAgent, ExitsWith1WhenThereAreNoQuestionFiles) {
  auto result = run(agent_command(client("pw", false)));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("There are no question files in " + agent_dir_), std::string::npos)
      << result.err;
}

TEST_F(PasswordAgent, IgnoresAnExpiredQuestion) {
  ReplySocket valid(socket_path("a")), expired(socket_path("b"));
  ask("ask.a", socket_path("a"), ::getpid());
  ask("ask.b", socket_path("b"), ::getpid(), "NotAfter=1\n");
  auto result = run(agent_command(client("pw", false)));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(valid.receive(), std::string("+pw\0", 4));
  EXPECT_TRUE(expired.nothing_received());
}

TEST_F(PasswordAgent, DropsAQuestionThatExpiresWhileWaiting) {
  ReplySocket valid(socket_path("a")), expiring(socket_path("b"));
  ask("ask.a", socket_path("a"), ::getpid());
  const uint64_t not_after = monotonic_us() + 300000;
  ask("ask.b", socket_path("b"), ::getpid(), "NotAfter=" + std::to_string(not_after) + "\n");
  BackgroundProcess agent(agent_command(client("pw")), dir_.path());
  ASSERT_TRUE(agent_read("ask.b"));
  ASSERT_TRUE(wait_until([&] { return monotonic_us() > not_after; }, 10s));
  go();
  EXPECT_EQ(valid.receive(), std::string("+pw\0", 4));
  EXPECT_EQ(agent.stop(0, 20s).exit_code, 0) << agent.stderr_text();
  EXPECT_TRUE(expiring.nothing_received());
}

TEST_F(PasswordAgent, IgnoresAQuestionWhoseProcessIsGone) {
  ReplySocket valid(socket_path("a")), orphan(socket_path("b"));
  const pid_t gone = dead_pid();
  ask("ask.a", socket_path("a"), ::getpid());
  ask("ask.b", socket_path("b"), gone);
  auto result = run(agent_command(client("pw", false)));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(valid.receive(), std::string("+pw\0", 4));
  EXPECT_TRUE(orphan.nothing_received());
  EXPECT_NE(result.err.find("PID " + std::to_string(gone) + " in question file \"" + agent_dir_ +
                            "/ask.b\" is bad or does not exist"),
            std::string::npos)
      << result.err;
}

TEST_F(PasswordAgent, DoesNotAnswerACancelledQuestion) {
  ReplySocket kept(socket_path("a")), cancelled(socket_path("b"));
  ask("ask.a", socket_path("a"), ::getpid());
  ask("ask.b", socket_path("b"), ::getpid());
  BackgroundProcess agent(agent_command(client("pw")), dir_.path());
  ASSERT_TRUE(agent_read("ask.a"));
  ASSERT_TRUE(agent_read("ask.b"));
  ASSERT_EQ(::unlink((agent_dir_ + "/ask.b").c_str()), 0);
  go();
  EXPECT_EQ(kept.receive(), std::string("+pw\0", 4));
  EXPECT_EQ(agent.stop(0, 20s).exit_code, 0) << agent.stderr_text();
  EXPECT_TRUE(cancelled.nothing_received());
}

TEST_F(PasswordAgent, ExitsWhenTheOnlyQuestionIsCancelledAndStopsTheClient) {
  ask("ask.a", socket_path("a"), ::getpid());
  BackgroundProcess agent(agent_command(client("pw")), dir_.path());
  ASSERT_TRUE(agent_read("ask.a"));
  ASSERT_TRUE(wait_until([&] { return read_pid_file(markers_ + "/client.pid") != 0; }, 10s));
  ASSERT_EQ(::unlink((agent_dir_ + "/ask.a").c_str()), 0);
  EXPECT_EQ(agent.stop(0, 20s).exit_code, 0) << agent.stderr_text();
  EXPECT_TRUE(wait_until([&] { return process_gone(read_pid_file(markers_ + "/client.pid")); }, 10s));
}

TEST_F(PasswordAgent, RetriesUntilTheSocketAcceptsTheAnswer) {
  ask("ask.a", socket_path("late"), ::getpid());
  BackgroundProcess agent(agent_command(client("pw", false)), dir_.path());
  ASSERT_TRUE(agent.wait_for_stderr("Failed to connect socket to \"" + socket_path("late") + "\"",
                                    20s));
  ReplySocket late(socket_path("late"));
  ASSERT_TRUE(late.bound());
  EXPECT_EQ(late.receive(20s), std::string("+pw\0", 4));
  EXPECT_EQ(agent.stop(0, 20s).exit_code, 0) << agent.stderr_text();
}

TEST_F(PasswordAgent, ExitsWith1WhenTheClientFails) {
  ReplySocket reply(socket_path("a"));
  ask("ask.a", socket_path("a"), ::getpid());
  auto result = run(agent_command(client("pw", false, 3)));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("Mandos client failed or was killed"), std::string::npos) << result.err;
  EXPECT_TRUE(reply.nothing_received());
}

TEST_F(PasswordAgent, RunsTheClientWithUnprivilegedRealIdsAndTheHelperDirectory) {
  ReplySocket reply(socket_path("a"));
  ask("ask.a", socket_path("a"), ::getpid());
  const std::string path = dir_.file("ids-client");
  // bash -p keeps the effective ids (dash would reset them).
  write_file(path,
             "#!/bin/bash -p\n"
             "grep -E '^(Uid|Gid):' /proc/$$/status | tr '\\t\\n' ' ,'\n"
             "printf '%s %s' \"$MANDOSPLUGINHELPERDIR\" \"$*\"\n",
             0755);
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
  auto result = run({kAgent, "--agent-directory=" + agent_dir_, "--user=1234", "--group=2345",
                     "--helper-directory=/helpers", "--", path, "--one", "two"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::string expected = "+Uid: 1234 0 0 0,Gid: 2345 0 0 0,/helpers --one two";
  EXPECT_EQ(reply.receive(), expected + std::string(1, '\0'));
}

TEST_F(PasswordAgent, StopsTheClientAndDiesWhenTerminated) {
  ask("ask.a", socket_path("a"), ::getpid());
  BackgroundProcess agent(agent_command(client("pw")), dir_.path());
  ASSERT_TRUE(wait_until([&] { return read_pid_file(markers_ + "/client.pid") != 0; }, 10s));
  const pid_t client_pid = read_pid_file(markers_ + "/client.pid");
  auto result = agent.stop(SIGTERM, 20s);
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_TRUE(wait_until([&] { return process_gone(client_pid); }, 10s));
}

TEST_F(PasswordAgent, ExitsWith72ForAMissingAgentDirectory) {
  auto result = run({kAgent, "--agent-directory=" + dir_.file("missing"), "--", client("pw", false)});
  EXPECT_EQ(result.exit_code, 72);
  EXPECT_NE(result.err.find("Failed to create inotify watch on " + dir_.file("missing") +
                            ": No such file or directory"),
            std::string::npos)
      << result.err;
}

TEST(PasswordAgentInterface, RefusesUserOrGroupZeroAsAUsageError) {
  for (const char* option : {"--user=0", "--group=0", "--userid=x", "-g", "-1"}) {
    auto result = run({kAgent, option, "--", "/bin/true"});
    EXPECT_EQ(result.exit_code, 64) << option;
  }
}

// The reference's options (plugins.md §4) with their short forms; the
// aliases --plugin-helper-dir, --userid and --groupid are hidden.
TEST(PasswordAgentInterface, ListsExactlyTheReferenceOptionsInItsHelp) {
  const std::map<std::string, std::string> reference = {
      {"--agent-directory", "-d"}, {"--helper-directory", ""}, {"--user", "-u"},
      {"--group", "-g"},           {"--test", ""},             {"--help", "-?"},
      {"--usage", ""},             {"--version", "-V"},
  };
  auto result = run({kAgent, "--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(options_in_help(result.out), reference) << result.out;
}

TEST(PasswordAgentInterface, AcceptsTheHiddenAliasesOfPluginRunner) {
  // argp acts on options in order: a refused alias would end the run with 64
  // before --usage is reached.
  auto result = run({kAgent, "--plugin-helper-dir=/nonexistent", "--userid=1000",
                     "--groupid=1000", "--usage"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  auto refused = run({kAgent, "--userid=0", "--usage"});
  EXPECT_EQ(refused.exit_code, 64);
}

// Our own wording, recorded in golden/ (see golden/README).
TEST(PasswordAgentInterface, PrintsHelpAndUsageAsRecordedInTheGoldenFilesAndItsVersion) {
  for (const char* kind : {"help", "usage"}) {
    auto result = run({kAgent, std::string("--") + kind});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out, read_file(golden(std::string("password-agent.") + kind)));
  }
  auto version = run({kAgent, "--version"});
  EXPECT_EQ(version.out, "password-agent 1.8.16\n");
}

TEST(PasswordAgentInterface, RunsItsSelfTestsWithTest) {
  auto result = run({kAgent, "--test"});
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(result.out.find("not ok"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ok 5 - answers on a datagram socket"), std::string::npos);
}

}  // namespace
}  // namespace mandos::test
