#include "options.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>

#include "mandos/duration.hpp"
#include "mandos/fd.hpp"
#include "text.hpp"

namespace mandos::ctl {
namespace {

namespace po = boost::program_options;

enum class OptionId {
  kHelp, kVersion, kAll, kVerbose, kDumpJson, kEnable, kDisable, kBumpTimeout,
  kStartChecker, kStopChecker, kIsEnabled, kRemove, kChecker, kTimeout,
  kExtendedTimeout, kInterval, kApproveByDefault, kDenyByDefault, kApprovalDelay,
  kApprovalDuration, kHost, kSecret, kApprove, kDeny, kDebug, kCheck,
};

enum class ArgKind { kNone, kText, kTime, kFile };

struct OptionSpec {
  OptionId id;
  const char* long_name;
  char short_name;  // '\0': none
  ArgKind arg;
  const char* metavar;
  int group;  // mutually exclusive pairs share a non-zero group
  const char* help;
};

// Declaration order is argparse's (help first): it orders the usage
// synopsis and the candidates of an ambiguous abbreviation.
constexpr std::array<OptionSpec, 26> kOptions = {{
    {OptionId::kHelp, "help", 'h', ArgKind::kNone, "", 0, "print this help and exit"},
    {OptionId::kVersion, "version", '\0', ArgKind::kNone, "", 0,
     "print the program's version and exit"},
    {OptionId::kAll, "all", 'a', ArgKind::kNone, "", 0,
     "apply the actions to every client of the server"},
    {OptionId::kVerbose, "verbose", 'v', ArgKind::kNone, "", 0,
     "list every property, not only the main four"},
    {OptionId::kDumpJson, "dump-json", 'j', ArgKind::kNone, "", 0,
     "print the clients' properties as a JSON object"},
    {OptionId::kEnable, "enable", 'e', ArgKind::kNone, "", 1, "enable the clients"},
    {OptionId::kDisable, "disable", 'd', ArgKind::kNone, "", 1, "disable the clients"},
    {OptionId::kBumpTimeout, "bump-timeout", 'b', ArgKind::kNone, "", 0,
     "count as a successful check now, postponing expiry"},
    {OptionId::kStartChecker, "start-checker", '\0', ArgKind::kNone, "", 2,
     "run a checker now unless one is running"},
    {OptionId::kStopChecker, "stop-checker", '\0', ArgKind::kNone, "", 2,
     "terminate a running checker"},
    {OptionId::kIsEnabled, "is-enabled", 'V', ArgKind::kNone, "", 0,
     "exit with status 0 if the client is enabled, else 1"},
    {OptionId::kRemove, "remove", 'r', ArgKind::kNone, "", 0,
     "remove the clients from the running server"},
    {OptionId::kChecker, "checker", 'c', ArgKind::kText, "COMMAND", 0,
     "set the checker command"},
    {OptionId::kTimeout, "timeout", 't', ArgKind::kTime, "TIME", 0,
     "set the time allowed without a successful check"},
    {OptionId::kExtendedTimeout, "extended-timeout", '\0', ArgKind::kTime, "TIME", 0,
     "set the timeout used after a secret was sent"},
    {OptionId::kInterval, "interval", 'i', ArgKind::kTime, "TIME", 0,
     "set the time between two checker runs"},
    {OptionId::kApproveByDefault, "approve-by-default", '\0', ArgKind::kNone, "", 3,
     "give out the secret unless denied in time"},
    {OptionId::kDenyByDefault, "deny-by-default", '\0', ArgKind::kNone, "", 3,
     "withhold the secret unless approved in time"},
    {OptionId::kApprovalDelay, "approval-delay", '\0', ArgKind::kTime, "TIME", 0,
     "set how long a request waits for a decision"},
    {OptionId::kApprovalDuration, "approval-duration", '\0', ArgKind::kTime, "TIME", 0,
     "set how long one approval or denial lasts"},
    {OptionId::kHost, "host", 'H', ArgKind::kText, "STRING", 0,
     "set the host name or address for the checker"},
    {OptionId::kSecret, "secret", 's', ArgKind::kFile, "FILENAME", 0,
     "set the secret to the bytes of FILENAME (-: stdin)"},
    {OptionId::kApprove, "approve", 'A', ArgKind::kNone, "", 4,
     "approve the clients' waiting requests"},
    {OptionId::kDeny, "deny", 'D', ArgKind::kNone, "", 4,
     "deny the clients' waiting requests"},
    {OptionId::kDebug, "debug", '\0', ArgKind::kNone, "", 0,
     "show every D-Bus call on standard error"},
    {OptionId::kCheck, "check", '\0', ArgKind::kNone, "", 0,
     "run the built-in self-tests and exit"},
}};

// Boost name of the positional arguments; not typeable as an option.
constexpr const char* kClientKey = "\x1f" "client";

const OptionSpec* find_long(std::string_view name) {
  for (const OptionSpec& spec : kOptions) {
    if (name == spec.long_name) return &spec;
  }
  return nullptr;
}

const OptionSpec* find_short(char c) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.short_name != '\0' && spec.short_name == c) return &spec;
  }
  return nullptr;
}

