#include "options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace mandos::keygen {
namespace {

using ::testing::HasSubstr;

// argv for getopt_long: mutable copies, argv[0] = "mandos-keygen".
struct Args {
  explicit Args(std::vector<std::string> words) : storage(std::move(words)) {
    storage.insert(storage.begin(), "mandos-keygen");
    for (std::string& word : storage) pointers.push_back(word.data());
    pointers.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(storage.size()); }
  char** argv() { return pointers.data(); }
  std::vector<std::string> storage;
  std::vector<char*> pointers;
};

struct Parsed {
  Result<Command> result;
  std::string err;  // what getopt_long printed
};

Parsed parse(std::vector<std::string> words) {
  Args args(std::move(words));
  testing::internal::CaptureStderr();
  auto result = parse_command_line(args.argc(), args.argv());
  return {std::move(result), testing::internal::GetCapturedStderr()};
}

TEST(KeygenOptions, HasTheReferenceDefaults) {
  auto parsed = parse({});
  ASSERT_TRUE(parsed.result.ok());
  const Settings& s = parsed.result->settings;
  EXPECT_EQ(parsed.result->action, Action::kRun);
  EXPECT_EQ(s.mode, Mode::kGenerateKeys);
  EXPECT_FALSE(s.dir.has_value());
  EXPECT_EQ(s.key_type, "RSA");
  EXPECT_EQ(s.key_length, "4096");
  EXPECT_EQ(s.subkey_type, "RSA");
  EXPECT_EQ(s.subkey_length, "4096");
  EXPECT_FALSE(s.name.has_value());
  EXPECT_EQ(s.email, "");
  EXPECT_EQ(s.comment, "");
  EXPECT_EQ(s.expire, "0");
  EXPECT_EQ(s.tls_key_type, "ed25519");
  EXPECT_FALSE(s.force);
  EXPECT_TRUE(s.ssh);
  EXPECT_EQ(s.passfile, "");
}

TEST(KeygenOptions, ReadsEveryLongOption) {
  auto parsed = parse({"--dir", "D", "--type", "DSA", "--length", "2048", "--subtype", "ELG-E",
                       "--sublength", "3072", "--name", "N", "--email", "e@x", "--comment", "C",
                       "--expire", "2y", "--tls-keytype", "rsa", "--force", "--no-ssh"});
  ASSERT_TRUE(parsed.result.ok()) << parsed.err;
  const Settings& s = parsed.result->settings;
  EXPECT_EQ(*s.dir, "D");
  EXPECT_EQ(s.key_type, "DSA");
  EXPECT_EQ(s.key_length, "2048");
  EXPECT_EQ(s.subkey_type, "ELG-E");
  EXPECT_EQ(s.subkey_length, "3072");
  EXPECT_EQ(*s.name, "N");
  EXPECT_EQ(s.email, "e@x");
  EXPECT_EQ(s.comment, "C");
  EXPECT_EQ(s.expire, "2y");
  EXPECT_EQ(s.tls_key_type, "rsa");
  EXPECT_TRUE(s.force);
  EXPECT_FALSE(s.ssh);
}

TEST(KeygenOptions, ReadsEveryShortOption) {
  auto parsed = parse({"-dD", "-t", "DSA", "-l2048", "-s", "ELG-E", "-L", "3072", "-n", "N", "-e",
                       "e@x", "-c", "C", "-x", "2y", "-T", "rsa", "-fS"});
  ASSERT_TRUE(parsed.result.ok()) << parsed.err;
  const Settings& s = parsed.result->settings;
  EXPECT_EQ(*s.dir, "D");
  EXPECT_EQ(s.key_type, "DSA");
  EXPECT_EQ(s.key_length, "2048");
  EXPECT_EQ(s.subkey_type, "ELG-E");
  EXPECT_EQ(s.subkey_length, "3072");
  EXPECT_EQ(*s.name, "N");
  EXPECT_EQ(s.email, "e@x");
  EXPECT_EQ(s.comment, "C");
  EXPECT_EQ(s.expire, "2y");
  EXPECT_EQ(s.tls_key_type, "rsa");
  EXPECT_TRUE(s.force);
  EXPECT_FALSE(s.ssh);
}

TEST(KeygenOptions, AcceptsUnambiguousAbbreviationsOfLongOptions) {
  auto parsed = parse({"--subt=DSA", "--subl", "1024", "--tls", "ecdsa", "--no", "--passf=f"});
  ASSERT_TRUE(parsed.result.ok()) << parsed.err;
  EXPECT_EQ(parsed.result->settings.subkey_type, "DSA");
  EXPECT_EQ(parsed.result->settings.subkey_length, "1024");
  EXPECT_EQ(parsed.result->settings.tls_key_type, "ecdsa");
  EXPECT_FALSE(parsed.result->settings.ssh);
  EXPECT_EQ(parsed.result->settings.passfile, "f");
}

TEST(KeygenOptions, RejectsAnAmbiguousAbbreviationListingTheCandidates) {
  auto parsed = parse({"--pass"});
  ASSERT_FALSE(parsed.result.ok());
  EXPECT_EQ(parsed.result.error().code, 1);
  EXPECT_THAT(parsed.err, HasSubstr("mandos-keygen: option '--pass' is ambiguous"));
  EXPECT_THAT(parsed.err, HasSubstr("'--password'"));
  EXPECT_THAT(parsed.err, HasSubstr("'--passfile'"));
}

TEST(KeygenOptions, ReportsEveryUnknownOptionAsGetoptDoes) {
  auto parsed = parse({"--bogus", "-q", "-v"});
  ASSERT_FALSE(parsed.result.ok());
  EXPECT_EQ(parsed.result.error().code, 1);
  EXPECT_EQ(parsed.result.error().message, "");
  EXPECT_THAT(parsed.err, HasSubstr("mandos-keygen: unrecognized option '--bogus'"));
  EXPECT_THAT(parsed.err, HasSubstr("mandos-keygen: invalid option -- 'q'"));
}

TEST(KeygenOptions, ReportsAMissingArgument) {
  auto parsed = parse({"--dir"});
  ASSERT_FALSE(parsed.result.ok());
  EXPECT_THAT(parsed.err, HasSubstr("mandos-keygen: option '--dir' requires an argument"));
  auto short_form = parse({"-n"});
  ASSERT_FALSE(short_form.result.ok());
  EXPECT_THAT(short_form.err, HasSubstr("mandos-keygen: option requires an argument -- 'n'"));
}

TEST(KeygenOptions, ReportsAnArgumentGivenToAFlag) {
  auto parsed = parse({"--force=yes"});
  ASSERT_FALSE(parsed.result.ok());
  EXPECT_THAT(parsed.err, HasSubstr("mandos-keygen: option '--force' doesn't allow an argument"));
}

TEST(KeygenOptions, PermutesOptionsAfterOperandsAndNamesTheOperands) {
  auto parsed = parse({"extra", "--name", "N", "more words"});
  ASSERT_FALSE(parsed.result.ok());
  EXPECT_EQ(parsed.result.error().code, 1);
  EXPECT_EQ(parsed.result.error().message, "Unknown arguments: 'extra more words'");
}

TEST(KeygenOptions, TreatsEverythingAfterDoubleDashAsOperands) {
  auto parsed = parse({"--", "--name"});
  ASSERT_FALSE(parsed.result.ok());
  EXPECT_EQ(parsed.result.error().message, "Unknown arguments: '--name'");
}

TEST(KeygenOptions, PassfileMaySelectAFileWhoseNameStartsWithADash) {
  auto parsed = parse({"--passfile", "-secret", "-F", "--also"});
  ASSERT_TRUE(parsed.result.ok()) << parsed.err;
  EXPECT_EQ(parsed.result->settings.mode, Mode::kEncryptPassword);
  EXPECT_EQ(parsed.result->settings.passfile, "--also");
}

TEST(KeygenOptions, PasswordSelectsPasswordModeWithoutAFile) {
  auto parsed = parse({"-p"});
  ASSERT_TRUE(parsed.result.ok());
  EXPECT_EQ(parsed.result->settings.mode, Mode::kEncryptPassword);
  EXPECT_EQ(parsed.result->settings.passfile, "");
}

TEST(KeygenOptions, FirstOfVersionAndHelpWinsEvenBeforeOperands) {
  auto version = parse({"-d", "/nonexistent", "--version", "--help", "stray"});
  ASSERT_TRUE(version.result.ok());
  EXPECT_EQ(version.result->action, Action::kShowVersion);
  auto help = parse({"-h", "-v"});
  ASSERT_TRUE(help.result.ok());
  EXPECT_EQ(help.result->action, Action::kShowHelp);
}

TEST(KeygenOptions, AnOptionErrorBeatsVersion) {
  auto parsed = parse({"-v", "--nope"});
  EXPECT_FALSE(parsed.result.ok());
}

TEST(KeygenOptions, LaterValuesOverrideEarlierOnes) {
  auto parsed = parse({"-n", "a", "--name=b", "-l", "1024", "--length", "2048"});
  ASSERT_TRUE(parsed.result.ok());
  EXPECT_EQ(*parsed.result->settings.name, "b");
  EXPECT_EQ(parsed.result->settings.key_length, "2048");
}

TEST(KeygenOptions, HelpNamesEveryOptionAndTheProgramBasename) {
  const std::string help = help_text("/usr/sbin/mandos-keygen");
  EXPECT_THAT(help, HasSubstr("Usage: mandos-keygen [ -v | --version ]"));
  for (const char* option : {"--version", "--help", "--dir", "--type", "--length", "--subtype",
                             "--sublength", "--name", "--email", "--comment", "--expire",
                             "--tls-keytype", "--force", "--password", "--passfile",
                             "--no-ssh"}) {
    EXPECT_THAT(help, HasSubstr(option));
  }
}

// --- validation ---

class KeygenValidation : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/keygen-options-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    ::chmod(dir_.c_str(), 0700);
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
  Settings settings_;
};

