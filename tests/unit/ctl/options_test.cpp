// Expected error texts are those the reference's argparse prints (checked
// against Debian's mandos-ctl 1.8.16 with the same arguments).
#include "options.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "mandos/test/support.hpp"

namespace mandos::ctl {
namespace {

// Secrets come from this fake unless a test reads real files.
Result<SecretBytes> fake_secret(const std::string& path) {
  if (path == "missing") return fail("can't open 'missing': no");
  return SecretBytes("secret of " + path);
}

ParsedCommandLine parse(const std::vector<std::string>& args) {
  return parse_command_line(args, fake_secret);
}

std::string usage_error(const std::vector<std::string>& args) {
  const ParsedCommandLine parsed = parse(args);
  EXPECT_EQ(parsed.action, ParseAction::kUsageError) << "no error for this command line";
  return parsed.error;
}

std::vector<CommandKind> kinds(const ParsedCommandLine& parsed) {
  std::vector<CommandKind> out;
  for (const Command& command : parsed.invocation.commands) out.push_back(command.kind);
  return out;
}

// Every action option with a valid value, as the reference's own tests list them.
const std::vector<std::vector<std::string>> kActions = {
    {"--enable"}, {"--disable"}, {"--bump-timeout"}, {"--start-checker"}, {"--stop-checker"},
    {"--is-enabled"}, {"--remove"}, {"--checker", "x"}, {"--timeout", "PT0S"},
    {"--extended-timeout", "PT0S"}, {"--interval", "PT0S"}, {"--approve-by-default"},
    {"--deny-by-default"}, {"--approval-delay", "PT0S"}, {"--approval-duration", "PT0S"},
    {"--host", "hostname"}, {"--secret", "/dev/null"}, {"--approve"}, {"--deny"},
};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(ParseCommandLine, NoArgumentsMeansPrintTheTable) {
  const ParsedCommandLine parsed = parse({});
  EXPECT_EQ(parsed.action, ParseAction::kRun);
  EXPECT_TRUE(parsed.invocation.commands.empty());
  EXPECT_TRUE(parsed.invocation.clients.empty());
  EXPECT_FALSE(parsed.invocation.verbose);
}

TEST(ParseCommandLine, EveryActionNeedsClientNamesOrAll) {
  for (const auto& action : kActions) {
    EXPECT_EQ(usage_error(action), "Options require clients names or --all.") << action[0];
    EXPECT_EQ(parse(with(action, {"--all"})).action, ParseAction::kRun) << action[0];
    EXPECT_EQ(parse(with(action, {"client"})).action, ParseAction::kRun) << action[0];
  }
}

TEST(ParseCommandLine, VerboseCannotBeCombinedWithAnyAction) {
  for (const auto& action : kActions) {
    EXPECT_EQ(usage_error(with(action, {"--all", "--verbose"})),
              "--verbose can only be used alone.")
        << action[0];
    EXPECT_EQ(usage_error(with(action, {"--verbose", "client"})),
              "--verbose can only be used alone.")
        << action[0];
  }
}

TEST(ParseCommandLine, DumpJsonMustBeAlone) {
  EXPECT_EQ(usage_error({"--dump-json", "--verbose"}), "--dump-json can only be used alone.");
  EXPECT_EQ(usage_error({"-j", "-j"}), "--dump-json can only be used alone.");
  for (const auto& action : kActions) {
    EXPECT_EQ(usage_error(with(action, {"--dump-json", "client"})),
              "--dump-json can only be used alone.")
        << action[0];
  }
  EXPECT_EQ(parse({"-j", "foo"}).action, ParseAction::kRun);
}

TEST(ParseCommandLine, AllRequiresAnAction) {
  EXPECT_EQ(usage_error({"--all"}), "--all requires an action.");
  EXPECT_EQ(usage_error({"-a", "-v"}), "--all requires an action.");
  EXPECT_EQ(usage_error({"-j", "--all"}), "--all requires an action.");
}

TEST(ParseCommandLine, IsEnabledRequiresExactlyOneClient) {
  EXPECT_EQ(usage_error({"--is-enabled"}), "Options require clients names or --all.");
  EXPECT_EQ(usage_error({"-V", "a", "b"}), "--is-enabled requires exactly one client");
  EXPECT_EQ(parse({"-V", "a"}).action, ParseAction::kRun);
  EXPECT_EQ(parse({"-V", "--all"}).action, ParseAction::kRun);
}

TEST(ParseCommandLine, RemoveCombinesOnlyWithDeny) {
  for (const auto& action : kActions) {
    if (action[0] == "--remove" || action[0] == "--deny") continue;
    EXPECT_EQ(usage_error(with(action, {"--all", "--remove"})),
              "--remove can only be combined with --deny")
        << action[0];
  }
  EXPECT_EQ(usage_error({"-r", "-r", "c"}), "--remove can only be combined with --deny");
  EXPECT_EQ(parse({"-r", "-D", "c"}).action, ParseAction::kRun);
  // The reference checks only that a --deny is present.
  EXPECT_EQ(parse({"-r", "-D", "-e", "c"}).action, ParseAction::kRun);
}

TEST(ParseCommandLine, SyntaxRulesAreCheckedInTheReferenceOrder) {
  EXPECT_EQ(usage_error({"-v", "-e"}), "Options require clients names or --all.");
  EXPECT_EQ(usage_error({"-v", "-j", "-e", "c"}), "--verbose can only be used alone.");
  EXPECT_EQ(usage_error({"-V", "-r", "a", "b"}), "--is-enabled requires exactly one client");
}

TEST(ParseCommandLine, MutuallyExclusivePairsNameBothOptions) {
  EXPECT_EQ(usage_error({"-e", "-d", "c"}),
            "argument -d/--disable: not allowed with argument -e/--enable");
  EXPECT_EQ(usage_error({"--disable", "--enable", "c"}),
            "argument -e/--enable: not allowed with argument -d/--disable");
  EXPECT_EQ(usage_error({"--stop-checker", "--start-checker", "c"}),
            "argument --start-checker: not allowed with argument --stop-checker");
  EXPECT_EQ(usage_error({"--approve-by-default", "--deny-by-default", "c"}),
            "argument --deny-by-default: not allowed with argument --approve-by-default");
  EXPECT_EQ(usage_error({"-A", "-D", "c"}),
            "argument -D/--deny: not allowed with argument -A/--approve");
  // Repeating one side is allowed.
  EXPECT_EQ(kinds(parse({"-e", "-e", "c"})),
            (std::vector<CommandKind>{CommandKind::kEnable, CommandKind::kEnable}));
}

TEST(ParseCommandLine, ReportsArgparseErrorsForMalformedOptions) {
  EXPECT_EQ(usage_error({"--foo", "x", "-y"}), "unrecognized arguments: --foo -y");
  EXPECT_EQ(usage_error({"-t"}), "argument -t/--timeout: expected one argument");
  EXPECT_EQ(usage_error({"--extended-timeout"}),
            "argument --extended-timeout: expected one argument");
  EXPECT_EQ(usage_error({"-t", "--enable", "x"}), "argument -t/--timeout: expected one argument");
  EXPECT_EQ(usage_error({"-c", "-x", "x"}), "argument -c/--checker: expected one argument");
  EXPECT_EQ(usage_error({"--appro", "x"}),
            "ambiguous option: --appro could match --approve-by-default, --approval-delay, "
            "--approval-duration, --approve");
  EXPECT_EQ(usage_error({"--enable=x", "c"}), "argument -e/--enable: ignored explicit argument 'x'");
  EXPECT_EQ(usage_error({"-e=x", "c"}), "argument -e/--enable: ignored explicit argument 'x'");
  EXPECT_EQ(usage_error({"--enable=", "c"}), "argument -e/--enable: ignored explicit argument ''");
}

TEST(ParseCommandLine, ClientNamesAreOneRunOfPositionalWords) {
  EXPECT_EQ(parse({"-e", "a", "b"}).invocation.clients, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parse({"a", "b", "-e"}).invocation.clients, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(usage_error({"a", "-e", "b"}), "unrecognized arguments: b");
  EXPECT_EQ(parse({"-e", "--", "-x"}).invocation.clients, (std::vector<std::string>{"-x"}));
  EXPECT_EQ(parse({"-5"}).invocation.clients, (std::vector<std::string>{"-5"}));
  EXPECT_EQ(parse({"-"}).invocation.clients, (std::vector<std::string>{"-"}));
}

TEST(ParseCommandLine, AcceptsAbbreviationsBundlesAndAttachedValues) {
  EXPECT_TRUE(parse({"--verb"}).invocation.verbose);
  const ParsedCommandLine bundled = parse({"-ebtPT5M", "c"});
  EXPECT_EQ(kinds(bundled), (std::vector<CommandKind>{CommandKind::kEnable,
                                                       CommandKind::kBumpTimeout,
                                                       CommandKind::kSetTimeout}));
  EXPECT_EQ(bundled.invocation.commands[2].milliseconds, 300000u);
  EXPECT_EQ(parse({"--time=PT1S", "c"}).invocation.commands[0].milliseconds, 1000u);
  EXPECT_EQ(parse({"-t=PT2S", "c"}).invocation.commands[0].milliseconds, 2000u);
  EXPECT_EQ(parse({"-c", "-x y", "c"}).invocation.commands[0].text, "-x y");
  EXPECT_EQ(parse({"-t", "-5", "c"}).invocation.commands[0].milliseconds, 5u);
  const ParsedCommandLine empty = parse({"--checker=", "c"});
  ASSERT_EQ(empty.action, ParseAction::kRun) << empty.error;
  EXPECT_EQ(empty.invocation.commands[0].text, "");
}

TEST(ParseCommandLine, KeepsCommandsInCommandLineOrderWithTheirValues) {
  const ParsedCommandLine parsed =
      parse({"-H", "h.example", "--approval-delay", "PT10S", "-s", "f", "-A", "-c", "true", "x"});
  ASSERT_EQ(parsed.action, ParseAction::kRun) << parsed.error;
  const auto& commands = parsed.invocation.commands;
  ASSERT_EQ(commands.size(), 5u);
  EXPECT_EQ(commands[0].kind, CommandKind::kSetHost);
  EXPECT_EQ(commands[0].text, "h.example");
  EXPECT_EQ(commands[1].kind, CommandKind::kSetApprovalDelay);
  EXPECT_EQ(commands[1].milliseconds, 10000u);
  EXPECT_EQ(commands[2].kind, CommandKind::kSetSecret);
  EXPECT_EQ(commands[2].secret.view(), "secret of f");
  EXPECT_EQ(commands[3].kind, CommandKind::kApprove);
  EXPECT_EQ(commands[4].kind, CommandKind::kSetChecker);
  EXPECT_EQ(parsed.invocation.clients, (std::vector<std::string>{"x"}));
}

TEST(ParseCommandLine, HelpVersionAndCheckStopParsing) {
  EXPECT_EQ(parse({"-h", "--foo"}).action, ParseAction::kShowHelp);
  EXPECT_EQ(parse({"--version", "-e"}).action, ParseAction::kShowVersion);
  EXPECT_EQ(parse({"-e", "-d", "--check"}).action, ParseAction::kSelfTest);
  EXPECT_EQ(parse({"--chec"}).action, ParseAction::kSelfTest);
  EXPECT_EQ(parse({"--", "--check"}).action, ParseAction::kRun);
}

TEST(ParseCommandLine, RejectsCheckerOrHostThatIsNotUtf8) {
  EXPECT_EQ(usage_error({"-c", "a\xff", "x"}),
            "argument -c/--checker: not valid UTF-8: 'a\\udcff'");
  EXPECT_EQ(usage_error({"-H", "\xc3", "x"}), "argument -H/--host: not valid UTF-8: '\\udcc3'");
}

TEST(ParseCommandLine, SecretReadErrorIsAUsageErrorNamingTheOption) {
  EXPECT_EQ(usage_error({"-s", "missing", "x"}), "argument -s/--secret: can't open 'missing': no");
}

// --- TIME arguments (ctl.md §2) ---

struct TimeCase {
  const char* text;
  std::uint64_t milliseconds;
  bool warns;
};

TEST(ParseCommandLine, ConvertsTimeArgumentsToMilliseconds) {
  const TimeCase cases[] = {
      {"PT5M", 300000, false},
      {"PT0S", 0, false},
      {"P0D", 0, false},
      {"P7D", 604800000, false},
      {"P1W", 604800000, false},
      {"P60M", 1680ull * 86400000, false},
      {"P1DT3M20S", 86600000, false},
      {"PT24H", 86400000, false},
      {"P30D", 2592000000ull, false},  // above 2^31 ms: sent as uint64
      {"7d", 604800000, true},
      {"5m 30s", 330000, true},
      {"1d2h3m4s", 93784000, true},
      {"2dxy7zz11y3m5m", 173280018, true},
      {"3", 3, true},
      {"", 0, true},
      {"garbage", 0, true},
      {"PT1S2M", 3, true},  // uppercase units are not legacy units: 1 ms + 2 ms
      {"1.5h", 5 * 3600000 + 1, true},
  };
  for (const TimeCase& c : cases) {
    const ParsedCommandLine parsed = parse({"-t", c.text, "x"});
    ASSERT_EQ(parsed.action, ParseAction::kRun) << c.text << ": " << parsed.error;
    EXPECT_EQ(parsed.invocation.commands[0].milliseconds, c.milliseconds) << c.text;
    EXPECT_EQ(parsed.warnings.size(), c.warns ? 1u : 0u) << c.text;
  }
}

TEST(ParseCommandLine, WarnsWithTheReferenceTextWhenFallingBackToTheLegacySyntax) {
  const ParsedCommandLine parsed = parse({"-i", "2h", "--timeout=x1", "c"});
  ASSERT_EQ(parsed.warnings.size(), 2u);
  EXPECT_EQ(parsed.warnings[0],
            "Invalid RFC 3339 duration: \"2h\" - Parsing as pre-1.6.1 interval instead");
  EXPECT_EQ(parsed.warnings[1],
            "Invalid RFC 3339 duration: \"x1\" - Parsing as pre-1.6.1 interval instead");
}

TEST(ParseCommandLine, WarningsSurviveALaterUsageError) {
  const ParsedCommandLine parsed = parse({"-t", "3"});
  EXPECT_EQ(parsed.action, ParseAction::kUsageError);
  EXPECT_EQ(parsed.warnings.size(), 1u);
}

// --- the syntax rules on their own ---

TEST(CheckOptionSyntax, AcceptsListingsAndSingleActions) {
  Invocation invocation;
  EXPECT_FALSE(check_option_syntax(invocation));
  invocation.verbose = true;
  EXPECT_FALSE(check_option_syntax(invocation));
  invocation.verbose = false;
  invocation.clients = {"a"};
  invocation.commands.resize(1);
  invocation.commands[0].kind = CommandKind::kDeny;
  EXPECT_FALSE(check_option_syntax(invocation));
}

// --- reading --secret files ---

TEST(ReadSecretFile, ReadsTheExactBytes) {
  test::TempDir dir("ctl-secret");
  const std::string path = dir.file("secret");
  test::write_file(path, std::string("a\0b\xff\n", 5));
  auto secret = read_secret_file(path);
  ASSERT_TRUE(secret) << secret.error().message;
  EXPECT_EQ(secret->view(), std::string_view("a\0b\xff\n", 5));
}

TEST(ReadSecretFile, ReportsAMissingFileAsPythonDoes) {
  auto secret = read_secret_file("/nonexistent/x");
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().message,
            "can't open '/nonexistent/x': [Errno 2] No such file or directory: "
            "'/nonexistent/x'");
}

TEST(ReadSecretFile, RefusesADirectory) {
  test::TempDir dir("ctl-secret");
  auto secret = read_secret_file(dir.path());
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().message, "can't open '" + dir.path() +
                                        "': [Errno 21] Is a directory: '" + dir.path() + "'");
}

TEST(ReadSecretFile, RefusesAFileLargerThanTheServerAccepts) {
  test::TempDir dir("ctl-secret");
  const std::string path = dir.file("big");
  test::write_file(path, std::string(kMaxSecretFileSize + 1, 'x'));
  auto secret = read_secret_file(path);
  ASSERT_FALSE(secret);
  EXPECT_NE(secret.error().message.find("larger than 1048576 bytes"), std::string::npos);
  test::write_file(path, std::string(kMaxSecretFileSize, 'x'));
  EXPECT_TRUE(read_secret_file(path));
}

// --- usage synopsis ---

TEST(UsageText, WrapsLikeArgparseAtEightyColumns) {
  EXPECT_EQ(usage_text("mandos-ctl", 78),
            "usage: mandos-ctl [-h] [--version] [-a] [-v] [-j] [-e | -d] [-b]\n"
            "                  [--start-checker | --stop-checker] [-V] [-r] [-c COMMAND]\n"
            "                  [-t TIME] [--extended-timeout TIME] [-i TIME]\n"
            "                  [--approve-by-default | --deny-by-default]\n"
            "                  [--approval-delay TIME] [--approval-duration TIME]\n"
            "                  [-H STRING] [-s FILENAME] [-A | -D] [--debug] [--check]\n"
            "                  [client ...]\n");
}

TEST(UsageText, WrapsLikeArgparseOnNarrowAndWideTerminals) {
  EXPECT_EQ(usage_text("mandos-ctl", 38),
            "usage: mandos-ctl [-h] [--version]\n"
            "                  [-a] [-v] [-j]\n"
            "                  [-e | -d] [-b]\n"
            "                  [--start-checker | --stop-checker]\n"
            "                  [-V] [-r]\n"
            "                  [-c COMMAND]\n"
            "                  [-t TIME]\n"
            "                  [--extended-timeout TIME]\n"
            "                  [-i TIME]\n"
            "                  [--approve-by-default | --deny-by-default]\n"
            "                  [--approval-delay TIME]\n"
            "                  [--approval-duration TIME]\n"
            "                  [-H STRING]\n"
            "                  [-s FILENAME]\n"
            "                  [-A | -D] [--debug]\n"
            "                  [--check]\n"
            "                  [client ...]\n");
  EXPECT_EQ(usage_text("mandos-ctl", 198),
            "usage: mandos-ctl [-h] [--version] [-a] [-v] [-j] [-e | -d] [-b] [--start-checker "
            "| --stop-checker] [-V] [-r] [-c COMMAND] [-t TIME] [--extended-timeout TIME] "
            "[-i TIME]\n"
            "                  [--approve-by-default | --deny-by-default] [--approval-delay "
            "TIME] [--approval-duration TIME] [-H STRING] [-s FILENAME] [-A | -D] [--debug] "
            "[--check]\n"
            "                  [client ...]\n");
}

TEST(UsageText, PutsALongProgramNameOnItsOwnLine) {
  EXPECT_EQ(usage_text("a-very-long-program-name-for-testing-usage-wrap", 58),
            "usage: a-very-long-program-name-for-testing-usage-wrap\n"
            "       [-h] [--version] [-a] [-v] [-j] [-e | -d] [-b]\n"
            "       [--start-checker | --stop-checker] [-V] [-r]\n"
            "       [-c COMMAND] [-t TIME] [--extended-timeout TIME]\n"
            "       [-i TIME]\n"
            "       [--approve-by-default | --deny-by-default]\n"
            "       [--approval-delay TIME] [--approval-duration TIME]\n"
            "       [-H STRING] [-s FILENAME] [-A | -D] [--debug]\n"
            "       [--check]\n"
            "       [client ...]\n");
}

TEST(HelpText, ListsEveryOptionWithItsShortForm) {
  const std::string help = help_text("mandos-ctl", 78);
  for (const char* expected :
       {"-h, --help", "--version", "-a, --all", "-v, --verbose", "-j, --dump-json",
        "-e, --enable", "-d, --disable", "-b, --bump-timeout", "--start-checker",
        "--stop-checker", "-V, --is-enabled", "-r, --remove", "-c COMMAND, --checker COMMAND",
        "-t TIME, --timeout TIME", "--extended-timeout TIME", "-i TIME, --interval TIME",
        "--approve-by-default", "--deny-by-default", "--approval-delay TIME",
        "--approval-duration TIME", "-H STRING, --host STRING",
        "-s FILENAME, --secret FILENAME", "-A, --approve", "-D, --deny", "--debug", "--check"}) {
    EXPECT_NE(help.find(expected), std::string::npos) << expected;
  }
  EXPECT_TRUE(help.starts_with(usage_text("mandos-ctl", 78)));
}

}  // namespace
}  // namespace mandos::ctl
