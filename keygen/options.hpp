// Command line of mandos-keygen (keygen.md §1): the reference is a shell
// script that parses with GNU getopt(1), so we parse with getopt_long, which
// gives the same permutation, long-option abbreviations and error messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::keygen {

inline constexpr const char* kVersion = MANDOS_VERSION;

// Reference defaults (keygen.md §1).
inline constexpr const char* kPreferredKeyDir = "/etc/keys/mandos";
inline constexpr const char* kFallbackKeyDir = "/etc/mandos/keys";
inline constexpr int kMinKeyLength = 512;

enum class Mode { kGenerateKeys, kEncryptPassword };
enum class Action { kRun, kShowVersion, kShowHelp };

struct Settings {
  Mode mode = Mode::kGenerateKeys;
  std::optional<std::string> dir;   // unset: default_key_dir()
  std::string key_type = "RSA";
  std::string key_length = "4096";  // checked by check_keygen_settings
  std::string subkey_type = "RSA";
  std::string subkey_length = "4096";  // passed to GnuPG unchecked, as the reference
  std::optional<std::string> name;  // unset: the host's FQDN
  std::string email;
  std::string comment;
  std::string expire = "0";
  std::string tls_key_type = "ed25519";
  bool force = false;
  // Empty: prompt on the terminal. As in the reference, `--passfile ''`
  // selects password mode but prompts.
  std::string passfile;
  bool ssh = true;
};

struct Command {
  Action action = Action::kRun;
  Settings settings;
};

// Parses argv as the reference's `getopt --options ... --longoptions ...`
// does, then applies the options in order (the first --version or --help
// wins). getopt_long prints its own messages ("PROG: unrecognized option
// '--x'") to stderr, naming argv[0]; then the returned error has an empty
// message. Every error means exit status 1. argv may be permuted.
[[nodiscard]] Result<Command> parse_command_line(int argc, char* argv[]);

// The usage text for --help, using the basename of argv0.
std::string help_text(const std::string& argv0);

// "/etc/keys/mandos" if it is a directory, else "/etc/mandos/keys".
std::string default_key_dir();

// The key name when --name is not given: what `hostname --fqdn` prints
// (the canonical name of the host name), else the plain host name.
std::string default_key_name();

// Checks done in both modes, in the reference's order: "DIR not a
// directory", "Directory DIR not readable".
[[nodiscard]] Status check_key_dir(const std::string& dir);

// Key generation checks, in the reference's order: directory writeable,
// key type, name, length, expiration. `name` is the resolved key name.
[[nodiscard]] Status check_keygen_settings(const Settings& settings, const std::string& dir,
                                           const std::string& name);

// The primary key length as a number; fails with "Invalid key length" if it
// is empty, not a decimal integer or below kMinKeyLength.
[[nodiscard]] Result<long> parse_key_length(const std::string& text);

}  // namespace mandos::keygen
