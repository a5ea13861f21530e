// Helpers shared by the password plugins (plugins.md): the reference's
// message format, bounded file reads, a wiped growable buffer and
// plymouthd detection.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mandos/secret.hpp"

namespace mandos::plugins {

// Prints "Mandos plugin PROGRAM: MESSAGE[: strerror(errnum)]" on stderr like
// the reference (which uses glibc error(), so PROGRAM is argv[0] as given)
// and exits with status when it is non-zero.
void error_plus(int status, int errnum, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

// Reads at most max_bytes from path. nullopt with errno set on failure.
std::optional<std::string> read_bounded(const std::string& path, size_t max_bytes);

// Splits /proc/PID/cmdline contents into arguments (each NUL-terminated;
// a final unterminated piece counts too).
std::vector<std::string> split_cmdline(std::string_view cmdline);

// True when the first argument's base name is exactly "plymouthd".
bool cmdline_is_plymouthd(std::string_view cmdline);

// password-prompt's conflict check: /run/plymouth/pid readable, or some
// process whose command line names plymouthd. proc_dir is "/proc" outside
// tests.
bool plymouthd_is_running(bool debug, const std::string& proc_dir = "/proc");

// A growable buffer for secrets, wiped whenever memory is released, with a
// hard maximum size.
class SecretBuffer {
 public:
  explicit SecretBuffer(size_t max_size) : max_size_(max_size) {}
  ~SecretBuffer() { reset(); }
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;

  // Writable room for up to want bytes; empty when the maximum is reached.
  std::pair<char*, size_t> reserve(size_t want);
  void commit(size_t count) { size_ += count; }
  bool full() const { return size_ == max_size_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  void reset();

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t max_size_;
};

}  // namespace mandos::plugins
