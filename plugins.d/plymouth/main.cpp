// plymouth: asks for the passphrase through the Plymouth boot splash
// (plugins.md §3). "/bin/plymouth ask-for-password" prints the answer on
// our stdout itself. Plymouth cannot withdraw a question, so when another
// plugin wins (we get SIGTERM) the splash daemon is restarted instead.
//
// Waiting is race-free: SIGCHLD and the termination signals are blocked and
// taken with sigwaitinfo(), so a signal arriving just before a wait cannot
// be missed (the reference's handler + waitpid() had that window).
#include <argp.h>
#include <signal.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "plugin_common.hpp"
#include "plymouth_support.hpp"

const char* argp_program_version = "plymouth " MANDOS_VERSION;
// No argp_program_bug_address: upstream Mandos's list is not the place for
// reports about this implementation.

namespace mandos::plugins {
namespace {

bool debug = false;
bool interrupted = false;
sigset_t original_mask;
sigset_t wait_set;  // SIGCHLD plus the termination signals we handle

const argp_option kOptions[] = {
    // Names, keys and argument names as in the reference; our own texts.
    {"prompt", 128, "PROMPT", 0, "Ask PROMPT instead of the question naming the disk", 0},
    {"debug", 129, nullptr, 0, "Print progress messages on standard error", 0},
    {nullptr, 0, nullptr, 0, nullptr, 0},
};

error_t parse_option(int key, char* arg, argp_state* state) noexcept {
  auto* prompt = static_cast<const char**>(state->input);
  switch (key) {
    case 128:
      *prompt = arg;
      return 0;
    case 129:
      debug = true;
      return 0;
    default:
      return ARGP_ERR_UNKNOWN;
  }
}

// SIGINT, SIGHUP and SIGTERM (unless ignored) and SIGCHLD are blocked and
// collected by sigwaitinfo() in wait_for().
bool setup_signals() {
  ::signal(SIGCHLD, SIG_DFL);  // an inherited SIG_IGN would make children vanish
  sigemptyset(&wait_set);
  sigaddset(&wait_set, SIGCHLD);
  for (int sig : {SIGINT, SIGHUP, SIGTERM}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0) return false;
    if (old.sa_handler != SIG_IGN) sigaddset(&wait_set, sig);
  }
  return ::sigprocmask(SIG_BLOCK, &wait_set, &original_mask) == 0;
}

bool become_a_daemon() {
  if (::setuid(::geteuid()) != 0) error_plus(0, errno, "setuid");
  ::setsid();
  if (::chdir("/") != 0) {
    error_plus(0, errno, "chdir");
    return false;
  }
  if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    error_plus(0, errno, "dup2");
    return false;
  }
  return true;
}

// Waits for pid. Returns its wait status, or nullopt when a termination
// signal arrived and interruptible is set (the child is left running).
std::optional<int> wait_for(pid_t pid, bool interruptible) {
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0) {
      error_plus(0, errno, "waitpid");
      return -1;  // not a clean exit
    }
    siginfo_t info;
    const int sig = ::sigwaitinfo(&wait_set, &info);
    if (sig < 0 || sig == SIGCHLD) continue;
    interrupted = true;
    if (interruptible) {
      if (debug) std::fprintf(stderr, "Interrupted by signal\n");
      return std::nullopt;
    }
  }
}

// Runs path with argv and waits. True when it exited with status 0; false
// on failure or interruption (then *started holds the still-running pid).
bool exec_and_wait(pid_t* started, const char* path, std::vector<std::string> argv,
                   bool interruptible, bool daemonize) {
  std::vector<char*> pointers;
  for (auto& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    error_plus(0, errno, "fork");
    return false;
  }
  if (pid == 0) {
    ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
    if (daemonize && !become_a_daemon()) ::_exit(EX_OSERR);
    ::execv(path, pointers.data());
    error_plus(0, errno, "execv");
    ::_exit(EX_OSERR);
  }
  if (started != nullptr) *started = pid;
  const auto status = wait_for(pid, interruptible);
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

void kill_and_wait(pid_t pid) {
  ::kill(pid, SIGTERM);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Another plugin won while plymouth was asking: restart plymouthd so the
// question disappears from the splash screen.
[[noreturn]] void restart_plymouthd() {
  std::vector<std::string> argv{kPlymouthdPath, "--mode=boot", "--attach-to-session"};
  const pid_t pid = find_plymouthd(
      {"/run/plymouth/pid", "/run/initramfs/plymouth.pid", "/dev/.initramfs/plymouth.pid"},
      "/proc");
  if (pid == 0) {
    error_plus(0, 0, "plymouthd pid not found");
  } else if (auto found = process_argv(pid, "/proc")) {
    argv = std::move(*found);
  }
  if (!exec_and_wait(nullptr, kPlymouthPath, {kPlymouthPath, "quit"}, false, false)) {
    std::exit(EXIT_FAILURE);
  }
  if (!exec_and_wait(nullptr, kPlymouthdPath, argv, false, true)) std::exit(EXIT_FAILURE);
  exec_and_wait(nullptr, kPlymouthPath, {kPlymouthPath, "show-splash"}, false, false);
  std::exit(EXIT_FAILURE);  // the question was not answered by us
}

int run(int argc, char** argv) {
  const char* prompt = nullptr;
  static const argp parser = {kOptions, parse_option, "",
                              "plymouth -- ask for the disk passphrase through the Plymouth "
                              "boot splash and print it",
                              nullptr,
                              nullptr, nullptr};
  switch (const int err = argp_parse(&parser, argc, argv, ARGP_IN_ORDER, nullptr, &prompt)) {
    case 0:
      break;
    case EINVAL:
      return EX_USAGE;
    default:
      error_plus(0, err, "argp_parse");
      return EX_OSERR;
  }
  // No plymouth installed, or not running: not an error worth a message.
  if (::access(kPlymouthPath, X_OK) != 0) return EX_UNAVAILABLE;
  if (!setup_signals()) error_plus(EX_OSERR, errno, "sigaction");

  pid_t command = 0;
  if (!exec_and_wait(&command, kPlymouthPath, {kPlymouthPath, "--ping"}, true, false)) {
    if (interrupted) {
      kill_and_wait(command);
      return EXIT_FAILURE;
    }
    return EX_UNAVAILABLE;
  }
  const std::string question =
      prompt != nullptr ? prompt : plymouth_prompt(std::getenv("cryptsource"), std::getenv("crypttarget"));
  if (debug) std::fprintf(stderr, "Prompting for password via Plymouth\n");
  if (exec_and_wait(&command, kPlymouthPath,
                    {kPlymouthPath, "ask-for-password", "--prompt=" + question}, true, false)) {
    return EXIT_SUCCESS;
  }
  if (!interrupted) return EXIT_FAILURE;
  kill_and_wait(command);
  restart_plymouthd();
}

}  // namespace
}  // namespace mandos::plugins

int main(int argc, char** argv) { return mandos::plugins::run(argc, argv); }