// "-t/--timeout" or "--extended-timeout", as argparse names an argument.
std::string display_name(const OptionSpec& spec) {
  std::string out;
  if (spec.short_name != '\0') out = std::string("-") + spec.short_name + "/";
  return out + "--" + spec.long_name;
}

// Long options whose name starts with `prefix`, in declaration order; an
// exact match alone when there is one.
std::vector<const OptionSpec*> long_matches(std::string_view prefix) {
  if (const OptionSpec* exact = find_long(prefix)) return {exact};
  std::vector<const OptionSpec*> out;
  for (const OptionSpec& spec : kOptions) {
    if (std::string_view(spec.long_name).substr(0, prefix.size()) == prefix) {
      out.push_back(&spec);
    }
  }
  return out;
}

bool is_negative_number(std::string_view token) {
  static const std::regex kNegative("^-\\d+$|^-\\d*\\.\\d+$");
  return std::regex_match(token.begin(), token.end(), kNegative);
}

// argparse's test of whether a command-line word is an option (and so can
// not be an option's value): its _parse_optional().
bool looks_like_option(std::string_view token) {
  if (token.size() < 2 || token[0] != '-') return false;
  if (token.substr(0, 2) == "--") {
    if (token.size() == 2) return true;
    const std::string_view name = token.substr(2, token.find('=') - 2);
    if (!long_matches(name).empty()) return true;
  } else if (find_short(token[1]) != nullptr) {
    return true;
  }
  if (is_negative_number(token)) return false;
  return token.find(' ') == std::string_view::npos;
}

struct UsageError {
  std::string message;
};

// --- Phase 1: what argparse checks before Boost would see the words -------

// Rewrites the words Boost reads differently from argparse: long-option
// abbreviations (Boost's own guessing would also match the hidden
// positional option), "--opt=" with an empty value, "-t=5", and values
// given to flags. Returns the first error argparse would report.
struct Prepared {
  std::vector<std::string> words;
  std::optional<UsageError> error;
};

// True if the word after `word` is the value of an option in `word`.
bool takes_next_word(std::string_view word) {
  if (word.size() < 2 || word[0] != '-') return false;
  if (word[1] == '-') {
    if (word.find('=') != std::string_view::npos) return false;
    const auto matches = long_matches(word.substr(2));
    return matches.size() == 1 && matches[0]->arg != ArgKind::kNone;
  }
  for (std::size_t i = 1; i < word.size(); ++i) {
    const OptionSpec* spec = find_short(word[i]);
    if (spec == nullptr) return false;
    if (spec->arg != ArgKind::kNone) return i + 1 == word.size();
  }
  return false;
}

