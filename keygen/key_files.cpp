#include "key_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace mandos::keygen {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The N of "<file_name>.~N~", or "" if `entry` is not such a backup.
std::string_view backup_number(std::string_view entry, std::string_view file_name) {
  if (entry.size() < file_name.size() + 4 || entry.substr(0, file_name.size()) != file_name) {
    return {};
  }
  entry.remove_prefix(file_name.size());
  if (entry.substr(0, 2) != ".~" || entry.back() != '~') return {};
  std::string_view number = entry.substr(2, entry.size() - 3);
  if (number.empty() || number[0] < '1' || number[0] > '9') return {};
  for (char c : number) {
    if (!is_digit(c)) return {};
  }
  return number;
}

bool numerically_less(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::string decimal_plus_one(std::string_view number) {
  std::string out(number);
  for (auto it = out.rbegin(); it != out.rend(); ++it) {
    if (*it != '9') {
      ++*it;
      return out;
    }
    *it = '0';
  }
  return "1" + out;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<std::vector<std::string>> list_directory(const std::string& dir) {
  struct Closer {
    void operator()(DIR* d) const { ::closedir(d); }
  };
  std::unique_ptr<DIR, Closer> handle(::opendir(dir.c_str()));
  if (!handle) return fail("cannot list " + dir + ": " + std::strerror(errno), errno);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(handle.get())) names.emplace_back(entry->d_name);
  return names;
}

}  // namespace

std::string join_path(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

bool any_key_file_exists(const std::string& dir) {
  for (const char* name : {kSeckeyFile, kPubkeyFile, kTlsPrivkeyFile, kTlsPubkeyFile}) {
    struct stat st {};
    if (::stat(join_path(dir, name).c_str(), &st) == 0) return true;
  }
  return false;
}

std::string next_backup_name(std::string_view file_name,
                             const std::vector<std::string>& directory_entries) {
  std::string_view highest;
  for (const std::string& entry : directory_entries) {
    std::string_view number = backup_number(entry, file_name);
    if (!number.empty() && (highest.empty() || numerically_less(highest, number))) {
      highest = number;
    }
  }
  const std::string next = highest.empty() ? "1" : decimal_plus_one(highest);
  return std::string(file_name) + ".~" + next + "~";
}

Result<std::string> back_up_file(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::string();
    return fail("cannot back up " + path + ": " + std::strerror(errno), errno);
  }
  const std::string dir = directory_of(path);
  // Another process may take the name we picked; pick again a few times.
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto entries = list_directory(dir);
    if (!entries) return entries.error();
    const std::string backup = join_path(dir, next_backup_name(base_of(path), *entries));
    if (::link(path.c_str(), backup.c_str()) == 0) {
      // The new file is put in place by rename later; until then the old
      // one stays readable under its name.
      return backup;
    }
    if (errno == EEXIST) continue;
    // No hard links here (or not for this file): move it instead, never
    // over an existing backup.
    if (::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, backup.c_str(), RENAME_NOREPLACE) == 0) {
      return backup;
    }
    if (errno == EEXIST) continue;
    return fail("cannot back up " + path + " as " + backup + ": " + std::strerror(errno), errno);
  }
  return fail("cannot back up " + path + ": backup names keep being taken");
}

}  // namespace mandos::keygen
