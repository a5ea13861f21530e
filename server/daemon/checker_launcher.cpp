#include "daemon/checker_launcher.hpp"

#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "mandos/log.hpp"

extern char** environ;

namespace mandos::server {
namespace {

// What the child does between vfork() and exec, with async-signal-safe
// calls only (it runs on the spawning thread's stack and memory). Never
// returns: exec, or _exit(127) as a shell that cannot be run.
[[noreturn]] void exec_shell(char* const argv[], const CheckerStdio& stdio,
                             volatile int* exec_errno) {
  // Own process group, so stopping a checker reaches everything it started.
  ::setpgid(0, 0);
  // Dispositions survive exec: the server ignores SIGPIPE. The child has
  // its own handler table (no CLONE_SIGHAND), so this leaves the server's
  // alone. Signals stay blocked (the spawning thread blocks all) until
  // every handler is the default.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &default_action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::chdir("/") != 0) ::_exit(127);
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) {
    *exec_errno = errno;
    ::_exit(127);
  }
  if (stdio.stdin_dev_null) ::dup2(null_fd, STDIN_FILENO);
  if (stdio.output_dev_null) {
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
  }
  // Every descriptor is close-on-exec already; this also covers a library's.
  ::close_range(STDERR_FILENO + 1, ~0U, 0);
  ::execve(argv[0], argv, environ);
  *exec_errno = errno;
  ::_exit(127);
}

// vfork + exec of `/bin/sh -c command`. vfork, not posix_spawn: glibc's
// posix_spawn maps a fresh stack for every child and unmaps it after (each
// unmap flushes the TLB on every CPU running one of the server's threads);
// vfork borrows this thread's stack. With 10,000 clients (83 checkers a
// second) that cut this thread's CPU by about a third.
struct SpawnResult {
  pid_t pid;  // 0 if there is no child
  int error;  // errno of vfork or of exec in the child, 0 on success
};

SpawnResult spawn_shell(std::string& command, const CheckerStdio& stdio) {
  std::string shell = "/bin/sh", dash_c = "-c";
  char* argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};
  volatile int exec_errno = 0;
  const pid_t pid = ::vfork();
  if (pid == 0) exec_shell(argv, stdio, &exec_errno);
  if (pid < 0) return SpawnResult{0, errno};
  // The child has exec'd or exited by now; an exit is reaped as usual.
  return SpawnResult{pid, exec_errno};
}

// Spawned checkers the main loop hears of at once at most, and how long a
// finished batch waits for more (or for its children to exit): a signal
// for a checker waits until the main loop has its pid.
constexpr size_t kMaxBatch = 256;
constexpr std::chrono::milliseconds kSettle{20};
// The pause between two checkers (at most ~300 a second), and the queue
// length above which there is none.
constexpr std::chrono::milliseconds kPace{3};
constexpr size_t kPacedQueue = 512;

void signal_group(pid_t pid, int sig) {
  if (::kill(-pid, sig) != 0) ::kill(pid, sig);
}

}  // namespace

SpawningCheckerLauncher::SpawningCheckerLauncher(CheckerStdio stdio)
    : stdio_(stdio), wakeup_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (wakeup_) {
    wakeup_source_ = g_unix_fd_add(wakeup_.get(), G_IO_IN, &SpawningCheckerLauncher::on_spawned,
                                   this);
  }
  thread_ = std::thread([this] { spawn_loop(); });
}

SpawningCheckerLauncher::~SpawningCheckerLauncher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    requests_.clear();
  }
  requested_.notify_all();
  thread_.join();
  // Checkers the thread started but the loop never heard of: a signal meant
  // for them (shutdown sends SIGTERM to every running checker) still goes out.
  for (const Spawned& s : spawned_) {
    auto found = checkers_.find(s.id);
    if (found != checkers_.end() && s.error == 0 && found->second->pending_signal != 0) {
      signal_group(s.pid, found->second->pending_signal);
    }
  }
  for (auto& [id, checker] : checkers_) {
    if (checker->watch != 0) g_source_remove(checker->watch);
  }
  if (wakeup_source_ != 0) g_source_remove(wakeup_source_);
}

Result<int> SpawningCheckerLauncher::start(const std::string& command, Done done) {
  if (!wakeup_) return fail(std::string("eventfd: ") + std::strerror(ENOMEM), ENOMEM);
  const int id = next_id_++;
  checkers_.emplace(id, std::make_unique<Checker>(Checker{this, id, 0, 0, 0, std::move(done)}));
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(Request{id, command});
  }
  requested_.notify_one();
  return id;
}