std::optional<UsageError> prepare_long(const std::string& word, std::vector<std::string>& out) {
  const std::size_t equals = word.find('=');
  const std::string name = word.substr(2, equals == std::string::npos ? equals : equals - 2);
  const auto matches = long_matches(name);
  if (matches.size() > 1) {
    std::string names;
    for (const OptionSpec* spec : matches) {
      names += (names.empty() ? "--" : ", --") + std::string(spec->long_name);
    }
    return UsageError{"ambiguous option: " + word + " could match " + names};
  }
  if (matches.empty()) {
    out.push_back(word);
    return std::nullopt;
  }
  const OptionSpec& spec = *matches[0];
  const std::string full = std::string("--") + spec.long_name;
  if (equals == std::string::npos) {
    out.push_back(full);
    return std::nullopt;
  }
  const std::string value = word.substr(equals + 1);
  if (spec.arg == ArgKind::kNone) {
    return UsageError{"argument " + display_name(spec) + ": ignored explicit argument " +
                      python_repr(value)};
  }
  out.push_back(full);
  out.push_back(value);
  return std::nullopt;
}

std::optional<UsageError> prepare_short(const std::string& word, std::vector<std::string>& out) {
  const OptionSpec* spec = word.size() >= 3 && word[2] == '=' ? find_short(word[1]) : nullptr;
  if (spec == nullptr) {
    out.push_back(word);
    return std::nullopt;
  }
  const std::string value = word.substr(3);
  if (spec->arg == ArgKind::kNone) {
    return UsageError{"argument " + display_name(*spec) + ": ignored explicit argument " +
                      python_repr(value)};
  }
  out.push_back(std::string("-") + spec->short_name);
  out.push_back(value);
  return std::nullopt;
}

Prepared prepare_words(const std::vector<std::string>& args) {
  Prepared prepared;
  // argparse classifies every word before consuming any: an ambiguous
  // abbreviation is an error even where a value is expected.
  for (const std::string& word : args) {
    if (word == "--") break;
    if (word.size() > 2 && word.substr(0, 2) == "--") {
      std::vector<std::string> ignored;
      if (auto error = prepare_long(word, ignored);
          error && error->message.starts_with("ambiguous")) {
        prepared.error = error;
        return prepared;
      }
    }
  }
  bool value_next = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") {
      prepared.words.insert(prepared.words.end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    std::optional<UsageError> error;
    if (value_next || word.size() < 2 || word[0] != '-') {
      prepared.words.push_back(word);
    } else if (word[1] == '-') {
      error = word.size() > 2 ? prepare_long(word, prepared.words) : std::nullopt;
    } else {
      error = prepare_short(word, prepared.words);
    }
    if (error) {
      prepared.error = error;
      return prepared;
    }
    value_next = !value_next && takes_next_word(prepared.words.back());
  }
  return prepared;
}

// --- Phase 2: Boost.Program_options --------------------------------------

po::options_description boost_options() {
  po::options_description options;
  for (const OptionSpec& spec : kOptions) {
    std::string name = spec.long_name;
    if (spec.short_name != '\0') name += std::string(",") + spec.short_name;
    if (spec.arg == ArgKind::kNone) {
      options.add_options()(name.c_str(), spec.help);
    } else {
      options.add_options()(name.c_str(), po::value<std::string>(), spec.help);
    }
  }
  options.add_options()(kClientKey, po::value<std::vector<std::string>>(), "");
  return options;
}

std::string option_name_of(const po::error_with_option_name& error) {
  std::string name = error.get_option_name();
  while (!name.empty() && name[0] == '-') name.erase(0, 1);
  const OptionSpec* spec = name.size() == 1 ? find_short(name[0]) : find_long(name);
  return spec != nullptr ? display_name(*spec) : error.get_option_name();
}

std::variant<po::parsed_options, UsageError> run_boost(const std::vector<std::string>& words) {
  const po::options_description options = boost_options();
  po::positional_options_description positional;
  positional.add(kClientKey, -1);
  const int style = po::command_line_style::default_style &
                    ~po::command_line_style::allow_guessing;
  try {
    return po::command_line_parser(words)
        .options(options)
        .positional(positional)
        .style(style)
        .allow_unregistered()
        .run();
  } catch (const po::invalid_command_line_syntax& error) {
    if (error.kind() == po::invalid_command_line_syntax::missing_parameter) {
      return UsageError{"argument " + option_name_of(error) + ": expected one argument"};
    }
    return UsageError{error.what()};
  } catch (const po::error& error) {
    return UsageError{error.what()};
  }
}

// --- Phase 3: the options in command-line order ----------------------------

