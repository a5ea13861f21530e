#include "worker_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

namespace mandos::test::worker {
namespace {

using Clock = std::chrono::steady_clock;

Error errno_error(const std::string& what) {
  int saved = errno;
  return fail(what + ": " + std::strerror(saved), saved);
}

[[noreturn]] void child_fail(int report_fd) {
  int error = errno;
  ssize_t ignored = ::write(report_fd, &error, sizeof error);
  (void)ignored;
  ::_exit(127);
}

// Runs in the forked child: only async-signal-safe calls.
[[noreturn]] void exec_worker(char* const* argv, int channel_fd, int listen_fd, int stderr_fd,
                              const std::optional<UserIds>& run_as, int report_fd) {
  // Lift the inputs above 4 first so installing one cannot clobber another.
  int channel = ::fcntl(channel_fd, F_DUPFD_CLOEXEC, 10);
  int listener = ::fcntl(listen_fd, F_DUPFD_CLOEXEC, 10);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int err = stderr_fd >= 0 ? ::fcntl(stderr_fd, F_DUPFD_CLOEXEC, 10) : null_fd;
  if (channel < 0 || listener < 0 || null_fd < 0 || err < 0) child_fail(report_fd);
  if (::dup2(null_fd, 0) < 0 || ::dup2(null_fd, 1) < 0 || ::dup2(err, 2) < 0 ||
      ::dup2(channel, 3) < 0 || ::dup2(listener, 4) < 0) {
    child_fail(report_fd);
  }
  if (run_as) {
    gid_t gid = run_as->gid;
    if (::geteuid() == 0 && ::setgroups(1, &gid) != 0) child_fail(report_fd);
    if (::setresgid(gid, gid, gid) != 0) child_fail(report_fd);
    if (::setresuid(run_as->uid, run_as->uid, run_as->uid) != 0) child_fail(report_fd);
  }
  ::execv(argv[0], argv);
  child_fail(report_fd);
}

}  // namespace

Result<Listener> listen_on_loopback(const std::string& address, int port) {
  Listener listener;
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool ipv6 = address.find(':') != std::string::npos;
  if (ipv6) {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET6, address.c_str(), &in6.sin6_addr) != 1) return fail("bad " + address);
    length = sizeof in6;
  } else {
    auto& in = reinterpret_cast<sockaddr_in&>(storage);
    in.sin_family = AF_INET;
    in.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, address.c_str(), &in.sin_addr) != 1) return fail("bad " + address);
    length = sizeof in;
  }
  listener.fd = UniqueFd(::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.fd) return errno_error("socket");
  int one = 1, zero = 0;
  ::setsockopt(listener.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ipv6) ::setsockopt(listener.fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (::bind(listener.fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    return errno_error("bind " + address);
  }
  if (::listen(listener.fd.get(), SOMAXCONN) != 0) return errno_error("listen");
  if (::getsockname(listener.fd.get(), reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return errno_error("getsockname");
  }
  listener.port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6&>(storage).sin6_port
                             : reinterpret_cast<sockaddr_in&>(storage).sin_port);
  constexpr std::string_view kMapped = "::ffff:";
  listener.host = address.rfind(kMapped, 0) == 0 ? address.substr(kMapped.size()) : address;
  return listener;
}

std::optional<UserIds> unprivileged_identity() {
  if (::geteuid() != 0) return std::nullopt;
  return resolve_server_user();
}

Result<pid_t> spawn_worker(const std::string& binary, const std::vector<std::string>& args,
                           int channel_fd, int listen_fd, int stderr_fd,
                           std::optional<UserIds> run_as) {
  std::vector<std::string> storage{binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  auto report = make_pipe();
  if (!report) return report.error();

  pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork");
  if (pid == 0) {
    exec_worker(argv.data(), channel_fd, listen_fd, stderr_fd, run_as, report->write.get());
  }
  report->write.reset();
  int error = 0;
  ssize_t got = ::read(report->read.get(), &error, sizeof error);
  if (got == sizeof error) {
    ::waitpid(pid, nullptr, 0);
    return fail("cannot start " + binary + ": " + std::strerror(error), error);
  }
  return pid;
}

Result<std::unique_ptr<WorkerProcess>> WorkerProcess::start(const Options& options,
                                                            int listen_fd) {
  auto channel = make_socketpair(SOCK_STREAM);
  if (!channel) return channel.error();
  UniqueFd err;
  if (!options.stderr_path.empty()) {
    err = UniqueFd(::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                          0644));
    if (!err) return errno_error("open " + options.stderr_path);
  }
  auto pid = spawn_worker(options.binary, options.args, channel->second.get(), listen_fd,
                          err ? err.get() : -1,
                          options.drop_root ? unprivileged_identity() : std::nullopt);
  if (!pid) return pid.error();
  return std::unique_ptr<WorkerProcess>(new WorkerProcess(*pid, std::move(channel->first)));
}

WorkerProcess::~WorkerProcess() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

Status WorkerProcess::send(const server::ipc::MainMessage& message) {
  SecretBytes frame = server::ipc::encode(message);
  return send_raw(frame.view());
}

Status WorkerProcess::send_raw(std::string_view bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(channel_.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("send to worker");
    sent += static_cast<size_t>(n);
  }
  return {};
}

Result<server::ipc::WorkerMessage> WorkerProcess::receive(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto message = decoder_.next();
    if (!message) return message.error();
    if (*message) return std::move(**message);
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return fail("no message from the worker within the time limit");
    pollfd pfd{channel_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
    std::array<char, 65536> buffer{};
    ssize_t n = ::recv(channel_.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("recv from worker");
    if (n == 0) return fail("the worker closed the channel");
    decoder_.feed(buffer.data(), static_cast<size_t>(n));
  }
}

bool WorkerProcess::channel_readable() {
  pollfd pfd{channel_.get(), POLLIN, 0};
  return ::poll(&pfd, 1, 0) > 0;
}

std::optional<int> WorkerProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!status_) {
    if (running()) {
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return status_;
}

bool WorkerProcess::running() {
  if (status_) return false;
  int status = 0;
  pid_t ret = ::waitpid(pid_, &status, WNOHANG);
  if (ret == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

}  // namespace mandos::test::worker
