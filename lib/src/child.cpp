#include "mandos/child.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "mandos/fd.hpp"

extern char** environ;

namespace mandos {
namespace {

// Everything the child needs, prepared before fork() so that the child only
// makes async-signal-safe calls.
struct PreparedExec {
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  bool inherit_env = true;
};

PreparedExec prepare(const SpawnOptions& options) {
  PreparedExec prepared;
  prepared.argv_storage = options.argv;
  for (auto& arg : prepared.argv_storage) prepared.argv.push_back(arg.data());
  prepared.argv.push_back(nullptr);
  if (options.environment) {
    prepared.inherit_env = false;
    prepared.env_storage = *options.environment;
    for (auto& var : prepared.env_storage) prepared.envp.push_back(var.data());
    prepared.envp.push_back(nullptr);
  }
  return prepared;
}

// Moves fd to target in the child; -1 means /dev/null, kInherit leaves it.
bool install_fd(int fd, int target) {
  if (fd == SpawnOptions::kInherit) return true;
  if (fd == SpawnOptions::kDevNull) {
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd < 0) return false;
    if (null_fd != target) {
      if (::dup2(null_fd, target) < 0) return false;
      ::close(null_fd);
    }
    return true;
  }
  if (fd == target) {
    int flags = ::fcntl(fd, F_GETFD);
    return flags >= 0 && ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == 0;
  }
  return ::dup2(fd, target) >= 0;
}

[[noreturn]] void child_fail(int report_fd, int error) {
  ssize_t ignored = ::write(report_fd, &error, sizeof error);
  (void)ignored;
  ::_exit(127);
}

[[noreturn]] void run_child(const SpawnOptions& options, PreparedExec& prepared, int report_fd) {
  // Signal state is inherited across exec: start the child clean.
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  if (options.new_process_group && ::setpgid(0, 0) != 0) child_fail(report_fd, errno);

  // Lift caller fds above 2 first so installing one cannot clobber another.
  int fds[3] = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
  for (int& fd : fds) {
    if (fd >= 0 && fd <= 2) {
      fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
      if (fd < 0) child_fail(report_fd, errno);
    }
  }
  for (int target = 0; target < 3; ++target) {
    if (!install_fd(fds[target], target)) child_fail(report_fd, errno);
  }
  if (options.run_as) {
    gid_t gid = options.run_as->gid;
    if (::geteuid() == 0 && ::setgroups(1, &gid) != 0) child_fail(report_fd, errno);
    if (::setresgid(gid, gid, gid) != 0) child_fail(report_fd, errno);
    uid_t uid = options.run_as->uid;
    if (::setresuid(uid, uid, uid) != 0) child_fail(report_fd, errno);
  }
  if (!options.working_directory.empty() && ::chdir(options.working_directory.c_str()) != 0) {
    child_fail(report_fd, errno);
  }
  // Nothing but stdio crosses exec (the report pipe closes on exec).
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  char** envp = prepared.inherit_env ? environ : prepared.envp.data();
  ::execve(prepared.argv[0], prepared.argv.data(), envp);
  child_fail(report_fd, errno);
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    signal(SIGKILL);
    (void)wait();
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), own_group_(other.own_group_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) {
      signal(SIGKILL);
      (void)wait();
    }
    pid_ = std::exchange(other.pid_, -1);
    own_group_ = other.own_group_;
  }
  return *this;
}

void ChildProcess::signal(int sig) const {
  if (pid_ <= 0) return;
  if (own_group_ && ::kill(-pid_, sig) == 0) return;
  ::kill(pid_, sig);
}

Result<int> ChildProcess::wait() {
  if (pid_ <= 0) return fail("no child process to wait for");
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      int saved = errno;
      pid_ = -1;
      return fail(std::string("waitpid: ") + std::strerror(saved), saved);
    }
  }
  pid_ = -1;
  return status;
}

pid_t ChildProcess::release() { return std::exchange(pid_, -1); }

Result<ChildProcess> spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return fail("spawn: empty argument list");
  PreparedExec prepared = prepare(options);
  auto report = make_pipe();
  if (!report) return report.error();

  pid_t pid = ::fork();
  if (pid < 0) return fail(std::string("fork: ") + std::strerror(errno), errno);
  if (pid == 0) {
    report->read.reset();
    run_child(options, prepared, report->write.get());
  }
  report->write.reset();
  // Also set the group from the parent so a kill right after spawn reaches it.
  if (options.new_process_group) ::setpgid(pid, pid);
  ChildProcess child(pid, options.new_process_group);

  int child_errno = 0;
  ssize_t got;
  do {
    got = ::read(report->read.get(), &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    (void)child.wait();
    return fail("cannot execute " + options.argv[0] + ": " + std::strerror(child_errno),
                child_errno);
  }
  return child;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return std::string("killed by signal ") +
           (name ? std::string("SIG") + name : std::to_string(WTERMSIG(status)));
  }
  return "stopped or unknown status " + std::to_string(status);
}

}  // namespace mandos
