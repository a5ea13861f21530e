#include "options.hpp"

#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

namespace mandos::keygen {
namespace {

// Same letters and names as the reference's getopt(1) call.
constexpr const char* kShortOptions = "vhpF:d:t:l:s:L:n:e:c:x:T:fS";
const option kLongOptions[] = {
    {"version", no_argument, nullptr, 'v'},
    {"help", no_argument, nullptr, 'h'},
    {"password", no_argument, nullptr, 'p'},
    {"passfile", required_argument, nullptr, 'F'},
    {"dir", required_argument, nullptr, 'd'},
    {"type", required_argument, nullptr, 't'},
    {"length", required_argument, nullptr, 'l'},
    {"subtype", required_argument, nullptr, 's'},
    {"sublength", required_argument, nullptr, 'L'},
    {"name", required_argument, nullptr, 'n'},
    {"email", required_argument, nullptr, 'e'},
    {"comment", required_argument, nullptr, 'c'},
    {"expire", required_argument, nullptr, 'x'},
    {"tls-keytype", required_argument, nullptr, 'T'},
    {"force", no_argument, nullptr, 'f'},
    {"no-ssh", no_argument, nullptr, 'S'},
    {nullptr, 0, nullptr, 0},
};

// Applies one parsed option; returns false for --version/--help, which end
// option processing as the reference's `exit` inside its loop does.
bool apply_option(int letter, const char* argument, Command& command) {
  Settings& s = command.settings;
  const std::string arg = argument != nullptr ? argument : "";
  switch (letter) {
    case 'p': s.mode = Mode::kEncryptPassword; break;
    case 'F': s.mode = Mode::kEncryptPassword; s.passfile = arg; break;
    case 'd': s.dir = arg; break;
    case 't': s.key_type = arg; break;
    case 'l': s.key_length = arg; break;
    case 's': s.subkey_type = arg; break;
    case 'L': s.subkey_length = arg; break;
    case 'n': s.name = arg; break;
    case 'e': s.email = arg; break;
    case 'c': s.comment = arg; break;
    case 'x': s.expire = arg; break;
    case 'T': s.tls_key_type = arg; break;
    case 'f': s.force = true; break;
    case 'S': s.ssh = false; break;
    case 'v': command.action = Action::kShowVersion; return false;
    case 'h': command.action = Action::kShowHelp; return false;
  }
  return true;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// test(1)'s -r/-w: access for the effective IDs.
bool accessible(const std::string& path, int mode) {
  return ::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) == 0;
}

// Values end up as lines of a GnuPG parameter block; a line break would let
// one value add parameters of its own.
Status check_single_line(const std::string& value, const char* option) {
  if (value.find_first_of("\r\n") == std::string::npos) return {};
  return fail(std::string("Line break in ") + option + " value", 1);
}

}  // namespace

Result<Command> parse_command_line(int argc, char* argv[]) {
  struct Parsed {
    int letter;
    const char* argument;
  };
  std::vector<Parsed> parsed;
  bool bad = false;
  optind = 0;  // glibc: full re-initialisation, so repeated calls (tests) work
  opterr = 1;  // getopt_long reports errors itself, as getopt(1) does
  for (;;) {
    int letter = getopt_long(argc, argv, kShortOptions, kLongOptions, nullptr);
    if (letter == -1) break;
    // getopt(1) reports every bad option, then fails.
    if (letter == '?' || letter == ':') {
      bad = true;
      continue;
    }
    parsed.push_back({letter, optarg});
  }
  if (bad) return fail("", 1);

  Command command;
  for (const Parsed& p : parsed) {
    if (!apply_option(p.letter, p.argument, command)) return command;
  }
  if (optind < argc) {
    std::string rest;
    for (int i = optind; i < argc; ++i) rest += (i > optind ? " " : "") + std::string(argv[i]);
    return fail("Unknown arguments: '" + rest + "'", 1);
  }
  return command;
}

std::string help_text(const std::string& argv0) {
  const auto slash = argv0.find_last_of('/');
  const std::string prog = slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
  return "Usage: " + prog + " [ -v | --version ]\n"
         "       " + prog + " [ -h | --help ]\n"
         "   Generate a client's keys:\n"
         "       " + prog + " [ OPTIONS ]\n"
         "   Encrypt a password and print a clients.conf section:\n"
         "       " + prog + " { -p | --password } [ --name NAME ] [ --dir DIR ]\n"
         "       " + prog + " { -F | --passfile } FILE [ --name NAME ] [ --dir DIR ]\n"
         "\n"
         "Options for generating keys:\n"
         "  -v, --version         Print the program name and version, then exit\n"
         "  -h, --help            Print this text, then exit\n"
         "  -d DIR, --dir DIR     Directory of the key files\n"
         "  -t TYPE, --type TYPE  OpenPGP primary key algorithm (default RSA)\n"
         "  -l BITS, --length BITS\n"
         "                        OpenPGP primary key size in bits (default 4096)\n"
         "  -s TYPE, --subtype TYPE\n"
         "                        OpenPGP subkey algorithm (default RSA)\n"
         "  -L BITS, --sublength BITS\n"
         "                        OpenPGP subkey size in bits (default 4096)\n"
         "  -n NAME, --name NAME  Key name and client name (default: this host's FQDN)\n"
         "  -e ADDRESS, --email ADDRESS\n"
         "                        E-mail address in the OpenPGP user ID (default none)\n"
         "  -c TEXT, --comment TEXT\n"
         "                        Comment in the OpenPGP user ID (default none)\n"
         "  -x TIME, --expire TIME\n"
         "                        When the OpenPGP key expires, in GnuPG's\n"
         "                        Expire-Date syntax (default 0: never)\n"
         "  -T TYPE, --tls-keytype TYPE\n"
         "                        TLS key algorithm (default ed25519)\n"
         "  -f, --force           Replace existing key files (old ones are kept\n"
         "                        as numbered backups FILE.~N~)\n"
         "\n"
         "Options for encrypting a password:\n"
         "  -p, --password        Ask for the password on the terminal and encrypt\n"
         "                        it to the key in the key directory.  Only --dir\n"
         "                        and --name matter in this mode.\n"
         "  -F FILE, --passfile FILE\n"
         "                        Encrypt the contents of FILE, byte for byte,\n"
         "                        instead.  Only --dir and --name matter.\n"
         "  -S, --no-ssh          Do not ask the local SSH server for its host key,\n"
         "                        and leave out the \"checker\" option.\n";
}

std::string default_key_dir() {
  return is_directory(kPreferredKeyDir) ? kPreferredKeyDir : kFallbackKeyDir;
}

std::string default_key_name() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "";
  addrinfo hints{};
  hints.ai_flags = AI_CANONNAME;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host, nullptr, &hints, &found) != 0 || found == nullptr) return host;
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, ::freeaddrinfo);
  if (found->ai_canonname == nullptr) return host;
  return found->ai_canonname;
}

