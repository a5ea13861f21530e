#include "agent.hpp"

#include <dirent.h>
#include <error.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

extern char** environ;

namespace mandos::agent {

// ---- Answering -------------------------------------------------------------

namespace {

bool is_retryable_send_error(int err) {
  switch (err) {
    case EINTR:
    case ENOBUFS:
    case ENOMEM:
    case EADDRINUSE:
    case ECONNREFUSED:
    case ECONNRESET:
    case ENOENT:
    case ETOOMANYREFS:
    case EAGAIN:
      return true;
    default:
      return false;
  }
}

}  // namespace

SendResult send_password(const Question& question, std::string_view password, bool report) {
  UniqueFd socket(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket) {
    if (report) error(0, errno, "Failed to create socket");
    return SendResult::Retry;
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, question.socket_path.data(), question.socket_path.size());
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (report) {
      error(0, errno, "Failed to connect socket to \"%s\"", question.socket_path.c_str());
    }
    return SendResult::Retry;
  }
  // The datagram holds the password too, so it lives in locked memory.
  LockedBuffer datagram(password.size() + 2);
  if (!datagram.append("+") || !datagram.append(password) ||
      !datagram.append(std::string_view("", 1))) {
    if (report) error(0, errno, "Failed to allocate memory for the password");
    return SendResult::Retry;
  }
  const auto bytes = datagram.view();
  const ssize_t sent = ::send(socket.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (sent == static_cast<ssize_t>(bytes.size())) return SendResult::Sent;
  const int err = sent < 0 ? errno : EMSGSIZE;
  if (is_retryable_send_error(err)) {
    if (report) error(0, err, "Failed to send password to \"%s\"", question.socket_path.c_str());
    return SendResult::Retry;
  }
  error(0, err, "Failed to send password to \"%s\"; giving up",
        question.socket_path.c_str());
  return SendResult::GiveUp;
}

// ---- Set-up ----------------------------------------------------------------

Agent::Agent(const AgentOptions& options) : options_(options) {}

Agent::~Agent() {
  stop_client();
  if (mask_changed_) ::sigprocmask(SIG_SETMASK, &original_mask_, nullptr);
}

int Agent::setup() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT}) sigaddset(&mask, sig);
  if (::sigprocmask(SIG_BLOCK, &mask, &original_mask_) != 0) {
    error(0, errno, "sigprocmask");
    return EX_OSERR;
  }
  mask_changed_ = true;
  signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) {
    error(0, errno, "signalfd");
    return EX_OSERR;
  }
  if (!start_client()) return EX_OSERR;
  if (int status = watch_directory(); status != 0) return status;
  return add_existing_questions(true);
}

bool Agent::start_client() {
  auto pipe = make_pipe();
  if (!pipe) {
    error(0, pipe.error().code, "Failed to create pipe");
    return false;
  }
  if (auto nonblocking = set_nonblocking(pipe->read.get(), true); !nonblocking) {
    error(0, nonblocking.error().code, "Failed to make pipe non-blocking");
    return false;
  }
  // Everything the child needs is prepared before fork().
  std::vector<std::string> env_storage;
  const std::string helper = "MANDOSPLUGINHELPERDIR=" + options_.helper_directory;
  for (char** var = environ; *var != nullptr; ++var) {
    if (std::strncmp(*var, "MANDOSPLUGINHELPERDIR=", 22) != 0) env_storage.emplace_back(*var);
  }
  env_storage.push_back(helper);
  std::vector<std::string> argv_storage = options_.client_argv;
  std::vector<char*> argv, envp;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  for (auto& var : env_storage) envp.push_back(var.data());
  envp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    error(0, errno, "Failed to fork");
    return false;
  }
  if (pid == 0) {
    ::sigprocmask(SIG_SETMASK, &original_mask_, nullptr);
    if (::dup2(pipe->write.get(), STDOUT_FILENO) < 0) ::_exit(EX_OSERR);
    // Real ids unprivileged, effective and saved root: as if the client had
    // been started set-uid root, the way plugin-runner starts it.
    if (::setresgid(options_.group, 0, 0) != 0 || ::setresuid(options_.user, 0, 0) != 0) {
      error(0, errno, "Failed to change user/group of Mandos client");
      ::_exit(EX_OSERR);
    }
    ::execve(argv[0], argv.data(), envp.data());
    error(0, errno, "Failed to run \"%s\"", argv[0]);
    ::_exit(EX_OSERR);
  }
  client_pid_ = pid;
  client_reaped_ = false;
  client_out_ = std::move(pipe->read);
  return true;
}

