// Checks the initrd that build_initrd.sh (the CTest fixture) made with
// mkinitramfs from our staged install: what our hook put in, with which
// owners and modes, and that the programs run inside it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "initramfs_test_util.hpp"
#include "mandos/test/support.hpp"

namespace mandos::initramfs_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr uid_t kTestUid = 4711; // _mandos in the fixture's namespace
constexpr gid_t kTestGid = 4712;

std::string work(const std::string &name) {
  return image_work_dir() + "/" + name;
}
// The staged MANDOS_LIBEXECDIR (e.g. WORK/stage/usr/lib/x86_64-linux-gnu/mandos
// or WORK/stage/usr/lib/mandos, depending on the configured prefix).
std::string staged_libexec(const std::string &relative) {
  std::string libexec = test::read_file(work("libexec"));
  while (!libexec.empty() && libexec.back() == '\n')
    libexec.pop_back();
  return work("stage") + libexec + "/" + relative;
}

class InitrdImage : public ::testing::Test {
protected:
  void SetUp() override {
    const std::string status = image_status();
    if (status.rfind("skip", 0) == 0)
      GTEST_SKIP() << "image not built: " << status;
    ASSERT_EQ(status, "ok")
        << "build_initrd.sh did not finish; see " << image_work_dir();
  }

  static void expect_file(const std::string &relative, mode_t mode, uid_t uid,
                          gid_t gid) {
    const auto file = facts(tree_path(relative));
    ASSERT_TRUE(file) << relative << " is missing from the initrd";
    EXPECT_TRUE(S_ISREG(file->mode)) << relative;
    EXPECT_EQ(permissions(*file), mode) << relative << std::oct << " mode";
    EXPECT_EQ(file->uid, uid) << relative;
    EXPECT_EQ(file->gid, gid) << relative;
  }

  static void expect_same_content(const std::string &relative,
                                  const std::string &original) {
    ASSERT_TRUE(exists(tree_path(relative)))
        << relative << " is missing from the initrd";
    EXPECT_TRUE(test::read_file(tree_path(relative)) ==
                test::read_file(original))
        << relative << " differs from " << original;
  }
};

TEST_F(InitrdImage, ImageFileIsNotReadableByOthersBecauseOfUmask0027) {
  const std::string mode = test::read_file(work("initrd.mode"));
  EXPECT_EQ(mode, "640\n");
}

TEST_F(InitrdImage, ContainsOurPluginRunnerAndUnlockHelperUnderLibMandos) {
  expect_file("usr/lib/mandos/plugin-runner", 0755, 0, 0);
  expect_same_content("usr/lib/mandos/plugin-runner",
                      staged_libexec("plugin-runner"));
  expect_file("usr/lib/mandos/mandos-to-cryptroot-unlock", 0755, 0, 0);
  expect_same_content(
      "usr/lib/mandos/mandos-to-cryptroot-unlock",
      test::source_path("initramfs-tools/mandos-to-cryptroot-unlock"));
  // /lib is the usr-merged link, so the boot path /lib/mandos works.
  EXPECT_TRUE(exists(tree_path("lib/mandos/plugin-runner")));
}

TEST_F(InitrdImage, KeepsPackagedPluginsSetuidRootAndHelpersExecutable) {
  for (const char *plugin : {"mandos-client", "askpass-fifo", "plymouth"}) {
    const std::string relative =
        std::string("usr/lib/mandos/plugins.d/") + plugin;
    expect_file(relative, 04755, 0, 0);
    expect_same_content(relative,
                        staged_libexec(std::string("plugins.d/") + plugin));
  }
  expect_file("usr/lib/mandos/plugin-helpers/mandos-client-iprouteadddel", 0755,
              0, 0);
}

TEST_F(InitrdImage, AdministratorPluginReplacesPackagedPluginOfTheSameName) {
  expect_file("usr/lib/mandos/plugins.d/password-prompt", 0755, 0, 0);
  EXPECT_THAT(
      test::read_file(tree_path("usr/lib/mandos/plugins.d/password-prompt")),
      HasSubstr("admin plugin password-prompt"));
}

TEST_F(InitrdImage, AddsAdministratorPluginsAndHelpersButSkipsLeftoverNames) {
  expect_file("usr/lib/mandos/plugins.d/test-extra", 0755, 0, 0);
  expect_file("usr/lib/mandos/plugin-helpers/test-helper", 0755, 0, 0);
  for (const char *leftover :
       {"test-extra~", ".hidden", "#autosave#", "old.dpkg-old", "bak.dpkg-bak",
        "new.dpkg-new", "divert.dpkg-divert"}) {
    EXPECT_FALSE(
        exists(tree_path(std::string("usr/lib/mandos/plugins.d/") + leftover)))
        << leftover << " should have been skipped";
  }
}

