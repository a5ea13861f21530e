// The Debian packages: built with dpkg-buildpackage from a copy of the tree
// (reusing this build's programs, whatever prefix it was configured for),
// then installed, started, reinstalled, upgraded, removed and purged with
// dpkg inside a throw-away overlay root (deb_scenario.sh explains
// why this never changes the machine, which may have Debian's own packages of
// the same names installed).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mandos/test/support.hpp"

namespace mandos::test {
namespace {

// Every check the scenario must report as passed. A check that is missing
// from its output (e.g. because the scenario stopped early) fails too.
const std::vector<std::string> kChecks = {
    "dpkg-buildpackage builds the packages",
    "exactly the packages mandos and mandos-client are built",
    "set-uid plugins and private directories are in the archive",
    "root starts without mandos packages or user",
    "dpkg installs both packages",
    "both packages are installed at version ",
    "postinst created the _mandos system user and group",
    "files have Debian's paths, modes and owners",
    "client postinst generated the keys with mandos-keygen",
    "client postinst showed the new key_id",
    "generated keys make a clients.conf entry",
    "client postinst rebuilt the initramfs",
    "mandos --check passes",
    "the installed server starts, finds its worker and saves its state as _mandos",
    "configuration files are conffiles",
    "mandos.service is enabled",
    "tmpfiles and sysusers snippets are installed",
    "dpkg reinstalls both packages",
    "changed conffiles survive a reinstall",
    "existing keys are kept on reinstall",
    "mandos --check passes with the changed configuration",
    "postinst adds missing TLS keys and keeps the OpenPGP keys",
    "dpkg upgrades both packages to a version with changed conffiles",
    "both packages are upgraded to version ",
    "the upgrade keeps changed conffiles and replaces unchanged ones",
    "mandos --check passes after the upgrade",
    "dpkg removes both packages",
    "client postrm rebuilt the initramfs on remove",
    "remove keeps conffiles, keys and state",
    "dpkg purges both packages",
    "purge removes configuration, keys, state and the unit's links",
    "purge leaves nothing behind",
    "this machine is unchanged",
};

// Checks that need Debian's own packages installed on this machine
// (tests/interop/install-reference.sh); "skip - NAME" without them.
const std::vector<std::string> kChecksWithDebiansPackages = {
    "upgrade from Debian's packages succeeds",
    "upgrade leaves our version installed",
    "upgrade keeps the keys Debian's postinst made",
    "upgrade keeps a changed conffile",
    "mandos --check passes with Debian's configuration",
};

// The build tree whose programs are packaged: MANDOS_PACKAGE_PREBUILT, else
// this one. MANDOS_PACKAGE_FULL_BUILD=1 builds the packages from scratch.
std::string prebuilt_tree() {
  const char* full = std::getenv("MANDOS_PACKAGE_FULL_BUILD");
  if (full != nullptr && std::string(full) == "1") return "";
  if (const char* dir = std::getenv("MANDOS_PACKAGE_PREBUILT"); dir && *dir) return dir;
  return MANDOS_BUILD_DIR;
}

TEST(DebPackages, InstallReinstallAndPurgeInAThrowAwayRootLeaveTheMachineUnchanged) {
  TempDir work("mandos-deb-test");
  RunOptions options;
  options.timeout = 540s;  // under the 600 s ctest limit of scripts/test
  auto result = run({"/bin/bash", source_path("tests/integration/install/deb_scenario.sh"),
                     MANDOS_SOURCE_DIR, prebuilt_tree(), work.path()},
                    options);
  if (result.exited && result.exit_code == 77) GTEST_SKIP() << result.out;
  std::cout << result.out;  // the scenario's check list, for the test log
  ASSERT_FALSE(result.timed_out) << "scenario timed out:\n" << result.out << result.err;
  SCOPED_TRACE("scenario output:\n" + result.out + result.err);
  for (const auto& check : kChecks) {
    EXPECT_THAT(result.out, ::testing::HasSubstr("ok - " + check)) << check;
  }
  for (const auto& check : kChecksWithDebiansPackages) {
    bool passed = result.out.find("ok - " + check) != std::string::npos;
    bool skipped = result.out.find("skip - " + check) != std::string::npos;
    EXPECT_TRUE(passed || skipped) << check;
  }
  EXPECT_THAT(result.out, ::testing::Not(::testing::HasSubstr("FAIL - ")));
  EXPECT_EQ(result.exit_code, 0);
}

}  // namespace
}  // namespace mandos::test
