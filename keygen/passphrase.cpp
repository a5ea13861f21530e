#include "passphrase.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "interrupt.hpp"
#include "mandos/fd.hpp"

namespace mandos::keygen {
namespace {

Error interrupted_error() { return fail("interrupted", 1); }

// Reads `fd` to its end into wiped memory, at most kMaxPasswordBytes.
Result<SecretBytes> read_secret_fd(int fd, const std::string& what) {
  SecretBytes contents;
  std::array<char, 4096> buffer{};
  Status status;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      if (pending_interrupt() != 0) return interrupted_error();
      continue;
    }
    if (n < 0) {
      status = fail("Cannot read " + what + ": " + std::strerror(errno), 1);
      break;
    }
    if (n == 0) break;
    if (contents.size() + static_cast<size_t>(n) > kMaxPasswordBytes) {
      status = fail(what + " is larger than " + std::to_string(kMaxPasswordBytes) + " bytes", 1);
      break;
    }
    contents.append(buffer.data(), static_cast<size_t>(n));
  }
  secure_wipe(buffer.data(), buffer.size());
  if (!status) return status.error();
  return contents;
}

// One line (without its newline), read a byte at a time so that nothing
// after the newline is consumed; a partial last line counts. Fails at end
// of input before any byte.
Result<SecretBytes> read_line(int fd) {
  SecretBytes line;
  // Bytes go through a small chunk so the line is not regrown per byte.
  std::array<char, 512> chunk{};
  size_t used = 0;
  auto flush = [&] {
    line.append(chunk.data(), used);
    secure_wipe(chunk.data(), used);
    used = 0;
  };
  bool got_any = false;
  for (;;) {
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) {
      if (pending_interrupt() != 0) break;
      continue;
    }
    if (n <= 0 || c == '\n') {
      flush();
      if (n < 0) return fail(std::string("Cannot read passphrase: ") + std::strerror(errno), 1);
      if (n == 0 && !got_any) return fail("No passphrase given (end of input)", 1);
      return line;
    }
    got_any = true;
    chunk[used++] = c;
    c = 0;
    if (used == chunk.size()) flush();
    if (line.size() > kMaxPasswordBytes) break;
  }
  flush();
  if (pending_interrupt() != 0) return interrupted_error();
  return fail("Passphrase longer than " + std::to_string(kMaxPasswordBytes) + " bytes", 1);
}

void write_text(int fd, std::string_view text) { (void)write_all(fd, text.data(), text.size()); }

Result<SecretBytes> ask(int in_fd, int prompt_fd, std::string_view prompt) {
  write_text(prompt_fd, prompt);
  Result<SecretBytes> line = [&] {
    EchoOff quiet(in_fd);
    return read_line(in_fd);
  }();
  // Echo was off, so the user's Enter did not move to a new line.
  if (::isatty(in_fd) != 0) write_text(STDERR_FILENO, "\n");
  if (!line) return line.error();
  return SecretBytes(strip_read_whitespace(line->view()));
}

}  // namespace

Result<SecretBytes> read_passfile(const std::string& path) {
  if (path == "-") return read_secret_fd(STDIN_FILENO, "standard input");
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail("Cannot open password file " + path + ": " + std::strerror(errno), 1);
  return read_secret_fd(fd.get(), "password file " + path);
}

std::string_view strip_read_whitespace(std::string_view line) {
  constexpr std::string_view kIfsWhitespace = " \t\n";
  auto first = line.find_first_not_of(kIfsWhitespace);
  if (first == std::string_view::npos) return {};
  auto last = line.find_last_not_of(kIfsWhitespace);
  return line.substr(first, last - first + 1);
}

Result<SecretBytes> prompt_passphrase(int in_fd) {
  UniqueFd tty(::open("/dev/tty", O_WRONLY | O_CLOEXEC | O_NOCTTY));
  const int prompt_fd = tty ? tty.get() : STDERR_FILENO;
  for (;;) {
    auto first = ask(in_fd, prompt_fd, "Enter passphrase: ");
    if (!first) return first.error();
    auto second = ask(in_fd, prompt_fd, "Repeat passphrase: ");
    if (!second) return second.error();
    if (first->view() == second->view()) return std::move(*first);
    write_text(STDERR_FILENO, "Passphrase mismatch\n");
    if (::isatty(in_fd) == 0) return fail("", 1);
  }
}

}  // namespace mandos::keygen
