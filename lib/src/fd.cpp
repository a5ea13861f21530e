#include "mandos/fd.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mandos {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) {
    // close() may fail with EINTR but the fd is gone either way on Linux.
    ::close(fd_);
  }
  fd_ = fd;
}

Result<SocketPair> make_socketpair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0) {
    return fail(std::string("socketpair: ") + std::strerror(errno), errno);
  }
  return SocketPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(std::string("pipe: ") + std::strerror(errno), errno);
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Status write_all(int fd, const void* data, size_t size) {
  const char* cursor = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t written = ::write(fd, cursor, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail(std::string("write: ") + std::strerror(errno), errno);
    }
    cursor += written;
    size -= static_cast<size_t>(written);
  }
  return {};
}

Result<std::string> read_all(int fd, size_t max_bytes) {
  std::string out;
  char buffer[65536];
  for (;;) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail(std::string("read: ") + std::strerror(errno), errno);
    }
    if (got == 0) return out;
    if (out.size() + static_cast<size_t>(got) > max_bytes) {
      return fail("input larger than " + std::to_string(max_bytes) + " bytes", EFBIG);
    }
    out.append(buffer, static_cast<size_t>(got));
  }
}

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail(path + ": " + std::strerror(errno), errno);
  auto content = read_all(fd.get(), max_bytes);
  if (!content) return fail(path + ": " + content.error().message, content.error().code);
  return content;
}

void set_cloexec(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) return;
  ::fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC));
}

Status set_nonblocking(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return fail(std::string("fcntl: ") + std::strerror(errno), errno);
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (::fcntl(fd, F_SETFL, flags) < 0) {
    return fail(std::string("fcntl: ") + std::strerror(errno), errno);
  }
  return {};
}

}  // namespace mandos
