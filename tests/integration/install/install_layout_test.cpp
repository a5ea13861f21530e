// Staging install (`DESTDIR=... cmake --install BUILD`) of the whole tree:
// every file where Debian's mandos / mandos-client 1.8.16 packages have it,
// with their modes (reference initramfs.md §1), and nothing else.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mandos/test/support.hpp"

namespace mandos::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Configured install directories of this build (absolute, without DESTDIR).
const std::string kPrefix = MANDOS_INSTALL_PREFIX;
const std::string kSbin = MANDOS_INSTALL_SBINDIR;
// Fixed, whatever the prefix: where the programs look (conf/CMakeLists.txt).
const std::string kConf = MANDOS_INSTALL_CONFDIR;
const std::string kKeys = MANDOS_INSTALL_KEYDIR;
const std::string kState = MANDOS_INSTALL_STATEDIR;
const std::string kDefaultFile = MANDOS_INSTALL_DEFAULTFILE;
const std::string kDbusPolicies = MANDOS_INSTALL_DBUS_POLICYDIR;
const std::string kLibexec = MANDOS_INSTALL_LIBEXECDIR;
const std::string kUnitDir = MANDOS_INSTALL_UNITDIR;
const std::string kManDir = MANDOS_INSTALL_MANDIR;
const std::string kDracut = kPrefix + "/lib/dracut/modules.d/90mandos";
const std::string kInitramfs = kPrefix + "/share/initramfs-tools";

enum class Kind { File, Directory };
enum class Presence { Required, Optional };  // Optional: not every part exists yet

struct Expected {
  std::string path;
  Kind kind;
  mode_t mode;  // including S_ISUID
  Presence presence = Presence::Required;
};

std::vector<Expected> expected_layout() {
  using K = Kind;
  const auto opt = Presence::Optional;
  return {
      // Package mandos.
      {kSbin + "/mandos", K::File, 0755},
      {kSbin + "/mandos-ctl", K::File, 0755},
      {kSbin + "/mandos-monitor", K::File, 0755},
      {kLibexec + "/mandos-tls-worker", K::File, 0755},
      {kConf, K::Directory, 0755},
      {kConf + "/mandos.conf", K::File, 0644},
      {kConf + "/clients.conf", K::File, 0600},
      {kDefaultFile, K::File, 0644},
      {kDbusPolicies + "/mandos.conf", K::File, 0644},
      {kUnitDir + "/mandos.service", K::File, 0644},
      {kPrefix + "/lib/sysusers.d/mandos.conf", K::File, 0644},
      {kPrefix + "/lib/tmpfiles.d/mandos.conf", K::File, 0644},
      {kState, K::Directory, 0700},
      // Package mandos-client.
      {kSbin + "/mandos-keygen", K::File, 0755},
      {kConf + "/plugin-runner.conf", K::File, 0644},
      {kConf + "/plugins.d", K::Directory, 0700},
      {kConf + "/plugin-helpers", K::Directory, 0700},
      {kConf + "/network-hooks.d", K::Directory, 0755},
      {kKeys, K::Directory, 0700},
      {kLibexec, K::Directory, 0755},
      {kLibexec + "/plugin-runner", K::File, 0755},
      {kLibexec + "/mandos-to-cryptroot-unlock", K::File, 0755},
      {kLibexec + "/plugins.d", K::Directory, 0700},
      {kLibexec + "/plugins.d/mandos-client", K::File, 04755},
      {kLibexec + "/plugins.d/askpass-fifo", K::File, 04755},
      {kLibexec + "/plugins.d/plymouth", K::File, 04755},
      {kLibexec + "/plugins.d/password-prompt", K::File, 0755},
      {kLibexec + "/plugin-helpers", K::Directory, 0700},
      {kLibexec + "/plugin-helpers/mandos-client-iprouteadddel", K::File, 0755},
      {kDracut, K::Directory, 0755},
      {kDracut + "/password-agent", K::File, 0755},
      {kDracut + "/ask-password-mandos.path", K::File, 0644},
      {kDracut + "/ask-password-mandos.service", K::File, 0644},
      {kDracut + "/module-setup.sh", K::File, 0755, opt},
      {kDracut + "/cmdline-mandos.sh", K::File, 0755, opt},
      {kPrefix + "/lib/sysusers.d/mandos-client.conf", K::File, 0644},
      {kInitramfs + "/hooks/mandos", K::File, 0755},
      {kInitramfs + "/scripts/init-premount/mandos", K::File, 0755},
      {kInitramfs + "/scripts/local-premount/mandos", K::File, 0755},
      {kInitramfs + "/conf.d/mandos-conf", K::File, 0644},
      {kInitramfs + "/conf-hooks.d/zz-mandos", K::File, 0644},
  };
}

