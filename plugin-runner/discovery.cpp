#include "discovery.hpp"

#include <dirent.h>
#include <fnmatch.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace mandos::runner {

const char* skip_pattern(const char* name) {
  static const char* const kPatterns[] = {".*",         "#*#",        "*~",
                                          "*.dpkg-new", "*.dpkg-old", "*.dpkg-bak",
                                          "*.dpkg-divert"};
  for (const char* pattern : kPatterns) {
    if (fnmatch(pattern, name, FNM_FILE_NAME | FNM_PERIOD) != FNM_NOMATCH) return pattern;
  }
  return nullptr;
}

Result<std::vector<std::string>> list_candidates(int dir_fd, bool debug) {
  dirent** entries = nullptr;
  const int count = scandirat(dir_fd, ".", &entries, nullptr, alphasort);
  if (count < 0) return fail(std::string("Could not scan plugin dir: ") + std::strerror(errno), errno);
  // Frees scandir()'s array however this function is left.
  auto release = [count](dirent** list) {
    for (int i = 0; i < count; ++i) std::free(list[i]);
    std::free(list);
  };
  std::unique_ptr<dirent*, decltype(release)> owner(entries, release);
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    const char* name = entries[i]->d_name;
    const char* pattern = skip_pattern(name);
    if (pattern == nullptr) {
      names.emplace_back(name);
    } else if (debug) {
      std::fprintf(stderr, "Ignoring plugin dir entry \"%s\" matching pattern %s\n", name,
                   pattern);
    }
  }
  return names;
}

}  // namespace mandos::runner
