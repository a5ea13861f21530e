// plugin-runner and its plugins against Debian's mandos-client 1.8.16 (label
// interop). The plugin contract (plugin-runner.md §9) holds both ways:
// Debian's plugin-runner runs our mandos-client, password-prompt and
// askpass-fifo, ours runs Debian's, and both runners given the same
// configuration file and command line start the same plugins with the same
// arguments, environment and identity, report the same option errors and
// fall back to getpass(3) alike.
//
// Needs root: plugins are installed as their packages install them (set-uid
// root copies) in a plugin directory the runner, switched to an unprivileged
// user, can read; askpass-fifo's fixed FIFO path is replaced in a private
// mount namespace. Skips loudly without root or without the reference.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mandos/test/support.hpp"
#include "reference_server.hpp"
#include "runner_test_helpers.hpp"

namespace mandos::test {
namespace {

const std::string kDebianDir = "/usr/lib/x86_64-linux-gnu/mandos";
const std::string kFifo = "/lib/cryptsetup/passfifo";

enum class Origin { kDebian, kOurs };

std::string origin_name(Origin origin) { return origin == Origin::kDebian ? "Debian" : "ours"; }

std::string runner_binary(Origin origin) {
  return origin == Origin::kDebian ? kDebianDir + "/plugin-runner"
                                   : built("plugin-runner/plugin-runner");
}

std::string plugin_binary(Origin origin, const std::string& name) {
  if (origin == Origin::kDebian) return kDebianDir + "/plugins.d/" + name;
  if (name == "mandos-client") return built("client/mandos-client");
  return built("plugins.d/" + name);
}

// As both packages install them: only password-prompt is not set-uid root.
mode_t installed_mode(const std::string& name) {
  return name == "password-prompt" ? 0755 : 04755;
}

std::string join(const std::vector<std::string>& items, char separator) {
  std::string result;
  for (const auto& item : items) {
    if (!result.empty()) result += separator;
    result += item;
  }
  return result;
}

// Empty when the interop scenarios can run, else why not.
std::string why_unavailable() {
  if (::geteuid() != 0) return "needs root (set-uid plugins, user switching, mount namespaces)";
  std::string reason = client::interop::ensure_reference_installed();
  if (!reason.empty()) return reason;
  if (::access(runner_binary(Origin::kDebian).c_str(), X_OK) != 0) {
    return runner_binary(Origin::kDebian) + " missing";
  }
  return "";
}

// Name -> content of every file in dir.
std::map<std::string, std::string> files_in(const std::string& dir) {
  std::map<std::string, std::string> result;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    result[entry.path().filename()] = read_file(entry.path());
  }
  return result;
}

class RunnerInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    static const std::string reason = why_unavailable();
    if (!reason.empty()) {
      GTEST_SKIP() << "*** SKIPPED: Debian's mandos-client 1.8.16 interop cannot run: " << reason
                   << " ***";
    }
    struct statvfs fs {};
    if (::statvfs(dir_.path().c_str(), &fs) == 0 && (fs.f_flag & ST_NOSUID) != 0) {
      GTEST_SKIP() << "*** SKIPPED: " << dir_.path()
                   << " is on a nosuid file system; the plugins need their set-uid bit ***";
    }
    write_file(empty_config_, "");
    reset_plugin_dir();
  }

  void reset_plugin_dir() {
    remove_tree(plugin_dir_);
    ASSERT_EQ(::mkdir(plugin_dir_.c_str(), 0755), 0);
  }

  // Copies a binary into the plugin directory as NAME, owned by root with
  // its installed mode.
  void install(const std::string& from, const std::string& name, mode_t mode) {
    const std::string to = plugin_dir_ + "/" + name;
    std::filesystem::copy_file(from, to);
    ASSERT_EQ(::chown(to.c_str(), 0, 0), 0);
    ASSERT_EQ(::chmod(to.c_str(), mode), 0);
  }
  void install(Origin origin, const std::string& name) {
    install(plugin_binary(origin, name), name, installed_mode(name));
  }

  std::vector<std::string> runner_command(Origin origin, const std::vector<std::string>& args,
                                          const std::string& config = "") const {
    std::vector<std::string> argv{runner_binary(origin), "--plugin-dir=" + plugin_dir_,
                                  "--config-file=" + (config.empty() ? empty_config_ : config)};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  TempDir dir_{"runner-interop"};
  const std::string plugin_dir_ = dir_.file("plugins.d");
  const std::string empty_config_ = dir_.file("empty.conf");
};