// Manual pages, uncompressed (dh_compress gzips them in the packages):
// each package's programs and files, as in Debian's packages.
std::vector<Expected> expected_manual_pages() {
  const std::vector<std::string> pages = {
      // Package mandos.
      "man8/mandos.8", "man8/mandos-ctl.8", "man8/mandos-monitor.8", "man5/mandos.conf.5",
      "man5/mandos-clients.conf.5", "man8/intro.8mandos",
      // Package mandos-client.
      "man8/mandos-keygen.8", "man8/plugin-runner.8mandos", "man8/mandos-client.8mandos",
      "man8/password-prompt.8mandos", "man8/askpass-fifo.8mandos", "man8/plymouth.8mandos",
      "man8/password-agent.8mandos"};
  std::vector<Expected> expected;
  expected.push_back({kManDir, Kind::Directory, 0755});
  expected.push_back({kManDir + "/man5", Kind::Directory, 0755});
  expected.push_back({kManDir + "/man8", Kind::Directory, 0755});
  for (const auto& page : pages) expected.push_back({kManDir + "/" + page, Kind::File, 0644});
  return expected;
}

std::vector<Expected> expected_everything() {
  auto all = expected_layout();
  auto pages = expected_manual_pages();
  all.insert(all.end(), pages.begin(), pages.end());
  return all;
}

std::string octal(mode_t mode) {
  char text[16];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
  return text;
}

// One staging install per test; the tree is removed afterwards.
class InstallLayout : public ::testing::Test {
 protected:
  void SetUp() override {
    RunOptions options;
    options.env_add = {"DESTDIR=" + stage_.path()};
    options.timeout = 300s;
    auto result = run({MANDOS_CMAKE_COMMAND, "--install", MANDOS_BUILD_DIR}, options);
    ASSERT_TRUE(result.exited && result.exit_code == 0)
        << "cmake --install failed (are all programs built?):\n" << result.err;
  }

  std::string staged(const std::string& path) const { return stage_.path() + path; }

  // Every entry of the staging tree, by installed path.
  std::map<std::string, struct stat> walk() const {
    std::map<std::string, struct stat> entries;
    for (const auto& entry : fs::recursive_directory_iterator(stage_.path())) {
      struct stat st {};
      EXPECT_EQ(::lstat(entry.path().c_str(), &st), 0) << entry.path();
      entries[entry.path().string().substr(stage_.path().size())] = st;
    }
    return entries;
  }

  TempDir stage_{"mandos-install-layout"};
};

TEST_F(InstallLayout, PutsEveryFileWhereDebianHasItWithItsMode) {
  auto entries = walk();
  for (const auto& want : expected_everything()) {
    auto found = entries.find(want.path);
    if (found == entries.end()) {
      EXPECT_EQ(want.presence, Presence::Optional) << want.path << " is not installed";
      continue;
    }
    const struct stat& st = found->second;
    EXPECT_EQ(want.kind == Kind::Directory, S_ISDIR(st.st_mode) != 0)
        << want.path << " has the wrong type";
    if (want.kind == Kind::File) {
      EXPECT_TRUE(S_ISREG(st.st_mode)) << want.path;
    }
    EXPECT_EQ(octal(st.st_mode & 07777), octal(want.mode)) << want.path;
  }
}

TEST_F(InstallLayout, InstallsNothingTheTableDoesNotName) {
  std::set<std::string> named;
  for (const auto& want : expected_everything()) named.insert(want.path);
  for (const auto& [path, st] : walk()) {
    if (named.count(path) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      // Parents such as /usr/lib: the usual mode.
      EXPECT_EQ(octal(st.st_mode & 07777), "0755") << "directory " << path;
    } else {
      ADD_FAILURE() << path << " is installed but not in expected_layout(): add it with its "
                    << "mode, and to debian/<package>.install";
    }
  }
}

TEST_F(InstallLayout, GivesEverythingToRootWhenInstalledAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (as in CI) to install root-owned files";
  for (const auto& [path, st] : walk()) {
    EXPECT_EQ(st.st_uid, 0u) << path;
    EXPECT_EQ(st.st_gid, 0u) << path;
  }
}

TEST_F(InstallLayout, ExampleConfigurationPassesTheServersCheck) {
  auto result = run({build_path("server/mandos"), "--check", "--configdir",
                     staged(kConf)});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("mandos.conf is valid"));
  EXPECT_THAT(result.out, HasSubstr("clients.conf is valid (0 clients)"));
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("FAIL - " + staged(kConf))));
}