Status check_key_dir(const std::string& dir) {
  if (!is_directory(dir)) return fail(dir + " not a directory", 1);
  if (!accessible(dir, R_OK)) return fail("Directory " + dir + " not readable", 1);
  return {};
}

Result<long> parse_key_length(const std::string& text) {
  const Error invalid = fail("Invalid key length", 1);
  if (text.empty()) return invalid;
  errno = 0;
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  // strtol skips leading blanks and takes a sign; test(1) does too.
  if (errno != 0 || end == text.c_str() || *end != '\0') return invalid;
  if (value < kMinKeyLength) return invalid;
  return value;
}

Status check_keygen_settings(const Settings& settings, const std::string& dir,
                             const std::string& name) {
  if (!accessible(dir, W_OK)) return fail("Directory " + dir + " not writeable", 1);
  if (settings.key_type.empty()) return fail("Empty key type", 1);
  if (name.empty()) return fail("Empty key name", 1);
  if (auto length = parse_key_length(settings.key_length); !length) return length.error();
  if (settings.expire.empty()) return fail("Empty key expiration", 1);

  const std::pair<const std::string*, const char*> lines[] = {
      {&settings.key_type, "--type"},       {&settings.key_length, "--length"},
      {&settings.subkey_type, "--subtype"}, {&settings.subkey_length, "--sublength"},
      {&name, "--name"},                    {&settings.email, "--email"},
      {&settings.comment, "--comment"},     {&settings.expire, "--expire"},
  };
  for (const auto& [value, option] : lines) {
    if (Status ok = check_single_line(*value, option); !ok) return ok;
  }
  return {};
}

}  // namespace mandos::keygen