TEST_F(InitrdImage, PluginDirectoriesArePrivateToTheUnprivilegedUser) {
  for (const char *dir :
       {"usr/lib/mandos/plugins.d", "usr/lib/mandos/plugin-helpers"}) {
    const auto facts_of_dir = facts(tree_path(dir));
    ASSERT_TRUE(facts_of_dir) << dir;
    EXPECT_TRUE(S_ISDIR(facts_of_dir->mode)) << dir;
    EXPECT_EQ(permissions(*facts_of_dir), 0700u) << dir;
    EXPECT_EQ(facts_of_dir->uid, kTestUid) << dir;
    EXPECT_EQ(facts_of_dir->gid, kTestGid) << dir;
  }
}

TEST_F(InitrdImage,
       PathsToMandosFilesAreOpenToTheUnprivilegedUserDespiteTheUmask) {
  for (const char *dir :
       {"usr", "usr/lib", "usr/lib/mandos", "usr/lib/mandos/network-hooks.d",
        "conf", "conf/conf.d", "conf/conf.d/mandos"}) {
    const auto facts_of_dir = facts(tree_path(dir));
    ASSERT_TRUE(facts_of_dir) << dir;
    EXPECT_EQ(permissions(*facts_of_dir) & 0005, 0005u)
        << dir << " is not world-searchable";
  }
}

TEST_F(InitrdImage, KeysAreOwnedByTheUnprivilegedUserWithMode0600) {
  for (const char *key : {"seckey.txt", "pubkey.txt", "tls-privkey.pem",
                          "tls-pubkey.pem", "dhparams.pem"}) {
    const std::string relative = std::string("conf/conf.d/mandos/") + key;
    expect_file(relative, 0600, kTestUid, kTestGid);
    expect_same_content(relative, work(std::string("keys/") + key));
  }
}

TEST_F(InitrdImage,
       PluginRunnerConfStartsWithIdsAndDhParamsThenTheAdministratorsLines) {
  expect_file("conf/conf.d/mandos/plugin-runner.conf", 0644, 0, 0);
  const auto lines = lines_of(
      test::read_file(tree_path("conf/conf.d/mandos/plugin-runner.conf")));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "--userid=4711",
                       "--groupid=4712",
                       "--options-for=mandos-client:--dh-params=/conf/conf.d/"
                       "mandos/dhparams.pem",
                       "# test configuration",
                       "--options-for=mandos-client:--retry=7",
                   }));
}

// Every library ldd names for our programs and GnuPG is in the image.
TEST_F(InitrdImage, ContainsEveryLibraryOurProgramsAndGnuPGNeed) {
  const std::vector<std::string> programs = {
      staged_libexec("plugin-runner"),
      staged_libexec("plugins.d/mandos-client"),
      staged_libexec("plugins.d/askpass-fifo"),
      staged_libexec("plugins.d/plymouth"),
      staged_libexec("plugin-helpers/mandos-client-iprouteadddel"),
      "/usr/bin/gpg",
      "/usr/bin/gpg-agent",
      "/usr/bin/gpgconf",
  };
  for (const auto &program : programs) {
    const auto ldd = shell("ldd '" + program +
                           "' | sed -n 's/.*=> \\(\\/[^ ]*\\).*/\\1/p; "
                           "s/^[[:space:]]*\\(\\/[^ ]*\\) (.*/\\1/p'");
    ASSERT_EQ(ldd.exit_code, 0) << program << ": " << ldd.err;
    const auto libraries = lines_of(ldd.out);
    EXPECT_FALSE(libraries.empty()) << program;
    for (const auto &library : libraries) {
      struct stat st {};
      EXPECT_EQ(::stat(tree_path(library.substr(1)).c_str(), &st), 0)
          << library << " (needed by " << program
          << ") is missing from the initrd";
    }
  }
}

TEST_F(InitrdImage, ContainsGpgconfGpgAndGpgAgent) {
  for (const char *program :
       {"usr/bin/gpgconf", "usr/bin/gpg", "usr/bin/gpg-agent"}) {
    const auto file = facts(tree_path(program));
    ASSERT_TRUE(file) << program;
    EXPECT_EQ(permissions(*file) & 0111, 0111u) << program;
  }
}

// Running inside the image proves the dynamic loader finds everything.
TEST_F(InitrdImage, ProgramsStartInsideTheImage) {
  const std::string tree = tree_path();
  const auto runner =
      shell("chroot '" + tree + "' /usr/lib/mandos/plugin-runner --version");
  EXPECT_EQ(runner.exit_code, 0) << runner.err;
  EXPECT_THAT(runner.out, HasSubstr("plugin-runner 1.8.16"));
  const auto client =
      shell("chroot '" + tree +
            "' /usr/lib/mandos/plugins.d/mandos-client --version");
  EXPECT_EQ(client.exit_code, 64) << client.err;
  EXPECT_THAT(client.out + client.err, HasSubstr("1.8.16"));
  const auto gpg = shell("chroot '" + tree + "' /usr/bin/gpg --version");
  EXPECT_EQ(gpg.exit_code, 0) << gpg.err;
  EXPECT_THAT(gpg.out, HasSubstr("GnuPG"));
}