class Interpreter {
 public:
  explicit Interpreter(const SecretReader& read_secret) : read_secret_(read_secret) {}

  // Returns false when parsing stops (help, version or an error).
  bool option(const po::option& option);
  bool positional(const std::string& word);
  void unrecognized(const po::option& option);
  ParsedCommandLine finish();
  ParsedCommandLine& result() { return result_; }

 private:
  bool stop(ParseAction action, std::string error = "") {
    result_.action = action;
    result_.error = std::move(error);
    return false;
  }
  bool command(const OptionSpec& spec, const std::string& value);
  bool exclusive_ok(const OptionSpec& spec);

  const SecretReader& read_secret_;
  ParsedCommandLine result_;
  std::vector<const OptionSpec*> seen_;
  std::vector<std::string> unrecognized_;
  bool positionals_started_ = false;
  bool positionals_closed_ = false;
};

bool Interpreter::exclusive_ok(const OptionSpec& spec) {
  for (const OptionSpec* other : seen_) {
    if (spec.group != 0 && other->group == spec.group && other != &spec) {
      return stop(ParseAction::kUsageError, "argument " + display_name(spec) +
                                                ": not allowed with argument " +
                                                display_name(*other));
    }
  }
  seen_.push_back(&spec);
  return true;
}

CommandKind command_kind(OptionId id) {
  switch (id) {
    case OptionId::kDumpJson: return CommandKind::kDumpJson;
    case OptionId::kEnable: return CommandKind::kEnable;
    case OptionId::kDisable: return CommandKind::kDisable;
    case OptionId::kBumpTimeout: return CommandKind::kBumpTimeout;
    case OptionId::kStartChecker: return CommandKind::kStartChecker;
    case OptionId::kStopChecker: return CommandKind::kStopChecker;
    case OptionId::kIsEnabled: return CommandKind::kIsEnabled;
    case OptionId::kRemove: return CommandKind::kRemove;
    case OptionId::kChecker: return CommandKind::kSetChecker;
    case OptionId::kTimeout: return CommandKind::kSetTimeout;
    case OptionId::kExtendedTimeout: return CommandKind::kSetExtendedTimeout;
    case OptionId::kInterval: return CommandKind::kSetInterval;
    case OptionId::kApproveByDefault: return CommandKind::kApproveByDefault;
    case OptionId::kDenyByDefault: return CommandKind::kDenyByDefault;
    case OptionId::kApprovalDelay: return CommandKind::kSetApprovalDelay;
    case OptionId::kApprovalDuration: return CommandKind::kSetApprovalDuration;
    case OptionId::kHost: return CommandKind::kSetHost;
    case OptionId::kSecret: return CommandKind::kSetSecret;
    case OptionId::kApprove: return CommandKind::kApprove;
    case OptionId::kDeny: return CommandKind::kDeny;
    case OptionId::kHelp:
    case OptionId::kVersion:
    case OptionId::kAll:
    case OptionId::kVerbose:
    case OptionId::kDebug:
    case OptionId::kCheck:
      break;
  }
  return CommandKind::kEnable;  // not reached: callers pass command options only
}

bool Interpreter::command(const OptionSpec& spec, const std::string& value) {
  Command command;
  command.kind = command_kind(spec.id);
  switch (spec.arg) {
    case ArgKind::kNone:
      break;
    case ArgKind::kText:
      // D-Bus strings must be UTF-8; libdbus aborts the process otherwise.
      if (!is_valid_utf8(value)) {
        return stop(ParseAction::kUsageError, "argument " + display_name(spec) +
                                                  ": not valid UTF-8: " + python_repr(value));
      }
      command.text = value;
      break;
    case ArgKind::kTime: {
      const CtlTime time = parse_ctl_time(value);
      if (time.used_legacy) {
        result_.warnings.push_back("Invalid RFC 3339 duration: \"" + value +
                                   "\" - Parsing as pre-1.6.1 interval instead");
      }
      command.milliseconds = static_cast<std::uint64_t>(to_milliseconds_nearest(time.value));
      break;
    }
    case ArgKind::kFile: {
      auto secret = read_secret_(value);
      if (!secret) {
        return stop(ParseAction::kUsageError,
                    "argument " + display_name(spec) + ": " + secret.error().message);
      }
      command.secret = std::move(*secret);
      break;
    }
  }
  result_.invocation.commands.push_back(std::move(command));
  return true;
}

