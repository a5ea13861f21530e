#include "daemon/checker_launcher.hpp"

#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "mandos/log.hpp"

extern char** environ;

namespace mandos::server {
namespace {

// posix_spawn's attribute and file-action objects, destroyed with the scope.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Records what the child does before exec; errors are ENOMEM/EINVAL only.
int prepare(SpawnSetup& setup, const CheckerStdio& stdio) {
  // Own process group, so stopping a checker reaches everything it started.
  // Signal state survives exec: the main process ignores SIGPIPE and the
  // spawning thread may block signals, so reset every disposition and mask.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  int rc = posix_spawnattr_setflags(
      &setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (rc == 0) rc = posix_spawnattr_setpgroup(&setup.attr, 0);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&setup.attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&setup.attr, &all);
  if (rc == 0) rc = posix_spawn_file_actions_addchdir_np(&setup.actions, "/");
  if (rc == 0 && stdio.stdin_dev_null) {
    rc = posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (rc == 0 && stdio.output_dev_null) {
    rc = posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, "/dev/null", O_WRONLY,
                                          0);
    if (rc == 0) {
      rc = posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
    }
  }
  // Every descriptor is close-on-exec already; this also covers a library's.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  return rc;
}

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
  std::unique_lock lock(mutex_);
  for (;;) {
    requested_.wait(lock, [this] { return stopping_ || !requests_.empty(); });
    if (stopping_) return;
    Request request = std::move(requests_.front());
    requests_.pop_front();
    lock.unlock();
    SpawnSetup setup;
    pid_t pid = 0;
    int error = prepare(setup, stdio_);
    if (error == 0) {
      std::string shell = "/bin/sh", dash_c = "-c";
      char* argv[] = {shell.data(), dash_c.data(), request.command.data(), nullptr};
      // glibc reports a failed exec here, as posix_spawn's error number.
      error = posix_spawn(&pid, argv[0], &setup.actions, &setup.attr, argv, environ);
    }
    lock.lock();
    spawned_.push_back(Spawned{request.id, pid, error});
    const std::uint64_t one = 1;
    ssize_t ignored = ::write(wakeup_.get(), &one, sizeof one);  // cannot fill up
    (void)ignored;
  }
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
    if (s.error != 0) {
      log::error("Cannot start a checker: /bin/sh: ", std::strerror(s.error));
      std::unique_ptr<Checker> self = std::move(found->second);
      checkers_.erase(found);
      if (self->done) self->done(W_EXITCODE(127, 0));
      continue;
    }
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
