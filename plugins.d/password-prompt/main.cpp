// password-prompt: reads a passphrase from the console with echo off
// (plugins.md §1). Steps aside when plymouthd runs, since both would read
// the same console.
#include <argp.h>
#include <poll.h>
#include <signal.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mandos/secret.hpp"
#include "plugin_common.hpp"
#include "prompt.hpp"

const char* argp_program_version = "password-prompt " MANDOS_VERSION;
// No argp_program_bug_address: upstream Mandos's list is not the place for
// reports about this implementation.

namespace mandos::plugins {
namespace {

volatile sig_atomic_t quit_now = 0;
volatile sig_atomic_t signal_received = 0;
// The handled signals stay blocked except while waiting for input in
// ppoll(), so a signal cannot slip in between the check of quit_now and a
// blocking read (the reference's handler had that window).
sigset_t handled_signals;
sigset_t waiting_mask;

void termination_handler(int sig) {
  if (quit_now) return;
  quit_now = 1;
  signal_received = sig;
}

struct Options {
  const char* prefix = nullptr;
  const char* prompt = nullptr;
  bool debug = false;
};

enum Key : int { kDebug = 128, kPrompt = 129, kUsage = -3 };

const argp_option kOptions[] = {
    // Names, keys, argument names and groups as in the reference; the texts
    // are our own.
    {"prefix", 'p', "PREFIX", 0, "Print PREFIX and a space in front of the question", 2},
    {"prompt", kPrompt, "PROMPT", 0, "Ask PROMPT instead of the question naming the disk", 2},
    {"debug", kDebug, nullptr, 0, "Print progress messages on standard error", 3},
    // argp's own entries and texts, spelled out because the reference exits
    // with argp's error status (64) after them.
    {"help", '?', nullptr, 0, "Give this help list", -1},
    {"usage", kUsage, nullptr, 0, "Give a short usage message", -1},
    {"version", 'V', nullptr, 0, "Print program version", -1},
    {nullptr, 0, nullptr, 0, nullptr, 0},
};

error_t parse_option(int key, char* arg, argp_state* state) noexcept {
  auto* options = static_cast<Options*>(state->input);
  switch (key) {
    case 'p':
      options->prefix = arg;
      return 0;
    case kDebug:
      options->debug = true;
      return 0;
    case kPrompt:
      options->prompt = arg;
      return 0;
    case '?':
      argp_state_help(state, state->out_stream,
                      (ARGP_HELP_STD_HELP | ARGP_HELP_EXIT_ERR) & ~unsigned{ARGP_HELP_EXIT_OK});
      std::exit(argp_err_exit_status);
    case kUsage:
      argp_state_help(state, state->out_stream, ARGP_HELP_USAGE | ARGP_HELP_EXIT_ERR);
      std::exit(argp_err_exit_status);
    case 'V':
      std::fprintf(state->out_stream, "%s\n", argp_program_version);
      std::exit(argp_err_exit_status);
    default:
      return ARGP_ERR_UNKNOWN;
  }
}

// Installs the handler for SIGINT, SIGHUP and SIGTERM unless the signal is
// ignored. Without SA_RESTART, so a blocked read returns EINTR.
bool install_handlers() {
  struct sigaction action {};
  action.sa_handler = termination_handler;
  sigemptyset(&action.sa_mask);
  sigemptyset(&handled_signals);
  for (int sig : {SIGINT, SIGHUP, SIGTERM}) sigaddset(&action.sa_mask, sig);
  for (int sig : {SIGINT, SIGHUP, SIGTERM}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0) return false;
    if (old.sa_handler == SIG_IGN) continue;
    if (::sigaction(sig, &action, nullptr) != 0) return false;
    sigaddset(&handled_signals, sig);
  }
  return ::sigprocmask(SIG_BLOCK, &handled_signals, &waiting_mask) == 0;
}

// Waits until the terminal has a line (or end of file) to read, with the
// handled signals deliverable only during the wait. False when a signal
// interrupted the wait.
bool wait_for_input() {
  pollfd fd{STDIN_FILENO, POLLIN, 0};
  while (::ppoll(&fd, 1, nullptr, &waiting_mask) < 0) {
    if (errno == EINTR) return false;
  }
  return true;
}

// Writes the password and closes stdout; returns the exit status.
int output_password(const char* data, size_t length) {
  size_t written = 0;
  while (written < length) {
    const ssize_t sent = ::write(STDOUT_FILENO, data + written, length - written);
    if (sent < 0) {
      const int err = errno;
      error_plus(0, err, "write");
      return err == EINTR ? EXIT_FAILURE : EX_IOERR;
    }
    written += static_cast<size_t>(sent);
  }
  if (::close(STDOUT_FILENO) != 0) {
    const int err = errno;
    error_plus(0, err, "close");
    return err == EBADF ? EX_OSERR : EX_IOERR;
  }
  return EXIT_SUCCESS;
}

// Prompts and reads lines until one arrives, an error occurs or a signal
// asks us to stop. Returns the exit status.
int read_password(const Options& options) {
  char* line = nullptr;
  size_t allocated = 0;
  int status = EXIT_SUCCESS;
  for (;;) {
    if (quit_now) {
      if (options.debug) std::fprintf(stderr, "Interrupted by signal, exiting.\n");
      status = EXIT_FAILURE;
      break;
    }
    std::fputs(prompt_from_environment(options.prefix, options.prompt).c_str(), stderr);
    errno = EINTR;
    const ssize_t got = wait_for_input() ? ::getline(&line, &allocated, stdin) : -1;
    if (got > 0) {
      size_t length = static_cast<size_t>(got);
      if (line[length - 1] == '\n') --length;
      status = output_password(line, length);
      break;
    }
    if (got < 0 && errno != EINTR && !std::feof(stdin)) {
      const int err = errno;
      error_plus(0, err, "getline");
      status = err == EBADF ? EX_UNAVAILABLE : EX_IOERR;
      break;
    }
    // End of file (Ctrl-D) or a signal: start a fresh line and ask again.
    std::clearerr(stdin);
    std::fputc('\n', stderr);
    if (options.debug && !quit_now) std::fprintf(stderr, "getline() returned 0, retrying.\n");
  }
  secure_wipe(line, allocated);
  std::free(line);
  return status;
}

int run(int argc, char** argv) {
  Options options;
  static const argp parser = {kOptions, parse_option, "",
                              "password-prompt -- ask for the disk passphrase on the console "
                              "and print it",
                              nullptr, nullptr, nullptr};
  switch (const int err = argp_parse(&parser, argc, argv, ARGP_IN_ORDER | ARGP_NO_HELP, nullptr,
                                     &options)) {
    case 0:
      break;
    case EINVAL:
      return EX_USAGE;
    default:
      error_plus(0, err, "argp_parse");
      return EX_OSERR;
  }
  if (options.debug) std::fprintf(stderr, "Starting %s\n", argv[0]);
  if (plymouthd_is_running(options.debug)) {
    if (options.debug) std::fprintf(stderr, "Stopping %s because of conflict\n", argv[0]);
    return EXIT_FAILURE;
  }

  termios original{};
  if (::tcgetattr(STDIN_FILENO, &original) != 0) {
    const int err = errno;
    error_plus(0, err, "tcgetattr");
    return (err == EBADF || err == ENOTTY) ? EX_UNAVAILABLE : EX_OSERR;
  }
  if (!install_handlers()) {
    error_plus(0, errno, "sigaction");
    return EX_OSERR;
  }
  termios silent = original;
  silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent) != 0) {
    const int err = errno;
    error_plus(0, err, "tcsetattr-echo");
    if (err == EBADF || err == ENOTTY) return EX_UNAVAILABLE;
    return err == EINTR ? EXIT_FAILURE : EX_OSERR;
  }
  // Read unbuffered, so the only copy of the password is getline()'s
  // buffer, which is wiped.
  std::setvbuf(stdin, nullptr, _IONBF, 0);
  const int status = read_password(options);

  if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &original) != 0) error_plus(0, errno, "tcsetattr+echo");
  if (quit_now) {
    // Die by the signal, now that the terminal is restored.
    const int sig = signal_received;
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    ::sigprocmask(SIG_SETMASK, &waiting_mask, nullptr);  // delivers it
  }
  if (options.debug) std::fprintf(stderr, "%s is exiting with status %d\n", argv[0], status);
  if (status == EXIT_SUCCESS) std::fputc('\n', stderr);
  return status;
}

}  // namespace
}  // namespace mandos::plugins

int main(int argc, char** argv) { return mandos::plugins::run(argc, argv); }