// ---- mandos-client -----------------------------------------------------------

// Processes started as "mandos-client" (the name runners give it) that are
// still children of this test, which is their subreaper.
std::vector<pid_t> clients_left() {
  std::vector<pid_t> left;
  for (pid_t pid : children_of(::getpid())) {
    const std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    if (cmdline.compare(0, 14, std::string("mandos-client\0", 14)) == 0) left.push_back(pid);
  }
  return left;
}

TEST_F(RunnerInterop, EachRunnerPrintsTheSecretOfEachMandosClientAndStopsALosingOne) {
  become_subreaper();
  // One server for all four pairs: making its keys takes seconds.
  const std::string secret("runner interop\0\xff\t secret\n", 25);
  client::interop::ReferenceServer server(secret);
  const auto client_args = server.client_arguments(server.keys());
  const std::string rest =
      join(std::vector<std::string>(client_args.begin() + 1, client_args.end()), ',');
  // --connect on its own, the rest in a second --options-for (they add up).
  const std::vector<std::string> options{"--options-for=mandos-client:" + client_args.front(),
                                         "--options-for=mandos-client:" + rest};
  // Nothing listens there: the client keeps retrying until another plugin
  // answers and the runner stops it with SIGTERM.
  const std::vector<std::string> losing_options{
      "--options-for=mandos-client:--connect=::1:" + std::to_string(free_tcp_port()) +
          ",--retry=1",
      "--options-for=mandos-client:" + rest};
  // Answers once the runner's mandos-client has started (argv[0] is the
  // plugin's name) and had a moment to get going.
  const std::string answers_second =
      "#!/bin/sh\n"
      "n=0\n"
      "while ! pgrep -P $PPID -f '^mandos-client ' >/dev/null && [ $n -lt 200 ]; do\n"
      "  sleep 0.05; n=$((n+1))\n"
      "done\n"
      "sleep 0.3\n"
      "printf 'other answer'\n";
  RunOptions run_options;
  run_options.timeout = 30s;
  for (Origin runner : {Origin::kDebian, Origin::kOurs}) {
    for (Origin client : {Origin::kDebian, Origin::kOurs}) {
      SCOPED_TRACE(origin_name(runner) + " plugin-runner, " + origin_name(client) +
                   " mandos-client");
      reset_plugin_dir();
      install(client, "mandos-client");
      const auto result = run(runner_command(runner, options), run_options);
      EXPECT_FALSE(result.timed_out);
      EXPECT_EQ(result.exit_code, 0) << result.err << "\n--- server:\n" << server.log();
      EXPECT_EQ(result.out, secret) << result.err;

      write_file(plugin_dir_ + "/answers-second", answers_second, 0755);
      const auto lost = run(runner_command(runner, losing_options), run_options);
      EXPECT_FALSE(lost.timed_out) << "the runner waited for a client ignoring SIGTERM";
      EXPECT_EQ(lost.exit_code, 0) << lost.err;
      EXPECT_EQ(lost.out, "other answer") << lost.err;
      EXPECT_TRUE(wait_until([] { return clients_left().empty(); }, 5s));
    }
  }
}

// ---- password-prompt and askpass-fifo on the console -------------------------

struct ConsoleCase {
  Origin runner;
  Origin plugins;
  bool fifo_wins;  // else the typed password wins
};

void PrintTo(const ConsoleCase& c, std::ostream* os) {
  *os << origin_name(c.runner) << " runner, " << origin_name(c.plugins) << " plugins, "
      << (c.fifo_wins ? "FIFO" : "typed password") << " first";
}

std::string console_case_name(const ::testing::TestParamInfo<ConsoleCase>& info) {
  const auto& c = info.param;
  return (c.runner == Origin::kDebian ? std::string("DebianRunner") : "OurRunner") +
         (c.plugins == Origin::kDebian ? "DebianPlugins" : "OurPlugins") +
         (c.fifo_wins ? "FifoWins" : "TypedWins");
}