TEST_F(InitrdImage, CopiesNetworkHooksWithValidNamesOnly) {
  expect_file("usr/lib/mandos/network-hooks.d/test-hook", 0755, 0, 0);
  expect_file("usr/lib/mandos/network-hooks.d/test-hook.conf", 0644, 0, 0);
  EXPECT_FALSE(exists(tree_path("usr/lib/mandos/network-hooks.d/bad@name")));
  EXPECT_FALSE(exists(tree_path("usr/lib/mandos/network-hooks.d/subdir")));
}

TEST_F(InitrdImage, RunsExecutableNetworkHooksToCollectTheirFilesAndModules) {
  const std::string runs = test::read_file(work("hook-runs.log"));
  const std::string dir = "DIR=/etc/mandos/network-hooks.d";
  EXPECT_TRUE(contains_line(
      runs, "MODE=files ARG=files VERBOSITY=0 DEVICE=eth7 " + dir))
      << runs;
  EXPECT_TRUE(contains_line(
      runs, "MODE=modules ARG=modules VERBOSITY=0 DEVICE=eth7 " + dir))
      << runs;
  EXPECT_EQ(test::read_file(tree_path("usr/lib/mandos/test-hook-data.txt")),
            "hook data\n");
  EXPECT_TRUE(exists(tree_path("usr/bin/true")));
  const std::string modules = test::read_file(tree_path("conf/modules"));
  EXPECT_TRUE(contains_line(modules, "mandos_test_module")) << modules;
  EXPECT_TRUE(contains_line(modules, "ipv6")) << modules;
}

TEST_F(InitrdImage, WarnsAboutAFileANetworkHookNeedsThatDoesNotExist) {
  EXPECT_THAT(test::read_file(work("mkinitramfs.log")),
              HasSubstr("W: mandos: file /nonexistent/mandos-test-file needed "
                        "by network hook "
                        "/etc/mandos/network-hooks.d/test-hook not found"));
}

TEST_F(InitrdImage, ContainsOurBootScriptsAndUmaskConf) {
  expect_same_content(
      "scripts/init-premount/mandos",
      test::source_path("initramfs-tools/scripts/init-premount/mandos"));
  expect_same_content(
      "scripts/local-premount/mandos",
      test::source_path("initramfs-tools/scripts/local-premount/mandos"));
  EXPECT_THAT(test::read_file(tree_path("conf/conf.d/mandos-conf")),
              HasSubstr("UMASK=0027"));
  // initramfs-tools orders boot scripts by their prereqs; ours are listed.
  EXPECT_THAT(test::read_file(tree_path("scripts/init-premount/ORDER")),
              HasSubstr("/scripts/init-premount/mandos"));
  EXPECT_THAT(test::read_file(tree_path("scripts/local-premount/ORDER")),
              HasSubstr("/scripts/local-premount/mandos"));
}

// cryptsetup >= 2 copies the crypttab entry unchanged; the password reaches
// it through cryptroot-unlock, which mandos-to-cryptroot-unlock feeds.
TEST_F(InitrdImage, CryptrootHasTheRootEntryAndTheUnlockToolsMandosFeeds) {
  const std::string crypttab = test::read_file(tree_path("cryptroot/crypttab"));
  EXPECT_THAT(
      crypttab,
      HasSubstr("mandos_test_root UUID=01234567-89ab-cdef-0123-456789abcdef"));
  EXPECT_TRUE(exists(tree_path("usr/bin/cryptroot-unlock")));
  EXPECT_TRUE(exists(tree_path("usr/lib/cryptsetup/askpass")));
}

TEST_F(InitrdImage, HookFailsNamingBothKeyDirectoriesWhenNeitherExists) {
  EXPECT_EQ(test::read_file(work("nokeys.rc")), "1\n");
  EXPECT_THAT(
      test::read_file(work("nokeys.err")),
      HasSubstr("no key directory /etc/keys/mandos or /etc/mandos/keys"));
}

TEST_F(InitrdImage, ListingShowsNoReferenceOnlyPlugins) {
  // The fixture hides an installed Debian mandos-client; its extra plugins
  // must not leak in.
  const std::string listing = test::read_file(work("listing.txt"));
  EXPECT_THAT(listing, Not(HasSubstr("plugins.d/usplash")));
  EXPECT_THAT(listing, Not(HasSubstr("plugins.d/splashy")));
  EXPECT_THAT(listing, HasSubstr("usr/lib/mandos/plugins.d/mandos-client"));
}

} // namespace
} // namespace mandos::initramfs_test
