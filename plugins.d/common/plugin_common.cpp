#include "plugin_common.hpp"

#include <dirent.h>
#include <error.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>

#include "mandos/fd.hpp"

namespace mandos::plugins {

void error_plus(int status, int errnum, const char* format, ...) {
  char* text = nullptr;
  va_list args;
  va_start(args, format);
  const int length = vasprintf(&text, format, args);
  va_end(args);
  std::fputs("Mandos plugin ", stderr);
  if (length < 0) {
    error(status, errnum, "%s", format);
    return;
  }
  error(status, errnum, "%s", text);
  std::free(text);
}

std::optional<std::string> read_bounded(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return std::nullopt;
  std::string content;
  char chunk[4096];
  while (content.size() < max_bytes) {
    const ssize_t got = ::read(fd.get(), chunk, std::min(sizeof chunk, max_bytes - content.size()));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) break;
    content.append(chunk, static_cast<size_t>(got));
  }
  return content;
}

std::vector<std::string> split_cmdline(std::string_view cmdline) {
  std::vector<std::string> args;
  while (!cmdline.empty()) {
    const size_t end = cmdline.find('\0');
    args.emplace_back(cmdline.substr(0, end));
    if (end == std::string_view::npos) break;
    cmdline.remove_prefix(end + 1);
  }
  return args;
}

bool cmdline_is_plymouthd(std::string_view cmdline) {
  const std::string_view first = cmdline.substr(0, cmdline.find('\0'));
  const size_t slash = first.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? first : first.substr(slash + 1);
  return base == "plymouthd";
}

namespace {

bool all_digits(const char* name) {
  if (*name == '\0') return false;
  for (; *name != '\0'; ++name) {
    if (*name < '0' || *name > '9') return false;
  }
  return true;
}

}  // namespace

bool plymouthd_is_running(bool debug, const std::string& proc_dir) {
  if (::access("/run/plymouth/pid", R_OK) == 0) return true;
  DIR* dir = ::opendir(proc_dir.c_str());
  if (dir == nullptr) {
    error_plus(EXIT_FAILURE, errno, "scandir");
    return false;
  }
  bool found = false;
  while (const dirent* entry = ::readdir(dir)) {
    if (!all_digits(entry->d_name)) continue;
    // Only the first argument matters; a path is at most PATH_MAX long.
    const auto cmdline = read_bounded(proc_dir + "/" + entry->d_name + "/cmdline", 4096);
    if (!cmdline) {
      if (errno != ENOENT && errno != ESRCH) error_plus(0, errno, "open");
      continue;
    }
    if (cmdline_is_plymouthd(*cmdline)) {
      if (debug) std::fprintf(stderr, "Process %s is plymouthd\n", entry->d_name);
      found = true;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

std::pair<char*, size_t> SecretBuffer::reserve(size_t want) {
  if (size_ == max_size_) return {nullptr, 0};
  want = std::min(want, max_size_ - size_);
  if (capacity_ - size_ < want) {
    // Copy into a new block and wipe the old one (realloc() could leave a
    // stale copy of the secret in freed memory).
    size_t capacity = std::max<size_t>(capacity_ * 2, 4096);
    while (capacity < size_ + want) capacity *= 2;
    capacity = std::min(capacity, std::max(size_ + want, max_size_));
    auto* fresh = static_cast<char*>(std::malloc(capacity));
    if (fresh == nullptr) throw std::bad_alloc();
    if (size_ > 0) std::memcpy(fresh, data_, size_);
    secure_wipe(data_, capacity_);
    std::free(data_);
    data_ = fresh;
    capacity_ = capacity;
  }
  return {data_ + size_, want};
}

void SecretBuffer::reset() {
  secure_wipe(data_, capacity_);
  std::free(data_);
  data_ = nullptr;
  size_ = capacity_ = 0;
}

}  // namespace mandos::plugins