int Agent::watch_directory() {
  inotify_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!inotify_) {
    error(0, errno, "Failed to create inotify instance");
    return EX_OSERR;
  }
  const uint32_t events = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR;
  if (::inotify_add_watch(inotify_.get(), options_.agent_directory.c_str(), events) < 0) {
    const int err = errno;
    error(0, err, "Failed to create inotify watch on %s", options_.agent_directory.c_str());
    switch (err) {
      case EACCES:
      case ENAMETOOLONG:
      case ENOENT:
      case ENOTDIR:
        return EX_OSFILE;
      default:
        return EX_OSERR;
    }
  }
  return 0;
}

int Agent::add_existing_questions(bool require_some) {
  DIR* dir = ::opendir(options_.agent_directory.c_str());
  if (dir == nullptr) {
    error(0, errno, "Failed to open %s", options_.agent_directory.c_str());
    return EX_OSFILE;
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    if (is_question_name(entry->d_name)) names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  if (names.empty() && require_some) {
    error(0, 0, "There are no question files in %s", options_.agent_directory.c_str());
    return EXIT_FAILURE;
  }
  for (const auto& name : names) consider_file(name);
  return 0;
}

// ---- Questions -------------------------------------------------------------

void Agent::consider_file(const std::string& name) {
  const std::string path = options_.agent_directory + "/" + name;
  pending_.erase(name);  // a rewritten file replaces the earlier question
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  auto content = fd ? read_all(fd.get(), kMaxQuestionFileBytes)
                    : Result<std::string>(fail(std::strerror(errno), errno));
  if (!content) {
    error(0, 0, "Failed to load question data from file \"%s\": %s", path.c_str(),
          content.error().message.c_str());
    return;
  }
  auto question = parse_question(path, *content);
  if (!question) {
    error(0, 0, "%s", question.error().message.c_str());
    return;
  }
  if (question->pid <= 0 || (::kill(question->pid, 0) != 0 && errno == ESRCH)) {
    error(0, 0, "PID %d in question file \"%s\" is bad or does not exist",
          static_cast<int>(question->pid), path.c_str());
    return;
  }
  if (question->not_after != 0 && monotonic_now_us() >= question->not_after) return;
  pending_[name] = Pending{std::move(*question)};
}

void Agent::handle_inotify() {
  alignas(inotify_event) char buffer[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
  for (;;) {
    const ssize_t got = ::read(inotify_.get(), buffer, sizeof buffer);
    if (got <= 0) return;  // EAGAIN: all read
    for (size_t offset = 0; offset < static_cast<size_t>(got);) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += sizeof(inotify_event) + event->len;
      if (event->mask & IN_Q_OVERFLOW) {
        add_existing_questions(false);  // events were lost: look again
        continue;
      }
      if (event->len == 0 || !is_question_name(event->name)) continue;
      if (event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) consider_file(event->name);
      if (event->mask & (IN_MOVED_FROM | IN_DELETE)) pending_.erase(event->name);
    }
  }
}

void Agent::expire(uint64_t now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    const auto& question = it->second.question;
    if (question.not_after != 0 && now >= question.not_after) {
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

void Agent::answer(uint64_t now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& pending = it->second;
    if (pending.next_attempt_us > now) {
      ++it;
      continue;
    }
    switch (send_password(pending.question, password_.view(), !pending.reported)) {
      case SendResult::Sent:
      case SendResult::GiveUp:
        it = pending_.erase(it);
        continue;
      case SendResult::Retry:
        break;
    }
    // Retrying for a process that is gone would never end.
    if (::kill(pending.question.pid, 0) != 0 && errno == ESRCH) {
      it = pending_.erase(it);
      continue;
    }
    pending.reported = true;
    pending.next_attempt_us = now + kRetryIntervalUs;
    ++it;
  }
}

// ---- The client ------------------------------------------------------------

bool Agent::read_client_output() {
  for (;;) {
    auto room = password_.reserve(65536);
    if (!room) {
      error(0, room.error().code, "Failed to allocate memory for the password");
      return false;
    }
    char probe;
    auto [space, size] = *room;
    if (size == 0) {  // at the limit: any further byte is too much
      space = &probe;
      size = 1;
    }
    const ssize_t got = ::read(client_out_.get(), space, size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return true;
    if (got <= 0) {
      client_eof_ = true;
      client_out_.reset();
      return true;
    }
    if (space == &probe) {
      error(0, 0, "Mandos client printed more than %zu bytes", kMaxPasswordBytes);
      return false;
    }
    password_.commit(static_cast<size_t>(got));
  }
}

int Agent::handle_signals() {
  int terminations = 0;
  signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGCHLD) continue;
    ++terminations;
    if (termination_signal_ == 0) termination_signal_ = static_cast<int>(info.ssi_signo);
  }
  // Only the client is our child; reap whatever has exited.
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    if (pid == client_pid_) {
      client_reaped_ = true;
      client_status_ = status;
    }
  }
  return terminations;
}

