#include "plymouth_support.hpp"

#include <dirent.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "plugin_common.hpp"

namespace mandos::plugins {

std::string plymouth_prompt(const char* source, const char* target) {
  std::string text = "Unlocking the disk";
  if (source != nullptr) text.append(" ").append(source);
  if (target != nullptr) text.append(" (").append(target).append(")");
  return text.append("\nEnter passphrase");
}

pid_t parse_pid_text(std::string_view text) {
  const std::string copy(text.substr(0, 64));  // a PID is short; ignore the rest
  errno = 0;
  char* end = nullptr;
  const uintmax_t value = strtoumax(copy.c_str(), &end, 10);
  if (end == copy.c_str() || errno != 0) return 0;
  const auto pid = static_cast<pid_t>(value);
  return (pid > 0 && static_cast<uintmax_t>(pid) == value) ? pid : 0;
}

namespace {

// The numeric value of a /proc entry name, or 0.
pid_t pid_of_entry(const char* name) {
  if (*name < '0' || *name > '9') return 0;
  char* end = nullptr;
  errno = 0;
  const uintmax_t value = strtoumax(name, &end, 10);
  if (errno != 0 || *end != '\0') return 0;
  const auto pid = static_cast<pid_t>(value);
  return static_cast<uintmax_t>(pid) == value ? pid : 0;
}

bool is_plymouthd_exe(const std::string& proc_dir, const char* entry) {
  const std::string link = proc_dir + "/" + entry + "/exe";
  struct stat st;
  if (::lstat(link.c_str(), &st) != 0) {
    if (errno != ENOENT) error_plus(0, errno, "lstat");
    return false;
  }
  if (!S_ISLNK(st.st_mode) || st.st_uid != 0 || st.st_gid != 0) return false;
  char target[sizeof "/sbin/plymouthd"];
  const ssize_t length = ::readlink(link.c_str(), target, sizeof target);
  return length == static_cast<ssize_t>(std::strlen(kPlymouthdPath)) &&
         std::memcmp(target, kPlymouthdPath, static_cast<size_t>(length)) == 0;
}

pid_t scan_for_plymouthd(const std::string& proc_dir) {
  dirent** entries = nullptr;
  const int count = ::scandir(proc_dir.c_str(), &entries, nullptr, alphasort);
  if (count < 0) {
    error_plus(0, errno, "scandir");
    return 0;
  }
  pid_t found = 0;
  for (int i = count - 1; i >= 0; --i) {  // the reference takes the last match
    if (found == 0 && pid_of_entry(entries[i]->d_name) != 0 &&
        is_plymouthd_exe(proc_dir, entries[i]->d_name)) {
      found = pid_of_entry(entries[i]->d_name);
    }
    std::free(entries[i]);
  }
  std::free(entries);
  return found;
}

}  // namespace

pid_t find_plymouthd(const std::vector<std::string>& pid_files, const std::string& proc_dir) {
  for (const auto& file : pid_files) {
    const auto text = read_bounded(file, 64);
    if (!text) continue;
    // Only the first file that opens is consulted, as in the reference.
    if (const pid_t pid = parse_pid_text(*text); pid != 0) return pid;
    break;
  }
  return scan_for_plymouthd(proc_dir);
}

std::optional<std::vector<std::string>> process_argv(pid_t pid, const std::string& proc_dir) {
  const auto cmdline = read_bounded(proc_dir + "/" + std::to_string(pid) + "/cmdline", 65536);
  if (!cmdline) {
    error_plus(0, errno, "open");
    return std::nullopt;
  }
  auto argv = split_cmdline(*cmdline);
  if (argv.empty()) return std::nullopt;
  return argv;
}

}  // namespace mandos::plugins