// Both plugins race on one console, as in an initramfs: password-prompt on
// the pseudo-terminal, askpass-fifo on /lib/cryptsetup/passfifo (an empty
// /usr/lib/cryptsetup in a private mount namespace).
class ConsoleInterop : public RunnerInterop, public ::testing::WithParamInterface<ConsoleCase> {
 protected:
  void SetUp() override {
    RunnerInterop::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (::access("/run/plymouth/pid", F_OK) == 0) {
      GTEST_SKIP() << "*** SKIPPED: plymouthd runs here; password-prompt would step aside ***";
    }
    namespace_ = std::make_unique<PrivateMountNamespace>();
    if (!namespace_->ok()) GTEST_SKIP() << "*** SKIPPED: " << namespace_->reason() << " ***";
    overlay("/usr/lib", dir_.path());
    std::filesystem::remove_all("/usr/lib/cryptsetup");
    ASSERT_EQ(::mkdir("/usr/lib/cryptsetup", 0755), 0);
    become_subreaper();
  }
  void TearDown() override { namespace_.reset(); }

  static bool fifo_exists() {
    struct stat st;
    return ::stat(kFifo.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
  }

  // Opening without O_NONBLOCK would hang for good if askpass-fifo died;
  // ENXIO means it has not opened its end yet.
  static UniqueFd open_fifo_writer() {
    UniqueFd fd;
    wait_until(
        [&] {
          fd.reset(::open(kFifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
          return fd.valid();
        },
        10s);
    return fd;
  }

  std::unique_ptr<PrivateMountNamespace> namespace_;
};

TEST_P(ConsoleInterop, TheFirstAnswerIsPrintedAndTheTerminalRestored) {
  const ConsoleCase& c = GetParam();
  install(c.plugins, "password-prompt");
  install(c.plugins, "askpass-fifo");
  // A clean environment: the runner passes it on; password-prompt words its
  // prompt from it.
  const std::vector<std::string> env{"PATH=/usr/bin:/bin", "CRYPTTAB_SOURCE=/dev/sda2",
                                     "CRYPTTAB_NAME=root"};
  PtyChild child(runner_command(c.runner, {"--options-for=password-prompt:--prefix=Mandos:"}),
                 env);
  const std::string prompt = "Mandos: Unlocking the disk /dev/sda2 (root)\nEnter passphrase: ";
  ASSERT_TRUE(child.read_until(prompt)) << child.terminal_output();
  EXPECT_EQ(child.terminal_output(), prompt);
  EXPECT_FALSE(child.echo_enabled());
  // Both plugins are waiting before either gets its answer.
  ASSERT_TRUE(wait_until(fifo_exists, 10s)) << child.terminal_output();
  UniqueFd writer = open_fifo_writer();
  ASSERT_TRUE(writer.valid()) << "askpass-fifo did not open " << kFifo << ": "
                              << child.terminal_output();

  std::string expected;
  if (c.fifo_wins) {
    expected.assign("fifo\0pass\n", 10);  // unchanged: NUL and newline kept
    ASSERT_EQ(::write(writer.get(), expected.data(), expected.size()),
              static_cast<ssize_t>(expected.size()));
    writer.reset();
  } else {
    child.type("typed pass\n");
    expected = "typed pass";  // without its newline
  }
  const auto result = child.finish(20s);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0) << child.terminal_output();
  EXPECT_EQ(result.out, expected);
  // Whichever plugin lost, the terminal is back to echoing, nothing typed
  // was echoed, and the losing plugin is gone (no orphan, no zombie).
  EXPECT_TRUE(child.echo_enabled());
  // password-prompt ends its line, also when stopped by SIGTERM (Debian's
  // and ours alike); nothing typed was echoed.
  EXPECT_EQ(child.terminal_output(), prompt + "\n");
  EXPECT_TRUE(wait_until([] { return children_of(::getpid()).empty(); }, 5s));
}

INSTANTIATE_TEST_SUITE_P(
    BothWays, ConsoleInterop,
    ::testing::Values(ConsoleCase{Origin::kDebian, Origin::kOurs, false},
                      ConsoleCase{Origin::kDebian, Origin::kOurs, true},
                      ConsoleCase{Origin::kOurs, Origin::kDebian, false},
                      ConsoleCase{Origin::kOurs, Origin::kDebian, true},
                      // Same-origin pairs: the baseline the mixed pairs match.
                      ConsoleCase{Origin::kDebian, Origin::kDebian, true},
                      ConsoleCase{Origin::kOurs, Origin::kOurs, true}),
    console_case_name);

// ---- every plugin fails -------------------------------------------------------

TEST_F(RunnerInterop, WhenEveryPluginFailsBothRunnersFallBackToGetpassAlike) {
  // One plugin fails at once, one fails after printing output that must
  // not be used. Both runners then ask with getpass(3) on the terminal.
  write_file(plugin_dir_ + "/fails", "#!/bin/sh\nexit 3\n", 0755);
  write_file(plugin_dir_ + "/prints-then-fails", "#!/bin/sh\nprintf 'not this'\nexit 1\n",
             0755);
  std::map<Origin, std::string> terminal;
  for (Origin runner : {Origin::kDebian, Origin::kOurs}) {
    SCOPED_TRACE(origin_name(runner) + " plugin-runner");
    PtyChild child(runner_command(runner, {}), {"PATH=/usr/bin:/bin"});
    ASSERT_TRUE(child.read_until("Password: ")) << child.terminal_output();
    EXPECT_FALSE(child.echo_enabled());
    child.type("fallback pw\n");
    const auto result = child.finish(20s);
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 0) << child.terminal_output();
    EXPECT_EQ(result.out, "fallback pw");  // one trailing newline stripped
    EXPECT_TRUE(child.echo_enabled());
    terminal[runner] = child.terminal_output();
  }
  EXPECT_EQ(terminal[Origin::kDebian],
            "Going to fallback mode using getpass(3)\nPassword: \n");
  EXPECT_EQ(terminal[Origin::kOurs], terminal[Origin::kDebian]);
}

// ---- option errors --------------------------------------------------------------

struct ErrorCase {
  std::string name;
  std::vector<std::string> args;  // after --plugin-dir/--config-file
  std::string config;             // configuration file text
  int status;                     // the reference's exit status
  bool falls_back;                // asks with getpass(3) instead of using plugins
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

std::string error_case_name(const ::testing::TestParamInfo<ErrorCase>& info) {
  return info.param.name;
}

class SameErrors : public RunnerInterop, public ::testing::WithParamInterface<ErrorCase> {};

// Run on a terminal: stderr (messages) and the fallback prompt both appear
// there, in the order the runner wrote them.
TEST_P(SameErrors, BothRunnersReportFallBackAndExitAlike) {
  const ErrorCase& c = GetParam();
  write_file(plugin_dir_ + "/ok", "#!/bin/sh\nprintf 'from plugin'\n", 0755);
  const std::string config = dir_.file("errors.conf");
  write_file(config, c.config);
  std::map<Origin, std::pair<RunResult, std::string>> seen;
  for (Origin runner : {Origin::kDebian, Origin::kOurs}) {
    SCOPED_TRACE(origin_name(runner) + " plugin-runner");
    PtyChild child(runner_command(runner, c.args, config), {"PATH=/usr/bin:/bin"});
    if (c.falls_back) {
      ASSERT_TRUE(child.read_until("Password: ")) << child.terminal_output();
      child.type("typed\n");
    }
    const auto result = child.finish(20s);
    EXPECT_FALSE(result.timed_out);
    // Messages from argp and error() name the program as started.
    std::string terminal = child.terminal_output();
    const std::string path = runner_binary(runner);
    for (size_t at; (at = terminal.find(path)) != std::string::npos;) {
      terminal.replace(at, path.size(), "PROGRAM");
    }
    seen[runner] = {result, terminal};
  }
  const auto& [debian, debian_terminal] = seen[Origin::kDebian];
  const auto& [ours, our_terminal] = seen[Origin::kOurs];
  EXPECT_EQ(debian.exit_code, c.status) << debian_terminal;
  EXPECT_EQ(debian.out, c.falls_back ? "typed" : "from plugin");
  EXPECT_EQ(debian_terminal.find("Going to fallback mode using getpass(3)\n") !=
                std::string::npos,
            c.falls_back)
      << debian_terminal;
  EXPECT_EQ(ours.exit_code, debian.exit_code) << our_terminal;
  EXPECT_EQ(ours.out, debian.out);
  EXPECT_EQ(our_terminal, debian_terminal);
}

INSTANTIATE_TEST_SUITE_P(
    DebianAndOurs, SameErrors,
    ::testing::Values(
        ErrorCase{"NoColonOnTheCommandLine", {"-o", "nocolon"}, "", 64, true},
        ErrorCase{"EmptyPluginName", {"--env-for=:VAR=1"}, "", 64, true},
        ErrorCase{"UnknownOption", {"--bogus"}, "", 64, true},
        ErrorCase{"ExtraArgument", {"extra"}, "", 64, true},
        ErrorCase{"NoColonInTheConfigFile", {}, "-o nocolon\n", 78, true},
        ErrorCase{"SeveralErrorsInTheConfigFile", {}, "--userid=x extra\n", 78, true},
        ErrorCase{"MissingPluginDirectory", {"--plugin-dir=/nonexistent"}, "", 69, true},
        ErrorCase{"BadIdsAreOnlyWarnings", {"--userid=abc", "--groupid=-1"}, "", 0, false}),
    error_case_name);

// ---- the same options, the same plugins started ------------------------------

struct OptionsCase {
  std::string name;
  std::string config;             // configuration file text
  std::vector<std::string> args;  // command line after --plugin-dir/--config-file
  std::set<std::string> started;  // plugins expected to run
  // Lines that must appear in a started plugin's record (its argument line
  // is "[arg1][arg2]...", then uid, gid, then the sorted environment).
  std::vector<std::pair<std::string, std::string>> lines;
};

void PrintTo(const OptionsCase& c, std::ostream* os) { *os << c.name; }

std::string options_case_name(const ::testing::TestParamInfo<OptionsCase>& info) {
  return info.param.name;
}

class SameOptions : public RunnerInterop, public ::testing::WithParamInterface<OptionsCase> {
 protected:
  struct Outcome {
    RunResult result;
    std::map<std::string, std::string> records;
  };

