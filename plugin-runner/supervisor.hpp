// Runs the plugins in parallel and picks the winner.
//
// One mechanism handles every event: SIGCHLD, SIGTERM and SIGINT are blocked
// and read from a signalfd, which poll() watches together with the plugins'
// output pipes. Children are reaped only here (waitpid(-1, WNOHANG) after
// each SIGCHLD), so there is no signal handler racing with the main loop,
// and poll() has no FD_SETSIZE limit.
//
// Deliberate differences from the reference (plugin-runner.md §3-§5, §7):
//  * each plugin runs in a new session, hence its own process group, so a
//    signal to the group also reaches the plugin's own children. A session
//    (rather than setpgid()) leaves the plugin without a controlling
//    terminal, so a plugin reading the console is not stopped by SIGTTIN /
//    SIGTTOU for being in a background process group;
//  * SIGTERM/SIGINT make the runner kill all plugins, reap them and exit
//    by re-raising the signal (the reference just dies, leaving plugins);
//  * only started plugins are waited for (the reference can block forever
//    on plugins that were only named in options);
//  * a plugin printing more than the output limit is dropped as failed.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mandos/fd.hpp"
#include "mandos/result.hpp"
#include "output_buffer.hpp"

namespace mandos::runner {

// Blocks SIGCHLD, SIGTERM and SIGINT and delivers them through a signalfd.
// The original signal mask is restored on destruction or restore().
class SignalChannel {
 public:
  static Result<SignalChannel> open();
  SignalChannel(SignalChannel&& other) noexcept;
  SignalChannel& operator=(SignalChannel&&) = delete;
  SignalChannel(const SignalChannel&) = delete;
  SignalChannel& operator=(const SignalChannel&) = delete;
  ~SignalChannel() { restore(); }

  int fd() const { return fd_.get(); }
  const sigset_t& original_mask() const { return original_mask_; }

  struct Pending {
    bool child = false;  // at least one SIGCHLD
    int terminate = 0;   // first SIGTERM/SIGINT seen, else 0
  };
  Pending drain();
  // Restores the original mask and closes the signalfd (idempotent).
  void restore();

 private:
  SignalChannel() = default;
  UniqueFd fd_;
  sigset_t original_mask_{};
  bool active_ = false;
};

struct PluginLaunch {
  std::string name;
  std::string directory;  // for error messages
  std::vector<std::string> argv;
  std::vector<std::string> env;
  UniqueFd executable;    // the opened plugin file, run with fexecve()
  uint64_t order = 0;     // creation order: the highest wins a tie
};

class Supervisor {
 public:
  Supervisor(SignalChannel& signals, bool debug, size_t max_output);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Forks and executes a plugin with stdout to a new pipe. The error's code
  // is the errno of the failed pipe()/fork().
  Status start(PluginLaunch launch);
  size_t started() const { return plugins_.size(); }

  enum class Outcome { Winner, AllFailed, Interrupted, PollError };
  // Runs until a plugin exits 0 with its pipe at EOF (Winner:
  // winner_output() holds its bytes), every plugin has failed, a
  // termination signal arrives (Interrupted), or poll() fails (errno kept).
  Outcome run();
  std::string_view winner_output() const;

  // SIGTERM to the process group of every plugin that may still have
  // processes; then waits for all children. Another SIGTERM/SIGINT while
  // waiting escalates to SIGKILL.
  void shutdown();

  // The first SIGTERM/SIGINT received, or 0.
  int termination_signal() const { return termination_signal_; }

 private:
  struct Plugin {
    std::string name;
    pid_t pid = 0;
    UniqueFd out;
    OutputBuffer output;
    uint64_t order = 0;
    bool eof = false;
    bool reaped = false;
    bool dropped = false;
    int status = 0;
  };

  void reap_children();        // waitpid(-1, WNOHANG) until nothing is left
  bool any_child_left();       // true while waitpid() does not say ECHILD
  bool handle_signals();       // false when a termination signal arrived
  void read_output(Plugin& plugin);
  void drop(Plugin& plugin, bool kill_group);
  void signal_plugin(const Plugin& plugin, int sig) const;
  int decide();                // winner index, -1 none yet, -2 all failed
  void log_failure(const Plugin& plugin) const;

  SignalChannel& signals_;
  bool debug_;
  size_t max_output_;
  std::vector<Plugin> plugins_;
  int winner_ = -1;
  int termination_signal_ = 0;
};

}  // namespace mandos::runner