bool Interpreter::option(const po::option& option) {
  if (positionals_started_) positionals_closed_ = true;
  const OptionSpec* spec = find_long(option.string_key);
  if (spec == nullptr) return stop(ParseAction::kUsageError, "unknown option " + option.string_key);
  if (!exclusive_ok(*spec)) return false;
  const std::string value = option.value.empty() ? "" : option.value.front();
  // Boost takes any next word as the value; argparse refuses option-like ones.
  if (spec->arg != ArgKind::kNone && option.original_tokens.size() == 2 &&
      looks_like_option(value)) {
    return stop(ParseAction::kUsageError,
                "argument " + display_name(*spec) + ": expected one argument");
  }
  Invocation& invocation = result_.invocation;
  switch (spec->id) {
    case OptionId::kHelp: return stop(ParseAction::kShowHelp);
    case OptionId::kVersion: return stop(ParseAction::kShowVersion);
    case OptionId::kAll: invocation.all = true; return true;
    case OptionId::kVerbose: invocation.verbose = true; return true;
    case OptionId::kDebug: invocation.debug = true; return true;
    case OptionId::kCheck: return stop(ParseAction::kSelfTest);
    case OptionId::kDumpJson:
    case OptionId::kEnable:
    case OptionId::kDisable:
    case OptionId::kBumpTimeout:
    case OptionId::kStartChecker:
    case OptionId::kStopChecker:
    case OptionId::kIsEnabled:
    case OptionId::kRemove:
    case OptionId::kChecker:
    case OptionId::kTimeout:
    case OptionId::kExtendedTimeout:
    case OptionId::kInterval:
    case OptionId::kApproveByDefault:
    case OptionId::kDenyByDefault:
    case OptionId::kApprovalDelay:
    case OptionId::kApprovalDuration:
    case OptionId::kHost:
    case OptionId::kSecret:
    case OptionId::kApprove:
    case OptionId::kDeny:
      break;
  }
  return command(*spec, value);
}

bool Interpreter::positional(const std::string& word) {
  // argparse gives the clients one run of words; later ones are left over.
  if (positionals_closed_) {
    unrecognized_.push_back(word);
  } else {
    positionals_started_ = true;
    result_.invocation.clients.push_back(word);
  }
  return true;
}

void Interpreter::unrecognized(const po::option& option) {
  if (positionals_started_) positionals_closed_ = true;
  unrecognized_.insert(unrecognized_.end(), option.original_tokens.begin(),
                       option.original_tokens.end());
}

ParsedCommandLine Interpreter::finish() {
  if (!unrecognized_.empty()) {
    std::string words;
    for (const std::string& word : unrecognized_) words += (words.empty() ? "" : " ") + word;
    stop(ParseAction::kUsageError, "unrecognized arguments: " + words);
  } else if (auto message = check_option_syntax(result_.invocation)) {
    stop(ParseAction::kUsageError, *message);
  }
  return std::move(result_);
}

// Width of argparse's help formatter from an environment value and a
// terminal width (0: unknown).
int text_width_from(const char* columns, int terminal) {
  if (columns != nullptr) {
    char* end = nullptr;
    const long value = std::strtol(columns, &end, 10);
    if (end != columns && *end == '\0' && value > 0 && value < 10000) {
      return static_cast<int>(value) - 2;
    }
  }
  return (terminal > 0 ? terminal : 80) - 2;
}

}  // namespace

