#include "mandos/test/support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "mandos/fd.hpp"

extern char** environ;

namespace mandos::test {
namespace {

using Clock = std::chrono::steady_clock;

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

void fill_status(RunResult& result, int status) {
  result.wait_status = status;
  result.exited = WIFEXITED(status);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

SpawnOptions spawn_options(const std::vector<std::string>& argv, const RunOptions& options) {
  SpawnOptions spawn;
  spawn.argv = argv;
  if (options.environment) {
    spawn.environment = options.environment;
  } else if (!options.env_add.empty()) {
    spawn.environment = environment_with(options.env_add);
  }
  spawn.working_directory = options.working_directory;
  spawn.new_process_group = options.new_process_group;
  spawn.run_as = options.run_as;
  return spawn;
}

// Pumps stdin/stdout/stderr until both outputs close or the deadline passes.
bool pump(int in_fd, const std::string& input, int out_fd, int err_fd, std::string& out,
          std::string& err, Clock::time_point deadline) {
  size_t written = 0;
  UniqueFd in(in_fd);
  if (input.empty()) in.reset();
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in.get(), POLLOUT, 0}};
    if (!out_open) fds[0].fd = -1;
    if (!err_open) fds[1].fd = -1;
    if (::poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
    char buffer[65536];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        (i == 0 ? out : err).append(buffer, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        (i == 0 ? out_open : err_open) = false;
      }
    }
    if (in && fds[2].revents != 0) {
      ssize_t put = ::write(in.get(), input.data() + written, input.size() - written);
      if (put > 0) written += static_cast<size_t>(put);
      if (put < 0 || written == input.size()) in.reset();
    }
  }
  return true;
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + ".XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  check(::mkdtemp(name.data()) != nullptr, "mkdtemp " + pattern);
  path_ = name.data();
  check(::chmod(path_.c_str(), 0755) == 0, "chmod " + path_);
}

TempDir::~TempDir() { remove_tree(path_); }

void remove_tree(const std::string& path) {
  ::nftw(
      path.c_str(),
      [](const char* file, const struct stat*, int, struct FTW*) { return ::remove(file); }, 64,
      FTW_DEPTH | FTW_PHYS);
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  check(fd.valid(), "open " + path);
  check(write_all(fd.get(), content.data(), content.size()).ok(), "write " + path);
  check(::fchmod(fd.get(), mode) == 0, "chmod " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> environment_with(const std::vector<std::string>& additions) {
  std::vector<std::string> env;
  for (char** var = environ; *var != nullptr; ++var) {
    std::string entry(*var);
    std::string key = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& add : additions) overridden |= add.substr(0, add.find('=')) == key;
    if (!overridden) env.push_back(entry);
  }
  env.insert(env.end(), additions.begin(), additions.end());
  return env;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();
  check(in.ok() && out.ok() && err.ok(), "pipe");
  SpawnOptions spawn_opts = spawn_options(argv, options);
  spawn_opts.stdin_fd = in->read.get();
  spawn_opts.stdout_fd = out->write.get();
  spawn_opts.stderr_fd = err->write.get();
  auto child = spawn(spawn_opts);
  if (!child) throw std::runtime_error(child.error().message);
  in->read.reset();
  out->write.reset();
  err->write.reset();

  RunResult result;
  auto deadline = Clock::now() + options.timeout;
  // A broken stdin pipe must not kill the test.
  auto old_handler = ::signal(SIGPIPE, SIG_IGN);
  bool finished = pump(in->write.release(), options.input, out->read.get(), err->read.get(),
                       result.out, result.err, deadline);
  ::signal(SIGPIPE, old_handler);
  if (!finished) {
    result.timed_out = true;
    child->signal(SIGKILL);
  }
  auto status = child->wait();
  if (status) fill_status(result, *status);
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::string& log_dir, const RunOptions& options) {
  static int counter = 0;
  std::string stem = log_dir + "/bg" + std::to_string(++counter);
  out_path_ = stem + ".out";
  err_path_ = stem + ".err";
  UniqueFd out(::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  UniqueFd err(::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  check(out.valid() && err.valid(), "open log files in " + log_dir);
  SpawnOptions spawn_opts = spawn_options(argv, options);
  spawn_opts.stdout_fd = out.get();
  spawn_opts.stderr_fd = err.get();
  auto child = spawn(spawn_opts);
  if (!child) throw std::runtime_error(child.error().message);
  child_ = std::move(*child);
}

BackgroundProcess::~BackgroundProcess() {
  if (child_.running()) (void)stop(SIGKILL, 5s);
}

bool BackgroundProcess::running() {
  if (!child_.running()) return false;
  int status = 0;
  pid_t done = ::waitpid(child_.pid(), &status, WNOHANG);
  if (done == child_.pid()) {
    RunResult result;
    fill_status(result, status);
    result_ = result;
    child_.release();
    return false;
  }
  return true;
}

RunResult BackgroundProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (running()) {
    ::kill(child_.pid(), sig);
    if (!wait_until([&] { return !running(); }, timeout)) {
      child_.signal(SIGKILL);
      RunResult result;
      result.timed_out = true;
      auto status = child_.wait();
      if (status) fill_status(result, *status);
      result_ = result;
    }
  }
  RunResult result = result_.value_or(RunResult{});
  result.out = stdout_text();
  result.err = stderr_text();
  return result;
}

std::string BackgroundProcess::stdout_text() const { return read_file(out_path_); }
std::string BackgroundProcess::stderr_text() const { return read_file(err_path_); }

bool BackgroundProcess::wait_for_stderr(const std::string& text,
                                        std::chrono::milliseconds timeout) {
  return wait_until([&] { return stderr_text().find(text) != std::string::npos; }, timeout);
}

std::string build_path(const std::string& relative) {
#ifdef MANDOS_BUILD_DIR
  return std::string(MANDOS_BUILD_DIR) + "/" + relative;
#else
  return relative;
#endif
}

std::string source_path(const std::string& relative) {
#ifdef MANDOS_SOURCE_DIR
  return std::string(MANDOS_SOURCE_DIR) + "/" + relative;
#else
  return relative;
#endif
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(step);
  }
  return condition();
}

bool wait_for_tcp_port(const std::string& address, int port, std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        bool v6 = address.find(':') != std::string::npos;
        UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (v6) {
          sockaddr_in6 sa{};
          sa.sin6_family = AF_INET6;
          sa.sin6_port = htons(static_cast<uint16_t>(port));
          ::inet_pton(AF_INET6, address.c_str(), &sa.sin6_addr);
          return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
        }
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
        return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
      },
      timeout, 25ms);
}

int free_tcp_port() {
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_any;
  check(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0, "bind");
  socklen_t length = sizeof sa;
  check(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &length) == 0, "getsockname");
  return ntohs(sa.sin6_port);
}

}  // namespace mandos::test
