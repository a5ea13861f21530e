#include "hooks.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "mandos/test/support.hpp"

namespace mandos::client {
namespace {

using test::TempDir;
using test::write_file;

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(HookNames, AllowOnlyLettersDigitsUnderscoreDotAndDash) {
  for (const char* name : {"a", "10-net", "A_b.c-d", "wpa.sh", "x.dpkg-old"}) {
    EXPECT_TRUE(valid_hook_name(name)) << name;
  }
  for (const char* name : {"", "backup~", "#auto#", "has space", "semi;colon", "dollar$",
                           "\xc3\xa9t\xc3\xa9", "tab\t"}) {
    EXPECT_FALSE(valid_hook_name(name)) << name;
  }
}

TEST(HookListing, TakesExecutableRegularFilesWithValidNamesInByteOrder) {
  TempDir dir("hooks-test");
  write_file(dir.file("b-second"), "#!/bin/sh\n", 0755);
  write_file(dir.file("A-upper"), "#!/bin/sh\n", 0700);
  write_file(dir.file("10-first"), "#!/bin/sh\n", 0755);
  write_file(dir.file("2-number"), "#!/bin/sh\n", 0710);
  write_file(dir.file("only-group-x"), "#!/bin/sh\n", 0610);
  auto hooks = list_hooks(dir.path());
  ASSERT_TRUE(hooks.ok()) << hooks.error().message;
  EXPECT_EQ(*hooks, (std::vector<std::string>{"10-first", "2-number", "A-upper", "b-second",
                                               "only-group-x"}));
}

TEST(HookListing, SkipsInvalidNamesNonExecutablesDirectoriesAndDanglingLinks) {
  TempDir dir("hooks-test");
  write_file(dir.file("good"), "#!/bin/sh\n", 0755);
  write_file(dir.file("bad~"), "#!/bin/sh\n", 0755);
  write_file(dir.file("#bad#"), "#!/bin/sh\n", 0755);
  write_file(dir.file("not-executable"), "#!/bin/sh\n", 0644);
  ASSERT_EQ(::mkdir(dir.file("a-directory").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/nonexistent/hook", dir.file("dangling").c_str()), 0);
  ASSERT_EQ(::symlink("good", dir.file("link-to-good").c_str()), 0);
  auto hooks = list_hooks(dir.path());
  ASSERT_TRUE(hooks.ok()) << hooks.error().message;
  EXPECT_EQ(*hooks, (std::vector<std::string>{"good", "link-to-good"}));
}

TEST(HookListing, AMissingDirectoryHasNoHooks) {
  auto hooks = list_hooks("/nonexistent/network-hooks.d");
  ASSERT_TRUE(hooks.ok());
  EXPECT_TRUE(hooks->empty());
}

TEST(HookListing, AnUnreadableDirectoryIsAnErrorNamingIt) {
  TempDir dir("hooks-test");
  std::string file = dir.file("not-a-dir");
  write_file(file, "", 0644);
  auto hooks = list_hooks(file);
  ASSERT_FALSE(hooks.ok());
  EXPECT_NE(hooks.error().message.find(file), std::string::npos);
}

TEST(HookEnvironment, SetsTheDocumentedVariablesOverridingInheritedOnes) {
  HookSettings settings;
  settings.dir = "/lib/mandos/network-hooks.d";
  settings.device = "eth0,none";
  settings.debug = true;
  settings.delay = 2.5;
  settings.connect = "::1:4711";
  auto env = hook_environment(settings, "start",
                              {"PATH=/bin", "DEVICE=old", "MODE=old", "OTHER=kept"});
  EXPECT_TRUE(contains(env, "PATH=/bin"));
  EXPECT_TRUE(contains(env, "OTHER=kept"));
  EXPECT_TRUE(contains(env, "MANDOSNETHOOKDIR=/lib/mandos/network-hooks.d"));
  EXPECT_TRUE(contains(env, "DEVICE=eth0,none"));
  EXPECT_TRUE(contains(env, "MODE=start"));
  EXPECT_TRUE(contains(env, "VERBOSITY=1"));
  EXPECT_TRUE(contains(env, "DELAY=2.500000"));
  EXPECT_TRUE(contains(env, "CONNECT=::1:4711"));
  EXPECT_FALSE(contains(env, "DEVICE=old"));
  EXPECT_FALSE(contains(env, "MODE=old"));
}

TEST(HookEnvironment, LeavesConnectUnsetWithoutConnectAndDeviceEmptyWithoutInterfaces) {
  HookSettings settings;
  settings.dir = "/h";
  settings.delay = 0.125;
  auto env = hook_environment(settings, "stop", {"CONNECT=stale"});
  EXPECT_TRUE(contains(env, "DEVICE="));
  EXPECT_TRUE(contains(env, "VERBOSITY=0"));
  EXPECT_TRUE(contains(env, "DELAY=0.125000"));
  EXPECT_TRUE(contains(env, "MODE=stop"));
  EXPECT_TRUE(contains(env, "CONNECT=stale"));  // only set, never removed
  EXPECT_EQ(std::count_if(env.begin(), env.end(),
                          [](const std::string& e) { return e.rfind("CONNECT=", 0) == 0; }),
            1);
}

TEST(HookRunning, RunsHooksInOrderWithOnlyTheNameAsArgumentAndStdoutOnStderr) {
  TempDir dir("hooks-run");
  std::string log = dir.file("log");
  std::string script = "#!/bin/sh\necho \"$(basename \"$0\") $MODE $# $DEVICE\" >> " + log +
                       "\necho to-stdout\nexit 3\n";
  write_file(dir.file("20-b"), script, 0755);
  write_file(dir.file("10-a"), script, 0755);
  write_file(dir.file("skip~"), script, 0755);
  HookSettings settings;
  settings.dir = dir.path();
  settings.device = "eth7";
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  run_hooks(settings, "start");
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(test::read_file(log), "10-a start 0 eth7\n20-b start 0 eth7\n");
  EXPECT_EQ(out.find("to-stdout"), std::string::npos);
  EXPECT_NE(err.find("to-stdout\nto-stdout\n"), std::string::npos) << err;
}

}  // namespace
}  // namespace mandos::client