TEST_F(InstallLayout, InstallingAgainKeepsChangedConfigurationFiles) {
  const std::vector<std::string> configs = {kConf + "/mandos.conf", kConf + "/clients.conf",
                                            kConf + "/plugin-runner.conf", kDefaultFile};
  for (const auto& config : configs) {
    write_file(staged(config), "# changed by the administrator\n", 0640);
  }
  ::unlink(staged(kSbin + "/mandos").c_str());  // a program: replaced
  RunOptions options;
  options.env_add = {"DESTDIR=" + stage_.path()};
  options.timeout = 300s;
  auto again = run({MANDOS_CMAKE_COMMAND, "--install", MANDOS_BUILD_DIR}, options);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const auto& config : configs) {
    EXPECT_EQ(read_file(staged(config)), "# changed by the administrator\n") << config;
    struct stat st {};
    ASSERT_EQ(::stat(staged(config).c_str(), &st), 0);
    EXPECT_EQ(octal(st.st_mode & 07777), "0640") << config;
    EXPECT_THAT(again.out, HasSubstr("Keeping existing: " + staged(config)));
  }
  EXPECT_EQ(::access(staged(kSbin + "/mandos").c_str(), X_OK), 0);
}

// The example files are written so that removing one ";" from the start of
// each line that has one turns on every setting and example client.
std::string uncommented(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    size_t skip = text.compare(start, 1, ";") == 0 ? 1 : 0;
    out.append(text, start + skip, end - start - skip).push_back('\n');
    start = end + 1;
  }
  return out;
}

TEST_F(InstallLayout, EverySettingOfTheExamplesIsValidWhenUncommented) {
  TempDir configdir("mandos-install-examples");
  std::string server_conf = uncommented(read_file(staged(kConf + "/mandos.conf")));
  std::string clients_conf = uncommented(read_file(staged(kConf + "/clients.conf")));
  ASSERT_THAT(server_conf, HasSubstr("\npriority = "));
  ASSERT_THAT(clients_conf, HasSubstr("\n[alpha]\n"));
  write_file(configdir.file("mandos.conf"), server_conf);
  write_file(configdir.file("clients.conf"), clients_conf, 0600);
  auto result = run({build_path("server/mandos"), "--check", "--configdir", configdir.path()});
  EXPECT_THAT(result.out, HasSubstr("ok - " + configdir.path() + "/mandos.conf is valid"));
  EXPECT_THAT(result.out,
              HasSubstr("ok - " + configdir.path() + "/clients.conf is valid (2 clients)"));
  // The second example reads its secret from a file that does not exist here.
  EXPECT_THAT(result.out, HasSubstr("FAIL - every secfile is readable"));
}

// Lines of a unit file or snippet, without comments and blank lines.
std::vector<std::string> setting_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::string text = read_file(path);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line[0] != '#' && line[0] != ';') lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

TEST_F(InstallLayout, ServerUnitHasTheReferenceSettingsAndHardening) {
  auto lines = setting_lines(staged(kUnitDir + "/mandos.service"));
  const std::vector<std::string> wanted = {
           "After=avahi-daemon.service",
           "Requisite=avahi-daemon.service",
           "BusName=se.recompile.Mandos",
           "EnvironmentFile=" + kDefaultFile,
           "ExecStart=" + kSbin + "/mandos --foreground $DAEMON_ARGS",
           "Restart=always",
           "KillMode=mixed",
           "CapabilityBoundingSet=CAP_KILL CAP_SETGID CAP_SETUID CAP_DAC_OVERRIDE CAP_NET_RAW",
           "ProtectSystem=strict",
           "ReadWritePaths=-" + kState,
           "ProtectHome=yes",
           "PrivateTmp=yes",
           "PrivateDevices=yes",
           "WantedBy=multi-user.target",
  };
  for (const auto& want : wanted) {
    EXPECT_THAT(lines, ::testing::Contains(want));
  }
  // Would make the kernel ignore fping's file capability (the default checker).
  EXPECT_THAT(lines, ::testing::Not(::testing::Contains(HasSubstr("NoNewPrivileges"))));
}

// What systemd-analyze says about a unit file's settings.
std::string systemd_verdict(const std::string& unit) {
  auto result = run({"/usr/bin/systemd-analyze", "verify", "--man=no", unit});
  return result.err;
}

void expect_no_rejected_setting(const std::string& verdict, const std::string& unit) {
  for (const char* complaint : {"ignoring", "Unknown", "Failed to parse", "Invalid"}) {
    EXPECT_THAT(verdict, ::testing::Not(HasSubstr(complaint))) << unit;
  }
}

