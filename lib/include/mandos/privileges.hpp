// Dropping root for good. Every program that parses untrusted input calls
// drop_privileges() before doing so; it verifies that root cannot be
// regained rather than trusting the return codes alone.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "mandos/result.hpp"

namespace mandos {

struct UserIds {
  uid_t uid;
  gid_t gid;
  bool operator==(const UserIds&) const = default;
};

// The passwd entry's uid and primary gid, if the user exists.
std::optional<UserIds> lookup_user(const std::string& name);
// The group's gid, if the group exists.
std::optional<gid_t> lookup_group(const std::string& name);

// The server's unprivileged identity, as the reference picks it: the first of
// _mandos/_mandos, mandos/mandos, nobody/nogroup whose user and group both
// exist; else 65534/65534.
UserIds resolve_server_user();

// Permanently becomes ids: supplementary groups cleared (when root), then
// real/effective/saved gid and uid set. Fails with code EPERM when not
// allowed (caller decides whether that is fatal). After success, verifies
// that setuid(0)/setgid(0) fail unless ids are root.
Status drop_privileges(UserIds ids);

}  // namespace mandos
