// Helpers for the plugin-runner, plugin and password-agent scenario tests:
// process inspection through /proc, a pseudo-terminal child, and private
// mount namespaces in which fixed system paths (/lib/cryptsetup,
// /bin/plymouth, /run) can be replaced without touching the host.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mandos/fd.hpp"
#include "mandos/test/support.hpp"

namespace mandos::test {

// Paths in the build and source trees. (support's build_path()/source_path()
// are compiled without the MANDOS_*_DIR definitions, so they return the
// relative path; these expand the definitions in the test itself.)
#ifdef MANDOS_BUILD_DIR
inline std::string built(const std::string& relative) {
  return std::string(MANDOS_BUILD_DIR) + "/" + relative;
}
inline std::string golden(const std::string& name) {
  return std::string(MANDOS_SOURCE_DIR) + "/tests/integration/plugin-runner/golden/" + name;
}
#endif

// ---- --help listings -------------------------------------------------------

// The options an argp --help listing shows, as "--long" -> "-s" (or "" when
// the option has no short form). Hidden options are not listed by argp.
std::map<std::string, std::string> options_in_help(const std::string& help);

// ---- /proc -----------------------------------------------------------------

// The state letter from /proc/PID/stat ('R', 'S', 'Z', ...), or nullopt
// when the process does not exist.
std::optional<char> process_state(pid_t pid);
// Parent PID from /proc/PID/stat, or 0.
pid_t parent_of(pid_t pid);
// PIDs whose parent is pid.
std::vector<pid_t> children_of(pid_t pid);
// Children of pid that are zombies (exited, not reaped).
std::vector<pid_t> zombie_children_of(pid_t pid);
// True when pid no longer runs: absent, or a zombie. Zombies whose parent
// is this test process are reaped.
bool process_gone(pid_t pid);
// Reads a decimal PID written by a test plugin into a file; 0 if none yet.
pid_t read_pid_file(const std::string& path);

// Makes this process the subreaper for its descendants, so processes
// orphaned by a test come back here and can be checked and reaped.
void become_subreaper();

// ---- Pseudo-terminal child ---------------------------------------------------

// A program with stdin and stderr on a new pseudo-terminal (which becomes
// its controlling terminal) and stdout on a pipe.
class PtyChild {
 public:
  PtyChild(const std::vector<std::string>& argv, const std::vector<std::string>& env);
  ~PtyChild();
  PtyChild(const PtyChild&) = delete;
  PtyChild& operator=(const PtyChild&) = delete;

  pid_t pid() const { return pid_; }
  int slave() const { return slave_.get(); }  // the test's own copy, for tcgetattr()
  // Reads terminal output until it contains text (CRs removed); false on
  // timeout or end of output. terminal_output() holds all read so far.
  bool read_until(const std::string& text, std::chrono::milliseconds timeout = 10s);
  const std::string& terminal_output() const { return terminal_; }
  void type(const std::string& bytes);
  bool echo_enabled() const;
  // Reads stdout to EOF and waits for the child (with a time limit).
  RunResult finish(std::chrono::milliseconds timeout = 10s);

 private:
  pid_t pid_ = -1;
  UniqueFd master_;
  UniqueFd slave_;
  UniqueFd stdout_;
  std::string terminal_;
};

// ---- Mount namespaces --------------------------------------------------------

// Moves this process into a new mount namespace with private propagation
// and returns to the original one on destruction (so tests run in one
// process do not stack their mounts). ok() is false, with reason(), when
// that is impossible (not root, no CAP_SYS_ADMIN).
class PrivateMountNamespace {
 public:
  PrivateMountNamespace();
  ~PrivateMountNamespace();
  PrivateMountNamespace(const PrivateMountNamespace&) = delete;
  PrivateMountNamespace& operator=(const PrivateMountNamespace&) = delete;
  bool ok() const { return ok_; }
  const std::string& reason() const { return reason_; }

 private:
  UniqueFd original_;
  bool ok_ = false;
  std::string reason_;
};
// Mounts an overlay over dir (upper and work dirs in scratch), so files can
// be added to or removed from dir in this namespace only.
void overlay(const std::string& dir, const std::string& scratch);
// Mounts an empty tmpfs over dir.
void mount_tmpfs(const std::string& dir);

}  // namespace mandos::test
