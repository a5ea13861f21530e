#include "ssh_probe.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>

#include "interrupt.hpp"
#include "mandos/child.hpp"
#include "mandos/fd.hpp"

namespace mandos::keygen {
namespace {

using Clock = std::chrono::steady_clock;

// The child's whole standard output, or nullopt if it failed, ran too
// long or printed too much (the child is then killed by ~ChildProcess).
std::optional<std::string> run_capturing(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout) {
  auto pipe = make_pipe();
  if (!pipe) return std::nullopt;
  SpawnOptions options;
  options.argv = argv;
  options.stdout_fd = pipe->write.get();
  options.stderr_fd = SpawnOptions::kDevNull;
  options.new_process_group = true;  // so a kill on timeout reaches it all
  auto child = spawn(options);
  if (!child) return std::nullopt;
  pipe->write.reset();

  std::string output;
  const auto deadline = Clock::now() + timeout;
  std::array<char, 4096> buffer{};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || pending_interrupt() != 0) return std::nullopt;
    pollfd pfd{pipe->read.get(), POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // timeout is caught at the top
    ssize_t n = ::read(pipe->read.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    output.append(buffer.data(), static_cast<size_t>(n));
    if (output.size() > kMaxSshKeyscanOutput) return std::nullopt;
  }
  // Output closed: the child should be exiting; its status decides. It is
  // reaped here only when done, else ~ChildProcess kills it.
  int status = 0;
  for (;;) {
    pid_t reaped = ::waitpid(child->pid(), &status, WNOHANG);
    if (reaped == child->pid()) break;
    if (reaped < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline || pending_interrupt() != 0) return std::nullopt;
    ::usleep(10000);
  }
  child->release();  // reaped above
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return output;
}

}  // namespace

std::string find_in_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return "";
    dirs.remove_prefix(colon + 1);
  }
}

std::optional<SshHostKey> probe_ssh_host_key(const std::string& keyscan,
                                             std::chrono::milliseconds timeout) {
  if (keyscan.empty()) return std::nullopt;
  for (const char* type : kSshKeyTypes) {
    auto output = run_capturing({keyscan, "-t", type, "localhost"}, timeout);
    if (pending_interrupt() != 0) return std::nullopt;
    if (!output) continue;
    // As the shell's $(...): trailing newlines go. A host key is one line;
    // anything after a first line would break the clients.conf syntax.
    while (!output->empty() && output->back() == '\n') output->pop_back();
    output->erase(std::min(output->find('\n'), output->size()));
    if (output->empty()) continue;
    constexpr std::string_view kHostPrefix = "localhost ";
    if (output->compare(0, kHostPrefix.size(), kHostPrefix) == 0) {
      output->erase(0, kHostPrefix.size());
    }
    return SshHostKey{type, *output};
  }
  return std::nullopt;
}

}  // namespace mandos::keygen