Result<SecretBytes> read_secret_file(const std::string& path) {
  const auto os_error = [&](int error) {
    return fail("can't open '" + path + "': [Errno " + std::to_string(error) + "] " +
                std::strerror(error) + ": " + python_repr(path));
  };
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (path != "-") {
    owned = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!owned) return os_error(errno);
    fd = owned.get();
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) return os_error(EISDIR);
  }
  SecretBytes secret;
  char buffer[8192];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      secure_wipe(buffer, sizeof buffer);
      return fail("can't read '" + path + "': " + std::strerror(error));
    }
    if (got == 0) break;
    if (secret.size() + static_cast<std::size_t>(got) > kMaxSecretFileSize) {
      secure_wipe(buffer, sizeof buffer);
      return fail("can't use '" + path + "': larger than " +
                  std::to_string(kMaxSecretFileSize) + " bytes");
    }
    secret.append(buffer, static_cast<std::size_t>(got));
  }
  secure_wipe(buffer, sizeof buffer);
  return secret;
}

ParsedCommandLine parse_command_line(const std::vector<std::string>& args,
                                     const SecretReader& read_secret) {
  ParsedCommandLine result;
  // The reference looks for --check before parsing anything else.
  for (const std::string& word : args) {
    if (word == "--") break;
    // Its pre-parser knows only --check (and --prefix), so "--c" suffices.
    if (word.size() >= 3 && std::string_view("--check").starts_with(word)) {
      result.action = ParseAction::kSelfTest;
      return result;
    }
  }
  Prepared prepared = prepare_words(args);
  if (prepared.error) {
    result.action = ParseAction::kUsageError;
    result.error = prepared.error->message;
    return result;
  }
  auto parsed = run_boost(prepared.words);
  if (auto* error = std::get_if<UsageError>(&parsed)) {
    result.action = ParseAction::kUsageError;
    result.error = error->message;
    return result;
  }
  Interpreter interpreter(read_secret);
  for (const po::option& option : std::get<po::parsed_options>(parsed).options) {
    bool go_on = true;
    if (option.unregistered) {
      // argparse reads "-5" as a positional word; Boost as an unknown option.
      if (option.original_tokens.size() == 1 && is_negative_number(option.original_tokens[0])) {
        go_on = interpreter.positional(option.original_tokens[0]);
      } else {
        interpreter.unrecognized(option);
      }
    } else if (option.string_key == kClientKey) {
      for (const std::string& word : option.value) go_on = go_on && interpreter.positional(word);
    } else {
      go_on = interpreter.option(option);
    }
    if (!go_on) return std::move(interpreter.result());
  }
  return interpreter.finish();
}

std::optional<std::string> check_option_syntax(const Invocation& invocation) {
  const auto has = [&](CommandKind kind) {
    for (const Command& command : invocation.commands) {
      if (command.kind == kind) return true;
    }
    return false;
  };
  bool has_action = false;
  for (const Command& command : invocation.commands) has_action = has_action || is_action(command.kind);
  if (has_action && invocation.clients.empty() && !invocation.all) {
    return "Options require clients names or --all.";
  }
  if (invocation.verbose && has_action) return "--verbose can only be used alone.";
  if (has(CommandKind::kDumpJson) && (invocation.verbose || invocation.commands.size() > 1)) {
    return "--dump-json can only be used alone.";
  }
  if (invocation.all && !has_action) return "--all requires an action.";
  if (has(CommandKind::kIsEnabled) && invocation.clients.size() > 1) {
    return "--is-enabled requires exactly one client";
  }
  if (invocation.commands.size() > 1 && has(CommandKind::kRemove) && !has(CommandKind::kDeny)) {
    return "--remove can only be combined with --deny";
  }
  return std::nullopt;
}

