#include "mandos/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mandos {
namespace {

Error os_error(const std::string& what) {
  return fail(what + ": " + std::strerror(errno), errno);
}

}  // namespace

std::optional<UserIds> lookup_user(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return UserIds{found->pw_uid, found->pw_gid};
}

std::optional<gid_t> lookup_group(const std::string& name) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return found->gr_gid;
}

UserIds resolve_server_user() {
  static const char* const kCandidates[][2] = {
      {"_mandos", "_mandos"}, {"mandos", "mandos"}, {"nobody", "nogroup"}};
  for (const auto& candidate : kCandidates) {
    auto user = lookup_user(candidate[0]);
    auto group = lookup_group(candidate[1]);
    if (user && group) return UserIds{user->uid, *group};
  }
  return UserIds{65534, 65534};
}

Status drop_privileges(UserIds ids) {
  // Phase 1: groups first, while we still may change them.
  if (::geteuid() == 0 && ::setgroups(1, &ids.gid) != 0) return os_error("setgroups");
  if (::setresgid(ids.gid, ids.gid, ids.gid) != 0) return os_error("setresgid");
  if (::setresuid(ids.uid, ids.uid, ids.uid) != 0) return os_error("setresuid");

  // Phase 2: verify. All three ids must match and root must be out of reach.
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0) {
    return os_error("getresuid");
  }
  if (ruid != ids.uid || euid != ids.uid || suid != ids.uid || rgid != ids.gid ||
      egid != ids.gid || sgid != ids.gid) {
    return fail("privilege drop did not take effect", EPERM);
  }
  if (ids.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
    return fail("privileges could be regained after dropping them", EPERM);
  }
  if (ids.gid != 0 && ids.uid != 0 && (::setgid(0) == 0 || ::setegid(0) == 0)) {
    return fail("group privileges could be regained after dropping them", EPERM);
  }
  return {};
}

}  // namespace mandos