  // Records how it was started (ignoring SIGTERM, so a plugin started by
  // mistake always leaves its record), then fails; omega waits until all
  // plugins expected to start have recorded, then answers.
  std::string plugin_script(const std::string& name, size_t expected_records) const {
    std::string script =
        "#!/bin/sh\n"
        "trap '' TERM\n"
        "log=" + log_dir_ + "/" + name + "\n"
        "{ for a in \"$@\"; do printf '[%s]' \"$a\"; done; echo; id -u; id -g;"
        " env | LC_ALL=C sort; } >\"$log.tmp\"\n"
        "mv \"$log.tmp\" \"$log.record\"\n";
    if (name != "omega") return script + "exit 1\n";
    return script +
           "n=0\n"
           "while [ \"$(ls " + log_dir_ + " | grep -c '\\.record$')\" -lt " +
           std::to_string(expected_records) + " ] && [ $n -lt 500 ]; do\n"
           "  sleep 0.02; n=$((n+1))\n"
           "done\n"
           "printf 'omega won:'; for a in \"$@\"; do printf '[%s]' \"$a\"; done\n";
  }

  void make_plugins(size_t expected_records) {
    for (const char* name : {"alpha", "beta", "gamma", "omega"}) {
      write_file(plugin_dir_ + "/" + name, plugin_script(name, expected_records), 0755);
    }
    // Never started by either runner: hidden, editor and dpkg leftovers, not
    // executable, not a regular file.
    for (const char* name : {".hidden", "#alpha#", "alpha~", "alpha.dpkg-new", "alpha.dpkg-old",
                             "alpha.dpkg-bak", "alpha.dpkg-divert"}) {
      write_file(plugin_dir_ + "/" + name, plugin_script(name, expected_records), 0755);
    }
    write_file(plugin_dir_ + "/not-executable", plugin_script("not-executable", 0), 0644);
    ASSERT_EQ(::mkdir((plugin_dir_ + "/directory").c_str(), 0755), 0);
  }

