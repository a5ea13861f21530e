#include "runner_test_helpers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace mandos::test {

namespace {

using Clock = std::chrono::steady_clock;

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

// The fields after the command name in /proc/PID/stat ("S 123 ...").
std::optional<std::string> stat_tail(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return std::nullopt;
  return text.substr(paren + 2);
}

}  // namespace

std::map<std::string, std::string> options_in_help(const std::string& help) {
  // argp starts each option's line with "  -E, --env-for" or
  // "      --debug"; wrapped descriptions are indented further.
  static const std::regex kEntry(R"(^ {2}(?:(-[^ ,]), | {4})(--[a-z0-9][a-z0-9-]*))");
  std::map<std::string, std::string> options;
  std::istringstream lines(help);
  std::string line;
  std::smatch match;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, match, kEntry)) options[match[2].str()] = match[1].str();
  }
  return options;
}

std::optional<char> process_state(pid_t pid) {
  auto tail = stat_tail(pid);
  if (!tail) return std::nullopt;
  return (*tail)[0];
}

pid_t parent_of(pid_t pid) {
  auto tail = stat_tail(pid);
  if (!tail) return 0;
  std::istringstream fields(*tail);
  char state;
  pid_t parent = 0;
  fields >> state >> parent;
  return parent;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> result;
  DIR* dir = ::opendir("/proc");
  require(dir != nullptr, "opendir /proc");
  while (const dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    const long candidate = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || candidate <= 0) continue;
    if (parent_of(static_cast<pid_t>(candidate)) == pid) {
      result.push_back(static_cast<pid_t>(candidate));
    }
  }
  ::closedir(dir);
  return result;
}

std::vector<pid_t> zombie_children_of(pid_t pid) {
  std::vector<pid_t> result;
  for (pid_t child : children_of(pid)) {
    if (process_state(child) == 'Z') result.push_back(child);
  }
  return result;
}

bool process_gone(pid_t pid) {
  const auto state = process_state(pid);
  if (!state) return true;
  if (*state != 'Z') return false;
  if (parent_of(pid) == ::getpid()) {
    int status;
    ::waitpid(pid, &status, WNOHANG);
  }
  return true;
}

pid_t read_pid_file(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid)) return 0;
  return static_cast<pid_t>(pid);
}

void become_subreaper() { require(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER"); }

// ---- PtyChild ----------------------------------------------------------------

PtyChild::PtyChild(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int master = -1, slave = -1;
  require(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0, "openpty");
  master_.reset(master);
  slave_.reset(slave);
  set_cloexec(master, true);
  set_cloexec(slave, true);
  auto out = make_pipe();
  require(out.ok(), "pipe");
  std::vector<std::string> args = argv, vars = env;
  std::vector<char*> argp, envp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  pid_ = ::fork();
  require(pid_ >= 0, "fork");
  if (pid_ == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::setsid();
    ::ioctl(slave, TIOCSCTTY, 0);
    ::dup2(slave, STDIN_FILENO);
    ::dup2(slave, STDERR_FILENO);
    ::dup2(out->write.get(), STDOUT_FILENO);
    ::execve(argp[0], argp.data(), envp.data());
    ::_exit(127);
  }
  stdout_ = std::move(out->read);
}

PtyChild::~PtyChild() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
}

bool PtyChild::read_until(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (terminal_.find(text) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{master_.get(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[1024];
    const ssize_t got = ::read(master_.get(), buffer, sizeof buffer);
    if (got <= 0) return false;  // EIO: the child closed the terminal
    for (ssize_t i = 0; i < got; ++i) {
      if (buffer[i] != '\r') terminal_.push_back(buffer[i]);
    }
  }
  return true;
}

void PtyChild::type(const std::string& bytes) {
  require(::write(master_.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()),
          "write to pty");
}

bool PtyChild::echo_enabled() const {
  termios attributes{};
  require(::tcgetattr(slave_.get(), &attributes) == 0, "tcgetattr");
  return (attributes.c_lflag & ECHO) != 0;
}

RunResult PtyChild::finish(std::chrono::milliseconds timeout) {
  RunResult result;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd fd{stdout_.get(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[1024];
    const ssize_t got = ::read(stdout_.get(), buffer, sizeof buffer);
    if (got <= 0) break;
    result.out.append(buffer, static_cast<size_t>(got));
  }
  if (result.timed_out) ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  result.wait_status = status;
  result.exited = WIFEXITED(status);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  // Whatever else the child printed on the terminal.
  read_until("\x01never\x01", std::chrono::milliseconds(50));
  return result;
}

// ---- Mount namespaces --------------------------------------------------------

PrivateMountNamespace::PrivateMountNamespace() {
  if (::geteuid() != 0) {
    reason_ = "needs root for a private mount namespace";
    return;
  }
  original_.reset(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
  if (!original_) {
    reason_ = std::string("open /proc/self/ns/mnt: ") + std::strerror(errno);
    return;
  }
  if (::unshare(CLONE_NEWNS) != 0) {
    reason_ = std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
    return;
  }
  ok_ = true;
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    reason_ = std::string("making / private: ") + std::strerror(errno);
    ok_ = false;
  }
}

PrivateMountNamespace::~PrivateMountNamespace() {
  // Leaving drops this namespace (and its mounts) once no process uses it.
  if (original_) ::setns(original_.get(), CLONE_NEWNS);
}

void overlay(const std::string& dir, const std::string& scratch) {
  static int counter = 0;
  const std::string base = scratch + "/overlay" + std::to_string(++counter);
  const std::string upper = base + "/upper", work = base + "/work";
  require(::mkdir(base.c_str(), 0755) == 0 && ::mkdir(upper.c_str(), 0755) == 0 &&
              ::mkdir(work.c_str(), 0755) == 0,
          "mkdir " + base);
  const std::string data = "lowerdir=" + dir + ",upperdir=" + upper + ",workdir=" + work;
  struct stat before {}, after {};
  require(::stat(dir.c_str(), &before) == 0, "stat " + dir);
  require(::mount("overlay", dir.c_str(), "overlay", 0, data.c_str()) == 0, "mount overlay on " + dir);
  // Callers delete files under dir: make sure they hit the overlay.
  require(::stat(dir.c_str(), &after) == 0, "stat " + dir);
  if (before.st_dev == after.st_dev) throw std::runtime_error("overlay on " + dir + " not in place");
}

void mount_tmpfs(const std::string& dir) {
  require(::mount("tmpfs", dir.c_str(), "tmpfs", 0, "mode=0755") == 0, "mount tmpfs on " + dir);
}

}  // namespace mandos::test
