// askpass-fifo: takes a password written into cryptsetup's askpass FIFO
// (plugins.md §2), as cryptsetup's own askpass does, so a remote unlock via
// /lib/cryptsetup/passfifo works while plugin-runner runs. Installed set-uid
// root: the FIFO is made and opened as root, then the real ids are resumed.
#include <fcntl.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "plugin_common.hpp"

namespace mandos::plugins {
namespace {

constexpr const char* kFifoPath = "/lib/cryptsetup/passfifo";
// Larger than any LUKS key file cryptsetup accepts by default (8 MiB).
constexpr size_t kMaxPassword = 8 * 1024 * 1024;

void make_fifo() {
  if (::mkfifo(kFifoPath, S_IRUSR | S_IWUSR) == 0) return;
  switch (const int err = errno) {
    case EEXIST:
      return;  // left from an earlier run: fine
    case ENOENT:  // no /lib/cryptsetup
      error_plus(EX_UNAVAILABLE, err, "mkfifo");
      break;
    case EACCES:
    case ENOTDIR:
    case ELOOP:
      error_plus(EX_OSFILE, err, "mkfifo");
      break;
    default:
      error_plus(EX_OSERR, err, "mkfifo");
      break;
  }
  std::exit(EX_OSERR);  // not reached: error_plus exits
}

int open_fifo() {
  const int fd = ::open(kFifoPath, O_RDONLY | O_CLOEXEC);  // waits for a writer
  if (fd >= 0) return fd;
  const int err = errno;
  error_plus(0, err, "open");
  switch (err) {
    case EACCES:
    case ENOENT:
    case EFAULT:
      std::exit(EX_UNAVAILABLE);
    case ENOTDIR:
    case ELOOP:
      std::exit(EX_OSFILE);
    default:
      std::exit(EX_OSERR);
  }
}

void resume_real_ids() {
  if (::setgid(::getgid()) != 0) error_plus(0, errno, "setgid");
  if (::setuid(::getuid()) != 0) error_plus(0, errno, "setuid");
}

// Reads everything until EOF; returns 0 or the exit status.
int read_all_input(int fd, SecretBuffer& password) {
  char probe;
  for (;;) {
    auto [space, room] = password.reserve(65536);
    if (room == 0) {  // at the limit: any further byte is too much
      space = &probe;
      room = 1;
    }
    const ssize_t got = ::read(fd, space, room);
    if (got == 0) return 0;
    if (got > 0 && space == &probe) {
      error_plus(0, 0, "password longer than %zu bytes", kMaxPassword);
      return EX_IOERR;
    }
    if (got > 0) {
      password.commit(static_cast<size_t>(got));
      continue;
    }
    if (errno == EINTR) continue;
    const int err = errno;
    error_plus(0, err, "read");
    if (err == EIO) return EX_IOERR;
    return err == EISDIR ? EX_UNAVAILABLE : EX_OSERR;
  }
}

int write_password(const SecretBuffer& password) {
  size_t written = 0;
  while (written < password.size()) {
    const ssize_t sent = ::write(STDOUT_FILENO, password.data() + written, password.size() - written);
    if (sent < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      error_plus(0, err, "write");
      return (err == EBADF || err == EFAULT || err == EINVAL) ? EX_OSFILE : EX_IOERR;
    }
    written += static_cast<size_t>(sent);
  }
  if (::close(STDOUT_FILENO) != 0) {
    const int err = errno;
    error_plus(0, err, "close");
    return err == EBADF ? EX_OSFILE : EX_IOERR;
  }
  return EXIT_SUCCESS;
}

int run() {
  make_fifo();
  const int fd = open_fifo();
  resume_real_ids();
  SecretBuffer password(kMaxPassword);
  const int status = read_all_input(fd, password);
  ::close(fd);
  if (status != 0) return status;
  return write_password(password);
}

}  // namespace
}  // namespace mandos::plugins

// No options: like the reference, any arguments are ignored.
int main() { return mandos::plugins::run(); }