TEST_F(KeygenValidation, AcceptsTheDefaults) {
  EXPECT_TRUE(check_key_dir(dir_).ok());
  EXPECT_TRUE(check_keygen_settings(settings_, dir_, "host").ok());
}

TEST_F(KeygenValidation, RejectsAMissingDirectoryNamingIt) {
  auto status = check_key_dir(dir_ + "/missing");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, dir_ + "/missing not a directory");
  EXPECT_EQ(status.error().code, 1);
}

TEST_F(KeygenValidation, RejectsAFileGivenAsDirectory) {
  const std::string file = dir_ + "/file";
  ASSERT_EQ(::close(::creat(file.c_str(), 0600)), 0);
  auto status = check_key_dir(file);
  ::unlink(file.c_str());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, file + " not a directory");
}

// The message of `check` run in a child as user "nobody" (65534) when we
// are root, since root may read and write any directory; else in-process.
std::string message_unprivileged(const std::function<Status()>& check) {
  auto message_of = [&] {
    Status status = check();
    return status.ok() ? std::string("ok") : status.error().message;
  };
  if (::geteuid() != 0) return message_of();
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(2);
    }
    const std::string text = message_of();
    (void)!::write(fds[1], text.data(), text.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return text;
}

TEST_F(KeygenValidation, RejectsAnUnreadableDirectory) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0300), 0);
  EXPECT_EQ(message_unprivileged([&] { return check_key_dir(dir_); }),
            "Directory " + dir_ + " not readable");
}

