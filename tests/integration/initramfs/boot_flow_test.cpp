// The boot half for real: both boot scripts and mandos-to-cryptroot-unlock
// run in a chroot of the fixture's initrd (boot_flow.sh, private mount, PID
// and network namespaces), with our plugin-runner and fakes for
// mandos-client and cryptroot-unlock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "initramfs_test_util.hpp"
#include "mandos/test/support.hpp"

namespace mandos::initramfs_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct BootFlow {
  int exit_code = -1;
  std::string err;
  std::string out_dir;
  std::string file(const std::string &name) const {
    const std::string path = out_dir + "/" + name;
    return exists(path) ? test::read_file(path) : std::string("<missing>");
  }
};

class BootScripts : public ::testing::Test {
protected:
  void SetUp() override {
    const std::string status = image_status();
    if (status.rfind("skip", 0) == 0)
      GTEST_SKIP() << "image not built: " << status;
    ASSERT_EQ(status, "ok")
        << "build_initrd.sh did not finish; see " << image_work_dir();
    work_ = std::make_unique<test::TempDir>("initramfs-boot");
  }

  BootFlow run_flow(const std::vector<std::string> &args) {
    std::vector<std::string> argv = {MANDOS_BOOT_FLOW_SCRIPT, tree_path(),
                                     work_->path()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::RunOptions options;
    options.timeout = std::chrono::seconds(120);
    const auto result = test::run(argv, options);
    return BootFlow{result.exited ? result.exit_code : -1, result.err,
                    work_->path() + "/out"};
  }

  std::unique_ptr<test::TempDir> work_;
};

const char *const kDisables =
    "--disable=askpass-fifo\n--disable=password-prompt\n--disable=plymouth\n";

TEST_F(BootScripts, PasswordFromPluginRunnerIsFedToCryptrootUnlock) {
  const auto flow = run_flow({"succeed", "root=/dev/mapper/root ro"});
  ASSERT_EQ(flow.exit_code, 0) << flow.err;
  EXPECT_EQ(flow.file("premount.rc"), "0\n") << flow.file("premount.log");
  EXPECT_EQ(flow.file("unlock-input"), "mandos test secret");
  EXPECT_EQ(flow.file("unlock-calls"), "called\n");
  // The helper cleaned up after itself before local-premount ran.
  EXPECT_EQ(flow.file("run.before"), "unlock-calls\nunlock-input\n");
  EXPECT_EQ(flow.file("processes.before"), "");
  EXPECT_EQ(flow.file("dummy.mode"), "755\n");
  EXPECT_EQ(flow.file("local.rc"), "0\n") << flow.file("local.log");
  // DEVICE=eth7 came from the initrd's conf.d (no ip=): prepended.
  EXPECT_EQ(flow.file("runner.conf"),
            "--options-for=mandos-client:--interface=eth7\n" +
                flow.file("runner.conf.before") + kDisables);
}

TEST_F(BootScripts, LocalPremountStopsAWaitingPluginRunnerAndCleansUp) {
  const auto flow = run_flow({"fail", "root=/dev/mapper/root ro"});
  ASSERT_EQ(flow.exit_code, 0) << flow.err;
  // Before: plugin-runner waits on the dummy plugin, flag and PID file exist.
  EXPECT_THAT(flow.file("processes.before"), HasSubstr("plugin-runner\n"));
  const std::string run_before = flow.file("run.before");
  EXPECT_THAT(run_before, HasSubstr("mandos-keep-running\n"));
  EXPECT_THAT(run_before, HasSubstr("mandos-plugin-runner.pid\n"));
  // local-premount returns only once plugin-runner is gone.
  EXPECT_EQ(flow.file("local.rc"), "0\n") << flow.file("local.log");
  EXPECT_THAT(flow.file("processes.after"), Not(HasSubstr("plugin-runner")));
  EXPECT_EQ(flow.file("processes.end"), "");
  EXPECT_EQ(flow.file("run.end"), "");
  EXPECT_EQ(flow.file("unlock-calls"), "<missing>");
}

TEST_F(BootScripts, MandosOffLeavesEverythingAlone) {
  const auto flow = run_flow({"none", "root=/dev/mapper/root mandos=off"});
  ASSERT_EQ(flow.exit_code, 0) << flow.err;
  EXPECT_EQ(flow.file("premount.rc"), "0\n");
  EXPECT_EQ(flow.file("runner.conf"), flow.file("runner.conf.before"));
  EXPECT_EQ(flow.file("run.before"), "");
  EXPECT_EQ(flow.file("processes.before"), "");
  EXPECT_EQ(flow.file("dummy.mode"), "<missing>");
}

TEST_F(BootScripts, ConnectParameterConfiguresNetworkingAndNamesTheServer) {
  const auto flow = run_flow(
      {"fail",
       "root=/dev/mapper/root ip=127.0.0.2::127.0.0.1:255.0.0.0:host:eth3:off "
       "mandos=connect:127.0.0.1:4711"});
  ASSERT_EQ(flow.exit_code, 0) << flow.err;
  EXPECT_EQ(flow.file("configure-networking"), "called\n");
  EXPECT_EQ(flow.file("runner.conf"),
            flow.file("runner.conf.before") +
                "--options-for=mandos-client:--interface=eth3\n"
                "--options-for=mandos-client:--connect=127.0.0.1:4711\n" +
                kDisables);
}

TEST_F(BootScripts, OldCryptsetupGetsPluginRunnerAsKeyscriptAndNoHelper) {
  const auto flow =
      run_flow({"none", "root=/dev/mapper/root", "old-cryptroot", "rootdev"});
  ASSERT_EQ(flow.exit_code, 0) << flow.err;
  EXPECT_EQ(flow.file("premount.rc"), "0\n") << flow.file("premount.log");
  EXPECT_EQ(flow.file("cryptroot"),
            "target=swap_crypt,source=/dev/sda3,resumedev,key=none\n"
            "target=root_crypt,source=/dev/sda2,rootdev,key=none,"
            "keyscript=/lib/mandos/plugin-runner\n"
            "target=data_crypt,source=/dev/sdb1,key=none\n"
            "target=other_crypt,source=/dev/sdc1,rootdev,keyscript=/lib/"
            "cryptsetup/scripts/other\n");
  EXPECT_THAT(
      flow.file("cryptroot.mandos-old"),
      HasSubstr("target=root_crypt,source=/dev/sda2,rootdev,key=none\n"));
  EXPECT_EQ(flow.file("run.before"), "");
  EXPECT_EQ(flow.file("dummy.mode"), "<missing>");
}

TEST_F(BootScripts, UnknownMandosWordIsWarnedAboutAtBoot) {
  const auto flow =
      run_flow({"none", "root=/dev/mapper/root mandos=bogus", "old-cryptroot"});
  ASSERT_EQ(flow.exit_code, 0) << flow.err;
  EXPECT_THAT(flow.file("premount.log"),
              HasSubstr("unknown word \"bogus\" in mandos="));
  EXPECT_EQ(flow.file("premount.rc"), "0\n");
}

} // namespace
} // namespace mandos::initramfs_test