  Outcome run_with(Origin origin, const std::string& config) {
    remove_tree(log_dir_);
    EXPECT_EQ(::mkdir(log_dir_.c_str(), 0777), 0);
    EXPECT_EQ(::chmod(log_dir_.c_str(), 0777), 0);  // the runner drops to another user
    RunOptions options;
    options.timeout = 30s;
    // What a keyscript inherits, in part: both runners must pass it on.
    options.environment = std::vector<std::string>{
        "PATH=/usr/bin:/bin", "INHERITED=base", "OVERRIDDEN=inherited",
        "CRYPTTAB_SOURCE=/dev/sdz9"};
    Outcome outcome;
    outcome.result = run(runner_command(origin, GetParam().args, config), options);
    outcome.records = files_in(log_dir_);
    return outcome;
  }

  const std::string log_dir_ = dir_.file("records");
};

TEST_P(SameOptions, BothRunnersStartTheSamePluginsTheSameWay) {
  const OptionsCase& c = GetParam();
  make_plugins(c.started.size());
  const std::string config = dir_.file("plugin-runner.conf");
  write_file(config, c.config);
  const Outcome debian = run_with(Origin::kDebian, config);
  const Outcome ours = run_with(Origin::kOurs, config);

  // The reference's behaviour is what the contract says ...
  EXPECT_EQ(debian.result.exit_code, 0) << debian.result.err;
  std::set<std::string> started;
  for (const auto& [file, text] : debian.records) {
    const std::string suffix = ".record";
    const bool complete = file.size() > suffix.size() &&
                          file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
    started.insert(complete ? file.substr(0, file.size() - suffix.size()) : file);
  }
  EXPECT_EQ(started, c.started);
  for (const auto& [plugin, line] : c.lines) {
    const auto record = debian.records.find(plugin + ".record");
    ASSERT_NE(record, debian.records.end()) << plugin;
    EXPECT_NE(("\n" + record->second).find("\n" + line + "\n"), std::string::npos)
        << plugin << " lacks line \"" << line << "\" in:\n"
        << record->second;
  }
  // ... and ours does exactly the same.
  EXPECT_EQ(ours.result.exit_code, debian.result.exit_code) << ours.result.err;
  EXPECT_EQ(ours.result.out, debian.result.out);
  EXPECT_EQ(ours.result.err, debian.result.err);
  EXPECT_EQ(ours.records, debian.records);
}

const std::string kAdminConfig =
    "# plugin-runner.conf as an administrator might write it\n"
    "--global-options=--g1,,--g2   # the empty item is kept\n"
    "-o alpha:--a1,--a2=x=y\n"
    "--options-for=alpha:--a3\n"
    "\t--env-for=alpha:ONLY_ALPHA=1 -E beta:OVERRIDDEN=for-beta\n"
    "-G GLOBAL=one\n"
    "--global-env=GLOBAL=two\n"
    "-G OVERRIDDEN=global\n"
    "-d gamma\n"
    "--disable=nonexistent\n";

INSTANTIATE_TEST_SUITE_P(
    DebianAndOurs, SameOptions,
    ::testing::Values(
        OptionsCase{"ConfigFileOnly",
                    kAdminConfig,
                    {},
                    {"alpha", "beta", "omega"},
                    {{"alpha", "[--a1][--a2=x=y][--a3][--g1][][--g2]"},
                     {"alpha", "ONLY_ALPHA=1"},
                     {"alpha", "GLOBAL=two"},
                     {"alpha", "OVERRIDDEN=global"},
                     {"alpha", "INHERITED=base"},
                     {"alpha", "CRYPTTAB_SOURCE=/dev/sdz9"},
                     {"alpha", "65534"},
                     {"beta", "[--g1][][--g2]"},
                     {"beta", "OVERRIDDEN=for-beta"}}},
        OptionsCase{"CommandLineAfterConfigFile",
                    kAdminConfig,
                    {"--enable=gamma", "--disable=beta", "-G", "GLOBAL=three", "-E",
                     "alpha:ONLY_ALPHA=2", "-o", "gamma:--late", "--global-options=--g3",
                     "--userid=1", "--groupid=1"},
                    {"alpha", "gamma", "omega"},
                    {{"alpha", "[--a1][--a2=x=y][--a3][--g1][][--g2][--g3]"},
                     {"alpha", "ONLY_ALPHA=2"},
                     {"alpha", "GLOBAL=three"},
                     {"alpha", "1"},
                     {"gamma", "[--late][--g1][][--g2][--g3]"},
                     {"gamma", "OVERRIDDEN=global"}}},
        OptionsCase{"HelperDirectoryAndEnvironmentPrecedence",
                    "--config-file=/nonexistent/ignored-in-a-config-file\n"
                    "-G MANDOSPLUGINHELPERDIR=from-global-env\n"
                    "-E alpha:MANDOSPLUGINHELPERDIR=alpha-own\n"
                    "-E gamma:INHERITED=\n"
                    "-d alpha -d beta\n",
                    {"", "--plugin-helper-dir=/opt/helpers", "-e", "alpha", "--env-for",
                     "omega:WINNER=yes"},
                    {"alpha", "gamma", "omega"},
                    {{"alpha", "MANDOSPLUGINHELPERDIR=alpha-own"},
                     {"gamma", "MANDOSPLUGINHELPERDIR=/opt/helpers"},
                     {"gamma", "INHERITED="},
                     {"omega", "WINNER=yes"}}}),
    options_case_name);

}  // namespace
}  // namespace mandos::test