TEST_F(KeygenValidation, RejectsAnUnwriteableDirectoryForKeyGeneration) {
  ASSERT_EQ(::chmod(dir_.c_str(), ::geteuid() == 0 ? 0755 : 0500), 0);
  EXPECT_EQ(message_unprivileged([&] { return check_key_dir(dir_); }), "ok");
  EXPECT_EQ(message_unprivileged([&] { return check_keygen_settings(settings_, dir_, "host"); }),
            "Directory " + dir_ + " not writeable");
}

TEST_F(KeygenValidation, RejectsAnEmptyKeyType) {
  settings_.key_type = "";
  auto status = check_keygen_settings(settings_, dir_, "host");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "Empty key type");
}

TEST_F(KeygenValidation, RejectsAnEmptyKeyName) {
  auto status = check_keygen_settings(settings_, dir_, "");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "Empty key name");
}

TEST_F(KeygenValidation, ChecksKeyTypeBeforeNameBeforeLengthBeforeExpiry) {
  settings_.key_type = "";
  settings_.key_length = "1";
  settings_.expire = "";
  EXPECT_EQ(check_keygen_settings(settings_, dir_, "").error().message, "Empty key type");
  settings_.key_type = "RSA";
  EXPECT_EQ(check_keygen_settings(settings_, dir_, "").error().message, "Empty key name");
  EXPECT_EQ(check_keygen_settings(settings_, dir_, "h").error().message, "Invalid key length");
  settings_.key_length = "512";
  EXPECT_EQ(check_keygen_settings(settings_, dir_, "h").error().message, "Empty key expiration");
}

