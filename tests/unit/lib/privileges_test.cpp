#include "mandos/privileges.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <gtest/gtest.h>

namespace mandos {
namespace {

// Runs body in a forked child (privilege changes are irreversible) and
// returns its exit status; body returns the status to exit with.
template <class Body>
int in_child(Body body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

TEST(Privileges, LooksUpRootAndMissesNonexistentUsers) {
  auto root = lookup_user("root");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->uid, 0u);
  EXPECT_FALSE(lookup_user("no-such-user-mandos-test").has_value());
  EXPECT_FALSE(lookup_group("no-such-group-mandos-test").has_value());
}

TEST(Privileges, ServerUserFallsBackThroughTheReferenceCandidates) {
  UserIds ids = resolve_server_user();
  if (auto mandos = lookup_user("_mandos"); mandos && lookup_group("_mandos")) {
    EXPECT_EQ(ids.uid, mandos->uid);
    EXPECT_EQ(ids.gid, *lookup_group("_mandos"));
  } else if (auto nobody = lookup_user("nobody"); nobody && lookup_group("nogroup") &&
                                                   !lookup_user("mandos")) {
    EXPECT_EQ(ids.uid, nobody->uid);
    EXPECT_EQ(ids.gid, *lookup_group("nogroup"));
  }
  EXPECT_NE(ids.uid, 0u);
}

TEST(Privileges, DropIsPermanentWhenRunAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: run the suite as root (CI does)";
  int status = in_child([] {
    if (!drop_privileges(UserIds{65534, 65534}).ok()) return 1;
    if (::getuid() != 65534 || ::geteuid() != 65534 || ::getgid() != 65534) return 2;
    if (::setuid(0) == 0 || ::seteuid(0) == 0) return 3;
    gid_t groups[8];
    int count = ::getgroups(8, groups);
    if (count != 1 || groups[0] != 65534) return 4;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

TEST(Privileges, DropFailsWithEpermWhenNotAllowed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to first become another user";
  int status = in_child([] {
    if (!drop_privileges(UserIds{65534, 65534}).ok()) return 1;
    auto again = drop_privileges(UserIds{1, 1});
    return (!again.ok() && again.error().code == EPERM) ? 0 : 2;
  });
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace mandos
