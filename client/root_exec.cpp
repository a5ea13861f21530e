#include "root_exec.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mandos/fd.hpp"

namespace mandos::client {
namespace {

// Only async-signal-safe calls between fork() and execve().
[[noreturn]] void exec_child(const RootExec& exec, char* const* argv, char* const* envp) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  if (::geteuid() == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(0, 0, 0) != 0 ||
        ::setresuid(0, 0, 0) != 0) {
      ::_exit(127);
    }
  }
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    ::_exit(127);
  }
  if (null_fd > STDERR_FILENO) ::close(null_fd);
  ::execve(exec.path.c_str(), argv, envp);
  ::_exit(127);
}

Result<int> wait_child(pid_t pid, const std::optional<std::chrono::milliseconds>& timeout) {
  if (timeout) {
    // A pidfd becomes readable when the child exits; without one (old
    // kernel) fall back to an unbounded wait.
    // glibc 2.36 declares pidfd_open without C linkage; use the syscall.
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd) {
      pollfd pfd{pidfd.get(), POLLIN, 0};
      int ret;
      auto deadline = std::chrono::steady_clock::now() + *timeout;
      do {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        ret = ::poll(&pfd, 1, static_cast<int>(std::max<long long>(0, left.count())));
      } while (ret < 0 && errno == EINTR);
      if (ret == 0) ::kill(pid, SIGKILL);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail(std::string("waitpid: ") + std::strerror(errno), errno);
  }
  return status;
}

}  // namespace

Result<int> run_as_root(const RootExec& exec) {
  if (exec.argv.empty()) return fail("no argument list for " + exec.path);
  // Prepared before fork(): the child may not allocate.
  std::vector<std::string> argv_storage = exec.argv;
  std::vector<std::string> env_storage = exec.env;
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& var : env_storage) envp.push_back(var.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return fail(std::string("fork: ") + std::strerror(errno), errno);
  if (pid == 0) exec_child(exec, argv.data(), envp.data());
  return wait_child(pid, exec.timeout);
}

}  // namespace mandos::client