TEST_F(KeygenValidation, RejectsKeyLengthsBelow512OrNotNumbers) {
  for (const char* bad : {"", "511", "0", "-4096", "abc", "1024x", "99999999999999999999999"}) {
    settings_.key_length = bad;
    auto status = check_keygen_settings(settings_, dir_, "host");
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_EQ(status.error().message, "Invalid key length") << bad;
    EXPECT_EQ(status.error().code, 1);
  }
  for (const char* good : {"512", "1024", "4096"}) {
    settings_.key_length = good;
    EXPECT_TRUE(check_keygen_settings(settings_, dir_, "host").ok()) << good;
  }
}

TEST_F(KeygenValidation, DoesNotCheckTheSubkeyLengthAsTheReferenceDoesNot) {
  settings_.subkey_length = "1";
  EXPECT_TRUE(check_keygen_settings(settings_, dir_, "host").ok());
}

TEST_F(KeygenValidation, RejectsAnEmptyExpiry) {
  settings_.expire = "";
  auto status = check_keygen_settings(settings_, dir_, "host");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "Empty key expiration");
}

TEST_F(KeygenValidation, RejectsLineBreaksThatWouldInjectKeyParameters) {
  settings_.comment = "x\nKey-Type: DSA";
  auto comment = check_keygen_settings(settings_, dir_, "host");
  ASSERT_FALSE(comment.ok());
  EXPECT_EQ(comment.error().message, "Line break in --comment value");
  settings_.comment = "";
  auto name = check_keygen_settings(settings_, dir_, "a\rb");
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.error().message, "Line break in --name value");
}

TEST(KeygenDefaults, KeyNameIsWhatTheReferenceShellCommandPrints) {
  // The reference runs `hostname --fqdn 2>/dev/null || hostname`.
  FILE* pipe = ::popen("hostname --fqdn 2>/dev/null || hostname", "r");
  ASSERT_NE(pipe, nullptr);
  char line[1024] = {};
  const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
  const int status = ::pclose(pipe);
  if (!got || status != 0) GTEST_SKIP() << "no hostname(1) here";
  std::string expected(line);
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  EXPECT_EQ(default_key_name(), expected);
}

TEST(KeygenDefaults, KeyDirIsOneOfTheTwoReferenceDirectories) {
  const std::string dir = default_key_dir();
  struct stat st {};
  if (::stat(kPreferredKeyDir, &st) == 0 && S_ISDIR(st.st_mode)) {
    EXPECT_EQ(dir, kPreferredKeyDir);
  } else {
    EXPECT_EQ(dir, kFallbackKeyDir);
  }
}

}  // namespace
}  // namespace mandos::keygen
