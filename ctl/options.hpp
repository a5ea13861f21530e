// mandos-ctl's command line (ctl.md §1, §2). The reference parses with
// Python's argparse; we parse with Boost.Program_options and reproduce what
// a user can see of argparse: long-option abbreviations, "--opt=value",
// bundled short options, clients as one run of positional arguments, the
// mutually exclusive pairs, and argparse's error texts and usage synopsis.
// Like argparse, TIME values are converted and the --secret file is read
// while parsing, so their warnings and errors come before any D-Bus work.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "command.hpp"
#include "mandos/result.hpp"
#include "mandos/secret.hpp"

namespace mandos::ctl {

inline constexpr const char* kCtlVersion = MANDOS_VERSION;
// The server refuses larger secrets too (1 MiB).
inline constexpr std::size_t kMaxSecretFileSize = 1 << 20;

enum class ParseAction { kRun, kShowHelp, kShowVersion, kSelfTest, kUsageError };

struct ParsedCommandLine {
  ParseAction action = ParseAction::kRun;
  Invocation invocation;
  // "Invalid RFC 3339 duration..." lines, to print before anything else.
  std::vector<std::string> warnings;
  // kUsageError: the text after "PROG: error: ".
  std::string error;
};

// Reads a --secret argument: a file, or standard input for "-". Errors read
// as argparse's: "can't open 'F': [Errno 2] No such file or directory: 'F'".
using SecretReader = std::function<Result<SecretBytes>(const std::string& path)>;
[[nodiscard]] Result<SecretBytes> read_secret_file(const std::string& path);

// args: the arguments after argv[0].
[[nodiscard]] ParsedCommandLine parse_command_line(const std::vector<std::string>& args,
                                                   const SecretReader& read_secret = read_secret_file);

// The extra rules argparse cannot express (ctl.md §1), checked in the
// reference's order; the message of the first that fails.
std::optional<std::string> check_option_syntax(const Invocation& invocation);

// argparse's usage synopsis, "usage: PROG [-h] ...\n", wrapped to `width`
// columns as argparse does (its width is the terminal's minus 2).
std::string usage_text(std::string_view prog, int width);
std::string help_text(std::string_view prog, int width);

// argparse's width: $COLUMNS, else the terminal on stdout, else 80; minus 2.
int terminal_text_width();

}  // namespace mandos::ctl