TEST_F(InstallLayout, SystemdAcceptsEverySettingOfTheUnits) {
  ASSERT_EQ(::access("/usr/bin/systemd-analyze", X_OK), 0)
      << "needs systemd-analyze (package systemd; it need not be running)";
  // The check itself: systemd reports a setting it rejects with "ignoring".
  TempDir scratch("mandos-unit-check");
  write_file(scratch.file("broken.service"),
             "[Service]\nExecStart=/bin/true\nProtectSystem=bogus\n");
  ASSERT_THAT(systemd_verdict(scratch.file("broken.service")), HasSubstr("ignoring"));
  // Dependencies are looked up among this machine's units (avahi-daemon);
  // the initrd units name programs that exist only in the initrd.
  for (const std::string& unit :
       {kUnitDir + "/mandos.service", kDracut + "/ask-password-mandos.path",
        kDracut + "/ask-password-mandos.service"}) {
    expect_no_rejected_setting(systemd_verdict(staged(unit)), unit);
  }
}

TEST_F(InstallLayout, UserAndStateDirectorySnippetsNameMandosUser) {
  EXPECT_THAT(setting_lines(staged(kPrefix + "/lib/tmpfiles.d/mandos.conf")),
              ::testing::ElementsAre("d " + kState + " 0700 _mandos _mandos -"));
  for (const char* name : {"mandos.conf", "mandos-client.conf"}) {
    EXPECT_THAT(setting_lines(staged(kPrefix + "/lib/sysusers.d/" + name)),
                ::testing::ElementsAre(
                    "u _mandos - \"Mandos password system\" /nonexistent /usr/sbin/nologin"))
        << name;
  }
}

TEST_F(InstallLayout, PasswordAgentUnitsRunTheInitrdPaths) {
  auto path = setting_lines(staged(kDracut + "/ask-password-mandos.path"));
  EXPECT_THAT(path, ::testing::IsSupersetOf(
                        {"DefaultDependencies=no", "Before=basic.target shutdown.target",
                         "Conflicts=shutdown.target", "ConditionKernelCommandLine=!mandos=off",
                         "ConditionFileIsExecutable=/lib/mandos/password-agent",
                         "ConditionPathIsMountPoint=!/sysroot",
                         "PathExistsGlob=/run/systemd/ask-password/ask.*", "MakeDirectory=yes"}));
  auto service = setting_lines(staged(kDracut + "/ask-password-mandos.service"));
  EXPECT_THAT(service,
              ::testing::IsSupersetOf(
                  {"DefaultDependencies=no", "ConditionKernelCommandLine=!mandos=off",
                   "ConditionFileIsExecutable=/lib/mandos/password-agent",
                   "ConditionFileIsExecutable=/lib/mandos/mandos-client",
                   "ConditionFileNotEmpty=/etc/mandos/keys/pubkey.txt",
                   "ConditionFileNotEmpty=/etc/mandos/keys/seckey.txt",
                   "ConditionFileNotEmpty=/etc/mandos/keys/tls-pubkey.pem",
                   "ConditionFileNotEmpty=/etc/mandos/keys/tls-privkey.pem",
                   "ConditionPathIsMountPoint=!/sysroot",
                   "ExecStart=/lib/mandos/password-agent $PASSWORD_AGENT_OPTIONS -- "
                   "/lib/mandos/mandos-client --pubkey=/etc/mandos/keys/pubkey.txt "
                   "--seckey=/etc/mandos/keys/seckey.txt "
                   "--tls-pubkey=/etc/mandos/keys/tls-pubkey.pem "
                   "--tls-privkey=/etc/mandos/keys/tls-privkey.pem $MANDOS_CLIENT_OPTIONS"}));
}

TEST_F(InstallLayout, ExamplePluginRunnerConfigurationSetsNoOption) {
  // plugin-runner drops everything from '#'; what is left are options.
  std::string text = read_file(staged(kConf + "/plugin-runner.conf"));
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    line = line.substr(0, line.find('#'));
    EXPECT_EQ(line.find_first_not_of(" \t\r\f\v"), std::string::npos) << "active: " << line;
    start = end + 1;
  }
}

TEST_F(InstallLayout, DefaultFileGivesEmptyDaemonArguments) {
  auto result = run({"/bin/sh", "-c", ". \"$1\" && printf '[%s]' \"$DAEMON_ARGS\"", "sh",
                     staged(kDefaultFile)});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "[]");
}

}  // namespace
}  // namespace mandos::test