bool Agent::password_ready() const {
  return client_reaped_ && client_eof_ && WIFEXITED(client_status_) &&
         WEXITSTATUS(client_status_) == 0;
}

void Agent::stop_client() {
  if (client_reaped_) return;
  ::kill(client_pid_, SIGTERM);
  while (!client_reaped_) {
    pollfd fd{signal_fd_.get(), POLLIN, 0};
    if (::poll(&fd, 1, -1) < 0 && errno != EINTR) {
      error(0, errno, "poll");
      int status;
      while (::waitpid(client_pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    // Asked (again) to stop: do not wait for a client that ignores SIGTERM.
    if (handle_signals() > 0) ::kill(client_pid_, SIGKILL);
  }
  client_reaped_ = true;
}

// ---- Main loop -------------------------------------------------------------

int Agent::poll_timeout_ms(uint64_t now) const {
  uint64_t earliest = UINT64_MAX;
  for (const auto& [name, pending] : pending_) {
    if (pending.question.not_after != 0) earliest = std::min(earliest, pending.question.not_after);
    if (password_ready()) earliest = std::min(earliest, pending.next_attempt_us);
  }
  if (earliest == UINT64_MAX) return -1;
  if (earliest <= now) return 0;
  const uint64_t ms = (earliest - now + 999) / 1000;
  return ms > 60000 ? 60000 : static_cast<int>(ms);
}

int Agent::run() {
  if (int status = setup(); status != 0) return status;
  for (;;) {
    const uint64_t now = monotonic_now_us();
    expire(now);
    if (password_ready()) answer(now);
    if (pending_.empty()) return EXIT_SUCCESS;

    std::vector<pollfd> fds{{signal_fd_.get(), POLLIN, 0}, {inotify_.get(), POLLIN, 0}};
    if (client_out_) fds.push_back(pollfd{client_out_.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), poll_timeout_ms(now)) < 0) {
      if (errno == EINTR) continue;
      error(0, errno, "Failure while waiting for events");
      return EX_OSERR;
    }
    if (fds[0].revents != 0) handle_signals();
    if (termination_signal_ != 0) {
      stop_client();
      std::fflush(stderr);
      ::signal(termination_signal_, SIG_DFL);
      ::sigprocmask(SIG_SETMASK, &original_mask_, nullptr);
      ::raise(termination_signal_);
      return 128 + termination_signal_;
    }
    if (fds[1].revents != 0) handle_inotify();
    if (fds.size() > 2 && fds[2].revents != 0 && !read_client_output()) return EXIT_FAILURE;
    if (client_reaped_ && !(WIFEXITED(client_status_) && WEXITSTATUS(client_status_) == 0)) {
      error(0, 0, "Mandos client failed or was killed");
      return EXIT_FAILURE;
    }
  }
}

}  // namespace mandos::agent