namespace {

// The bracketed parts of the synopsis: "[-h]", "[-e | -d]", "[-t TIME]".
std::vector<std::string> usage_parts() {
  std::vector<std::string> parts;
  int open_group = 0;
  for (const OptionSpec& spec : kOptions) {
    std::string part = spec.short_name != '\0' ? std::string("-") + spec.short_name
                                               : std::string("--") + spec.long_name;
    if (spec.arg != ArgKind::kNone) part += std::string(" ") + spec.metavar;
    if (spec.group != 0 && spec.group == open_group) {
      parts.back().insert(parts.back().size() - 1, " | " + part);
      continue;
    }
    open_group = spec.group;
    parts.push_back("[" + part + "]");
  }
  return parts;
}

// argparse's get_lines(): parts joined by spaces, a new indented line
// whenever the next part would pass `width`. With `after_prefix` the first
// line continues "usage: " and so carries no indent.
std::vector<std::string> fill_lines(const std::vector<std::string>& parts,
                                    const std::string& indent, bool after_prefix,
                                    int width) {
  const std::size_t limit = static_cast<std::size_t>(width);
  std::vector<std::string> lines;
  std::vector<std::string> line;
  std::size_t length = after_prefix ? std::string("usage: ").size() - 1 : indent.size() - 1;
  const auto flush = [&] {
    std::string text = indent;
    for (std::size_t i = 0; i < line.size(); ++i) text += (i == 0 ? "" : " ") + line[i];
    lines.push_back(std::move(text));
    line.clear();
  };
  for (const std::string& part : parts) {
    if (length + 1 + part.size() > limit && !line.empty()) {
      flush();
      length = indent.size() - 1;
    }
    line.push_back(part);
    length += part.size() + 1;
  }
  if (!line.empty()) flush();
  if (after_prefix && !lines.empty()) lines[0].erase(0, indent.size());
  return lines;
}

}  // namespace

std::string usage_text(std::string_view prog, int width) {
  const std::string prefix = "usage: ";
  const std::vector<std::string> options = usage_parts();
  const std::vector<std::string> positionals = {"[client ...]"};
  std::string flat = std::string(prog);
  for (const auto& part : options) flat += " " + part;
  for (const auto& part : positionals) flat += " " + part;
  if (prefix.size() + flat.size() <= static_cast<std::size_t>(width)) {
    return prefix + flat + "\n";
  }
  std::vector<std::string> lines;
  const auto append = [&lines](const std::vector<std::string>& more) {
    lines.insert(lines.end(), more.begin(), more.end());
  };
  if (static_cast<double>(prefix.size() + prog.size()) <= 0.75 * width) {
    const std::string indent(prefix.size() + prog.size() + 1, ' ');
    std::vector<std::string> first = {std::string(prog)};
    first.insert(first.end(), options.begin(), options.end());
    lines = fill_lines(first, indent, true, width);
    append(fill_lines(positionals, indent, false, width));
  } else {
    const std::string indent(prefix.size(), ' ');
    std::vector<std::string> all = options;
    all.insert(all.end(), positionals.begin(), positionals.end());
    lines = fill_lines(all, indent, false, width);
    if (lines.size() > 1) {
      lines = fill_lines(options, indent, false, width);
      append(fill_lines(positionals, indent, false, width));
    }
    lines.insert(lines.begin(), std::string(prog));
  }
  std::string out = prefix;
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? "" : "\n") + lines[i];
  return out + "\n";
}

std::string help_text(std::string_view prog, int width) {
  std::string out = usage_text(prog, width);
  out +=
      "\n"
      "Lists the clients of the running Mandos server, or changes them, through\n"
      "the server's D-Bus interface. Without an action, prints a table of the\n"
      "named clients (all clients when none is named).\n"
      "\n"
      "positional arguments:\n"
      "  client                a client, by its section name in clients.conf\n"
      "\n"
      "options:\n";
  for (const OptionSpec& spec : kOptions) {
    std::string names;
    if (spec.short_name != '\0') {
      names = std::string("-") + spec.short_name;
      if (spec.arg != ArgKind::kNone) names += std::string(" ") + spec.metavar;
      names += ", ";
    }
    names += std::string("--") + spec.long_name;
    if (spec.arg != ArgKind::kNone) names += std::string(" ") + spec.metavar;
    std::string line = "  " + names;
    if (line.size() <= 22) {
      line.append(24 - line.size(), ' ');
    } else {
      line += "\n" + std::string(24, ' ');
    }
    out += line + spec.help + "\n";
  }
  out +=
      "\n"
      "TIME is an RFC 3339 duration such as PT5M or P1DT2H; other text is read\n"
      "the pre-1.6.1 way, as numbers followed by d, h, m, s or w (a number\n"
      "alone means milliseconds), with a warning.\n";
  return out;
}

int terminal_text_width() {
  struct winsize size {};
  int terminal = 0;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) terminal = size.ws_col;
  return text_width_from(std::getenv("COLUMNS"), terminal);
}

}  // namespace mandos::ctl
