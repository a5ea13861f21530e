#include "daemon/worker_pool.hpp"

#include <fcntl.h>
#include <glib-unix.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <filesystem>
#include <thread>
#include <vector>

#include "mandos/child.hpp"
#include "mandos/log.hpp"

#ifndef MANDOS_WORKER_PATH
#define MANDOS_WORKER_PATH "/usr/lib/mandos/mandos-tls-worker"
#endif
#ifndef MANDOS_LIBRARY_ARCHITECTURE
#define MANDOS_LIBRARY_ARCHITECTURE ""
#endif

namespace mandos::server {

struct WorkerPool::Worker {
  WorkerPool* pool = nullptr;
  size_t slot = 0;
  pid_t pid = -1;
  UniqueFd channel;
  guint in_source = 0;
  guint out_source = 0;
  guint child_source = 0;
  std::unique_ptr<WorkerSession> session;
  ipc::WorkerMessageDecoder decoder;
  std::deque<SecretBytes> output;
  size_t output_offset = 0;  // into output.front()
  size_t output_bytes = 0;
  WallTime started{};
  bool killed = false;
};

std::string find_worker_program() {
  std::vector<std::string> candidates;
  char self[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length > 0) {
    std::string dir(self, static_cast<size_t>(length));
    auto slash = dir.rfind('/');
    if (slash != std::string::npos) {
      dir.erase(slash + 1);
      // The build tree; then sbin/../lib[/ARCH]/mandos, so that programs
      // built for one prefix still find each other installed under another
      // (Debian's /usr/lib/<multiarch>/mandos, or /usr/local/lib/mandos).
      candidates.push_back(dir + "mandos-tls-worker");
      auto installed = [&](const char* relative) {
        return std::filesystem::path(dir + relative).lexically_normal().string();
      };
      if (*MANDOS_LIBRARY_ARCHITECTURE != '\0') {
        candidates.push_back(
            installed("../lib/" MANDOS_LIBRARY_ARCHITECTURE "/mandos/mandos-tls-worker"));
      }
      candidates.push_back(installed("../lib/mandos/mandos-tls-worker"));
    }
  }
  candidates.push_back(MANDOS_WORKER_PATH);
  for (const std::string& candidate : candidates) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

int default_worker_count() {
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  return cpus < 2 ? 2 : static_cast<int>(std::min(cpus, 256L));
}

WorkerPool::WorkerPool(Registry& registry, Scheduler& scheduler, WorkerPoolOptions options)
    : registry_(registry), scheduler_(scheduler), options_(std::move(options)) {
  slots_.resize(static_cast<size_t>(std::max(options_.count, 1)));
  for (Slot& slot : slots_) slot.backoff = options_.min_backoff;
}

WorkerPool::~WorkerPool() { stop(); }

Status WorkerPool::start() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (auto status = spawn(i); !status) return status;
  }
  return {};
}

std::vector<pid_t> WorkerPool::pids() const {
  std::vector<pid_t> result;
  for (const Slot& slot : slots_) {
    if (slot.worker && !slot.worker->killed) result.push_back(slot.worker->pid);
  }
  return result;
}

