// UniqueFd: sole owner of a file descriptor, closed on destruction.
#pragma once

#include <string>
#include <utility>

#include "mandos/result.hpp"

namespace mandos {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A pair of connected AF_UNIX sockets (close-on-exec).
struct SocketPair {
  UniqueFd first;
  UniqueFd second;
};
Result<SocketPair> make_socketpair(int type);

// A pipe (close-on-exec): read end, write end.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};
Result<Pipe> make_pipe();

// Writes all of data, retrying on EINTR and short writes.
Status write_all(int fd, const void* data, size_t size);
// Reads up to max_bytes until EOF; fails if the input is larger.
Result<std::string> read_all(int fd, size_t max_bytes);
// Reads a whole file (bounded by max_bytes) naming the path in errors.
Result<std::string> read_file(const std::string& path, size_t max_bytes);

void set_cloexec(int fd, bool on);
Status set_nonblocking(int fd, bool on);

}  // namespace mandos
