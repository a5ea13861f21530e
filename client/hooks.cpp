#include "hooks.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mandos/child.hpp"
#include "mandos/log.hpp"
#include "root_exec.hpp"

extern char** environ;

namespace mandos::client {
namespace {

bool hook_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-';
}

void set_variable(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  std::erase_if(env, [&](const std::string& entry) {
    return entry.compare(0, key.size() + 1, key + "=") == 0 ||
           (entry == key);  // a bare "KEY" entry would shadow nothing; drop it too
  });
  env.push_back(key + "=" + value);
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** var = environ; var != nullptr && *var != nullptr; ++var) env.emplace_back(*var);
  return env;
}

}  // namespace

bool valid_hook_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), hook_name_char);
}

Result<std::vector<std::string>> list_hooks(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) return std::vector<std::string>{};
    return fail("network hook directory " + dir + ": " + std::strerror(errno), errno);
  }
  std::vector<std::string> hooks;
  while (dirent* entry = ::readdir(handle)) {
    std::string name(entry->d_name);
    if (!valid_hook_name(name)) continue;
    struct stat st {};
    std::string path = dir + "/" + name;
    if (::stat(path.c_str(), &st) != 0) continue;  // dangling symlink
    if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) continue;
    hooks.push_back(std::move(name));
  }
  ::closedir(handle);
  std::sort(hooks.begin(), hooks.end());
  return hooks;
}

std::vector<std::string> hook_environment(const HookSettings& settings, std::string_view mode,
                                          const std::vector<std::string>& inherited) {
  std::vector<std::string> env = inherited;
  char delay[64];
  std::snprintf(delay, sizeof delay, "%f", settings.delay);
  set_variable(env, "MANDOSNETHOOKDIR", settings.dir);
  set_variable(env, "DEVICE", settings.device);
  set_variable(env, "MODE", std::string(mode));
  set_variable(env, "VERBOSITY", settings.debug ? "1" : "0");
  set_variable(env, "DELAY", delay);
  if (settings.connect) set_variable(env, "CONNECT", *settings.connect);
  return env;
}

void run_hooks(const HookSettings& settings, std::string_view mode) {
  auto hooks = list_hooks(settings.dir);
  if (!hooks) {
    log::warning("Warning: ", hooks.error().message);
    return;
  }
  std::vector<std::string> env = hook_environment(settings, mode, current_environment());
  for (const auto& name : *hooks) {
    log::debug("Running network hook \"", name, "\" with MODE=", mode);
    RootExec exec{settings.dir + "/" + name, {name}, env, std::nullopt};
    auto status = run_as_root(exec);
    if (!status) {
      log::warning("Warning: network hook \"", name, "\": ", status.error().message);
    } else if (*status != 0) {
      log::warning("Warning: network hook \"", name, "\" ", describe_wait_status(*status));
    }
  }
}

}  // namespace mandos::client