void SpawningCheckerLauncher::signal(int id, int sig) {
  auto found = checkers_.find(id);
  if (found == checkers_.end()) return;  // reaped: its group id may be reused
  Checker& checker = *found->second;
  if (checker.pid == 0) {
    checker.pending_signal = sig;
    return;
  }
  signal_group(checker.pid, sig);
}

void SpawningCheckerLauncher::spawn_loop() {
  // No signal handler may run here, nor in a child before it resets them.
  // Except SIGCHLD, which has none: a checker's exit signals this thread
  // (its parent), and were SIGCHLD blocked here the kernel would queue it
  // for the process instead of dropping it, interrupting the main loop's
  // poll() once per checker for nothing.
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGCHLD);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::unique_lock lock(mutex_);
  const auto more_to_do = [this] { return stopping_ || !requests_.empty(); };
  const auto is_stopping = [this] { return stopping_; };
  for (;;) {
    requested_.wait(lock, more_to_do);
    if (stopping_) return;
    Request request = std::move(requests_.front());
    requests_.pop_front();
    lock.unlock();
    const SpawnResult result = spawn_shell(request.command, stdio_);
    lock.lock();
    spawned_.push_back(Spawned{request.id, result.pid, result.error});
    if (spawned_.size() >= kMaxBatch) notify_main_loop();
    if (!requests_.empty()) {
      // Coarse timers queue a second's checkers at once. Started back to
      // back, each vfork() competes with the previous checker's exec and
      // finds no freshly freed kernel task to reuse: twice the CPU or more
      // per checker. A short pause lets the previous one finish first; a
      // long queue (more checkers than the pace allows) is not paced.
      if (requests_.size() <= kPacedQueue) requested_.wait_for(lock, kPace, is_stopping);
      continue;
    }
    // Let the last checker finish too (`true` takes a millisecond or two)
    // before the main loop hears of the batch: it then takes every pid and
    // reaps the children that are done in one wake-up, not one per exit.
    if (requested_.wait_for(lock, kSettle, more_to_do)) continue;
    notify_main_loop();
  }
}

void SpawningCheckerLauncher::notify_main_loop() {
  if (spawned_.empty()) return;
  const std::uint64_t one = 1;
  ssize_t ignored = ::write(wakeup_.get(), &one, sizeof one);  // cannot fill up
  (void)ignored;
}

gboolean SpawningCheckerLauncher::on_spawned(gint fd, GIOCondition, gpointer data) {
  std::uint64_t count = 0;
  ssize_t ignored = ::read(fd, &count, sizeof count);
  (void)ignored;
  static_cast<SpawningCheckerLauncher*>(data)->take_spawned();
  return G_SOURCE_CONTINUE;
}

void SpawningCheckerLauncher::take_spawned() {
  std::vector<Spawned> spawned;
  {
    std::lock_guard lock(mutex_);
    spawned.swap(spawned_);
  }
  for (const Spawned& s : spawned) {
    auto found = checkers_.find(s.id);
    if (found == checkers_.end()) continue;
    Checker& checker = *found->second;
    if (s.error != 0) log::error("Cannot start a checker: /bin/sh: ", std::strerror(s.error));
    if (s.pid == 0) {  // no child at all
      std::unique_ptr<Checker> self = std::move(found->second);
      checkers_.erase(found);
      if (self->done) self->done(W_EXITCODE(127, 0));
      continue;
    }
    // Also a child whose exec failed: it exits 127 and is reaped as usual.
    checker.pid = s.pid;
    checker.watch = g_child_watch_add(s.pid, &SpawningCheckerLauncher::reaped, &checker);
    if (checker.pending_signal != 0) signal_group(s.pid, checker.pending_signal);
  }
}

void SpawningCheckerLauncher::reaped(GPid pid, gint status, gpointer data) {
  auto* checker = static_cast<Checker*>(data);
  SpawningCheckerLauncher* owner = checker->owner;
  auto found = owner->checkers_.find(checker->id);
  std::unique_ptr<Checker> self = std::move(found->second);
  owner->checkers_.erase(found);
  g_spawn_close_pid(pid);
  try {
    if (self->done) self->done(status);
  } catch (const std::exception& e) {
    log::error("Internal error after checker exit: ", e.what());
  }
}

}  // namespace mandos::server