Status WorkerPool::spawn(size_t index) {
  auto pair = make_socketpair(SOCK_STREAM);
  if (!pair) return fail("cannot create worker channel: " + pair.error().message);
  if (auto st = set_nonblocking(pair->first.get(), true); !st) return st;

  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls until exec.
  std::vector<std::string> args_storage;
  args_storage.push_back(options_.program);
  args_storage.insert(args_storage.end(), options_.args.begin(), options_.args.end());
  std::vector<char*> argv;
  for (auto& arg : args_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int child_end = pair->second.get();
  const int listen_fd = options_.listen_fd;

  pid_t pid = ::fork();
  if (pid < 0) return fail(std::string("cannot fork worker: ") + std::strerror(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    }
    int channel = ::fcntl(child_end, F_DUPFD_CLOEXEC, 10);
    int listener = ::fcntl(listen_fd, F_DUPFD_CLOEXEC, 10);
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (channel < 0 || listener < 0 || null_fd < 0) ::_exit(127);
    if (::dup2(channel, ipc::kWorkerChannelFd) < 0 || ::dup2(listener, ipc::kListenFd) < 0 ||
        ::dup2(null_fd, STDIN_FILENO) < 0) {
      ::_exit(127);
    }
    ::syscall(SYS_close_range, 5U, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pair->second.reset();

  auto worker = std::make_unique<Worker>();
  Worker& w = *worker;
  w.pool = this;
  w.slot = index;
  w.pid = pid;
  w.channel = std::move(pair->first);
  w.started = scheduler_.now();
  w.session = std::make_unique<WorkerSession>(
      registry_, [this, &w](ipc::MainMessage message) { send(w, message); });
  w.in_source = g_unix_fd_add(w.channel.get(), static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                              &WorkerPool::readable_cb, &w);
  w.child_source = g_child_watch_add(pid, &WorkerPool::exit_cb, &w);
  slots_[index].worker = std::move(worker);
  log::debug("Started worker ", pid, " (", options_.program, ")");
  return {};
}

gboolean WorkerPool::readable_cb(gint /*fd*/, GIOCondition /*condition*/, gpointer data) {
  auto& worker = *static_cast<Worker*>(data);
  worker.pool->on_readable(worker);
  return worker.in_source != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

gboolean WorkerPool::writable_cb(gint /*fd*/, GIOCondition /*condition*/, gpointer data) {
  auto& worker = *static_cast<Worker*>(data);
  worker.pool->on_writable(worker);
  return worker.out_source != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void WorkerPool::exit_cb(GPid pid, gint status, gpointer data) {
  auto& worker = *static_cast<Worker*>(data);
  worker.child_source = 0;  // child watches fire once
  g_spawn_close_pid(pid);
  worker.pool->on_exit(worker.slot, pid, status);
}

void WorkerPool::on_readable(Worker& w) {
  char buffer[64 * 1024];
  // Bounded per wake-up so one chatty worker cannot starve the loop.
  for (int round = 0; round < 16 && !w.killed; ++round) {
    ssize_t got = ::recv(w.channel.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      kill_worker(w, std::string("channel read error: ") + std::strerror(errno));
      return;
    }
    if (got == 0) {
      kill_worker(w, "closed its channel");
      return;
    }
    w.decoder.feed(buffer, static_cast<size_t>(got));
    while (!w.killed) {
      auto next = w.decoder.next();
      if (!next) {
        kill_worker(w, "sent a malformed message: " + next.error().message);
        return;
      }
      if (!next->has_value()) break;
      if (auto status = w.session->handle(std::move(**next)); !status) {
        kill_worker(w, "broke the protocol: " + status.error().message);
        return;
      }
    }
  }
}

void WorkerPool::send(Worker& w, const ipc::MainMessage& message) {
  if (w.killed) return;
  SecretBytes frame = ipc::encode(message);
  w.output_bytes += frame.size();
  w.output.push_back(std::move(frame));
  if (w.output_bytes > options_.max_pending_output) {
    kill_worker(w, "does not read its replies");
    return;
  }
  flush(w);
}

void WorkerPool::flush(Worker& w) {
  while (!w.output.empty() && !w.killed) {
    const SecretBytes& front = w.output.front();
    ssize_t sent = ::send(w.channel.get(), front.data() + w.output_offset,
                          front.size() - w.output_offset, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (w.out_source == 0) {
          w.out_source = g_unix_fd_add(w.channel.get(), G_IO_OUT, &WorkerPool::writable_cb, &w);
        }
        return;
      }
      kill_worker(w, std::string("channel write error: ") + std::strerror(errno));
      return;
    }
    w.output_offset += static_cast<size_t>(sent);
    if (w.output_offset == front.size()) {
      w.output_bytes -= front.size();
      w.output.pop_front();
      w.output_offset = 0;
    }
  }
  if (w.output.empty() && w.out_source != 0) {
    g_source_remove(w.out_source);
    w.out_source = 0;
  }
}

void WorkerPool::on_writable(Worker& w) { flush(w); }

void WorkerPool::close_channel(Worker& w) {
  if (w.in_source != 0) g_source_remove(w.in_source);
  if (w.out_source != 0) g_source_remove(w.out_source);
  w.in_source = 0;
  w.out_source = 0;
  w.channel.reset();
  w.output.clear();
  w.output_bytes = 0;
  w.output_offset = 0;
}

void WorkerPool::kill_worker(Worker& w, const std::string& reason) {
  if (w.killed) return;
  w.killed = true;
  if (stopping_) {
    log::debug("Worker ", w.pid, " ", reason);
  } else {
    log::error("Worker ", w.pid, " ", reason, "; killing it");
  }
  ::kill(w.pid, SIGKILL);
  close_channel(w);
  // Its connections are gone: release their approval counts, answer nothing.
  w.session->abandon();
}

void WorkerPool::on_exit(size_t index, pid_t pid, int status) {
  Slot& slot = slots_[index];
  std::unique_ptr<Worker> worker = std::move(slot.worker);
  if (!worker) return;
  if (!worker->killed) {
    log::warning("Worker ", pid, " ", describe_wait_status(status));
    worker->killed = true;
    close_channel(*worker);
    worker->session->abandon();
  } else {
    log::debug("Worker ", pid, " ", describe_wait_status(status));
  }
  if (stopping_) return;
  const Micros lifetime = scheduler_.now() - worker->started;
  if (lifetime >= options_.healthy_lifetime) slot.backoff = options_.min_backoff;
  const Micros delay = slot.backoff;
  slot.backoff = std::min(slot.backoff * 2, options_.max_backoff);
  log::info("Restarting worker in ",
            std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(), " ms");
  slot.respawn = scheduler_.schedule(delay, [this, index] {
    slots_[index].respawn = 0;
    if (stopping_) return;
    if (auto st = spawn(index); !st) {
      log::error("Cannot restart worker: ", st.error().message);
      // Try again later rather than leaving the slot empty forever.
      Slot& s = slots_[index];
      Micros retry = s.backoff;
      s.backoff = std::min(s.backoff * 2, options_.max_backoff);
      s.respawn = scheduler_.schedule(retry, [this, index] {
        slots_[index].respawn = 0;
        if (!stopping_ && !slots_[index].worker) (void)spawn(index);
      });
    }
  });
}

void WorkerPool::stop() {
  if (stopping_) return;
  stopping_ = true;
  std::vector<pid_t> waiting;
  for (Slot& slot : slots_) {
    cancel_timer(scheduler_, slot.respawn);
    if (!slot.worker) continue;
    Worker& w = *slot.worker;
    if (w.child_source != 0) g_source_remove(w.child_source);
    w.child_source = 0;
    close_channel(w);  // EOF on fd 3 makes a worker exit by itself
    w.session->abandon();
    ::kill(w.pid, SIGTERM);
    waiting.push_back(w.pid);
    slot.worker.reset();
  }
  // Reap them here: the loop is no longer running. Bounded wait, then KILL.
  for (int round = 0; round < 200 && !waiting.empty(); ++round) {
    for (auto it = waiting.begin(); it != waiting.end();) {
      int status = 0;
      pid_t got = ::waitpid(*it, &status, WNOHANG);
      if (got == *it || (got < 0 && errno == ECHILD)) {
        it = waiting.erase(it);
      } else {
        ++it;
      }
    }
    if (!waiting.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (pid_t pid : waiting) {
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace mandos::server
