#include "daemon/settings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "mandos/config.hpp"
#include "mandos/tls.hpp"

namespace mandos::server {
namespace po = boost::program_options;
namespace {

constexpr const char* kVersion = "mandos 1.8.16";

// The option table: long name, short letter, argument name (empty: flag),
// help. The mandos.conf keys are handled in apply_server_config().
struct OptionSpec {
  const char* name;
  const char* shorthand;
  const char* argument;
  const char* help;
};

constexpr OptionSpec kOptions[] = {
    {"help", "h", "", "print this help text, then exit"},
    {"version", "v", "", "print the program version, then exit"},
    {"interface", "i", "IF", "listen only on the network interface IF"},
    {"address", "a", "ADDRESS", "IP address to listen on (default: every address)"},
    {"port", "p", "PORT", "TCP port to listen on (default: one the kernel picks)"},
    {"check", "", "", "run the built-in self-tests and check the configuration, then exit"},
    {"debug", "", "", "stay in the foreground and log everything to standard error"},
    {"debuglevel", "", "LEVEL", "lowest log level to record: DEBUG, INFO, WARNING, ERROR or CRITICAL"},
    {"priority", "", "PRIORITY", "TLS algorithm choice, as a GnuTLS priority string"},
    {"servicename", "", "NAME", "name to announce the service under with Zeroconf"},
    {"configdir", "", "DIR", "read mandos.conf and clients.conf from DIR"},
    {"no-dbus", "", "", "do not offer the D-Bus control interface"},
    {"no-ipv6", "", "", "use IPv4 only"},
    {"no-restore", "", "", "ignore the state saved by the previous run"},
    {"socket", "", "SOCKET", "serve on the already listening socket with file descriptor SOCKET"},
    {"statedir", "", "DIR", "keep the saved client state in DIR"},
    {"foreground", "", "", "do not detach from the terminal"},
    {"no-zeroconf", "", "", "do not announce the service with Zeroconf"},
};

po::options_description make_description() {
  po::options_description description("options");
  for (const OptionSpec& spec : kOptions) {
    std::string names = spec.name;
    if (*spec.shorthand != '\0') names += std::string(",") + spec.shorthand;
    if (*spec.argument == '\0') {
      description.add_options()(names.c_str(), spec.help);
    } else {
      description.add_options()(names.c_str(),
                                po::value<std::string>()->value_name(spec.argument), spec.help);
    }
  }
  return description;
}

ParsedSettings usage_error(const std::string& message) {
  return {ParseOutcome::UsageError, {}, usage_text() + "mandos: error: " + message + "\n"};
}

ParsedSettings fatal(const std::string& message) {
  return {ParseOutcome::Fatal, {}, message};
}

// Python int(): surrounding whitespace, optional sign, digits with single
// underscores between them.
std::optional<long long> parse_python_int(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.front() == '_' || text.back() == '_') return std::nullopt;
  long long value = 0;
  char previous = 0;
  for (char c : text) {
    if (c == '_') {
      if (previous == '_') return std::nullopt;
    } else if (c >= '0' && c <= '9') {
      if (value > 1'000'000'000'000LL) return std::nullopt;
      value = value * 10 + (c - '0');
    } else {
      return std::nullopt;
    }
    previous = c;
  }
  return negative ? -value : value;
}

Status config_int(const config::IniFile& ini, const char* key, std::optional<int>& out,
                  long long low, long long high) {
  auto raw = ini.raw(config::kDefaultSection, key);
  if (!raw || raw->empty()) return {};  // empty = unset
  auto value = ini.get(config::kDefaultSection, key);
  if (!value) return value.error();
  auto parsed = parse_python_int(value->value_or(""));
  if (!parsed || *parsed < low || *parsed > high) {
    return fail(ini.location(config::kDefaultSection, key) + ": in section [DEFAULT], option '" +
                key + "': invalid value \"" + value->value_or("") + "\" (expected an integer from " +
                std::to_string(low) + " to " + std::to_string(high) + ")");
  }
  out = static_cast<int>(*parsed);
  return {};
}

// argparse's message for an --option with an invalid int argument.
std::optional<std::string> cli_int(const po::variables_map& vm, const char* name,
                                   const char* shown, long long low, long long high,
                                   std::optional<int>& out) {
  if (vm.count(name) == 0) return std::nullopt;
  const std::string& text = vm[name].as<std::string>();
  auto parsed = parse_python_int(text);
  if (!parsed || *parsed < low || *parsed > high) {
    return std::string("argument ") + shown + ": invalid int value: '" + text + "'";
  }
  out = static_cast<int>(*parsed);
  return std::nullopt;
}

void apply_command_line(const po::variables_map& vm, ServerSettings& s) {
  auto text = [&](const char* name, std::string& out) {
    if (vm.count(name) != 0) out = vm[name].as<std::string>();
  };
  text("interface", s.interface);
  text("address", s.address);
  text("debuglevel", s.debuglevel);
  text("priority", s.priority);
  text("servicename", s.servicename);
  text("statedir", s.statedir);
  // Flags only ever switch things on (--debug) or off (--no-*).
  if (vm.count("debug") != 0) s.debug = true;
  if (vm.count("foreground") != 0) s.foreground = true;
  if (vm.count("no-dbus") != 0) s.use_dbus = false;
  if (vm.count("no-ipv6") != 0) s.use_ipv6 = false;
  if (vm.count("no-restore") != 0) s.restore = false;
  if (vm.count("no-zeroconf") != 0) s.zeroconf = false;
  if (vm.count("check") != 0) s.check = true;
}

}  // namespace

log::Level ServerSettings::log_level() const {
  if (debug) return log::Level::Debug;
  if (debuglevel.empty()) return log::Level::Warning;
  auto level = log::parse_level(debuglevel);
  return level ? *level : log::Level::Warning;
}

std::string usage_text() {
  return "usage: mandos [-h] [-v] [-i IF] [-a ADDRESS] [-p PORT] [--check] [--debug]\n"
         "              [--debuglevel LEVEL] [--priority PRIORITY] [--servicename NAME]\n"
         "              [--configdir DIR] [--no-dbus] [--no-ipv6] [--no-restore]\n"
         "              [--socket SOCKET] [--statedir DIR] [--foreground] [--no-zeroconf]\n";
}

Status apply_server_config(const std::string& path, ServerSettings& s, bool missing_is_empty) {
  auto ini = config::IniFile::load(path, {}, missing_is_empty);
  if (!ini) return ini.error();
  // Strings are used as written (the reference reads defaults() raw).
  for (auto [key, out] : {std::pair{"interface", &s.interface}, std::pair{"address", &s.address},
                          std::pair{"priority", &s.priority},
                          std::pair{"servicename", &s.servicename},
                          std::pair{"debuglevel", &s.debuglevel},
                          std::pair{"statedir", &s.statedir}}) {
    if (auto raw = ini->raw(config::kDefaultSection, key)) *out = *raw;
  }
  for (auto [key, out] : {std::pair{"debug", &s.debug}, std::pair{"use_dbus", &s.use_dbus},
                          std::pair{"use_ipv6", &s.use_ipv6}, std::pair{"restore", &s.restore},
                          std::pair{"foreground", &s.foreground},
                          std::pair{"zeroconf", &s.zeroconf}}) {
    auto value = ini->get_bool(config::kDefaultSection, key, *out);
    if (!value) return value.error();
    *out = *value;
  }
  if (auto st = config_int(*ini, "port", s.port, 0, 65535); !st) return st;
  if (auto st = config_int(*ini, "socket", s.socket, 0, INT32_MAX); !st) return st;
  if (s.socket && *s.socket <= 2) {
    // stdio will be replaced by /dev/null later; keep the socket elsewhere.
    int copy = ::fcntl(*s.socket, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) {
      return fail(ini->location(config::kDefaultSection, "socket") + ": cannot dup socket " +
                  std::to_string(*s.socket) + ": " + std::strerror(errno));
    }
    s.socket = copy;
  }
  return {};
}

ParsedSettings parse_settings(int argc, const char* const* argv) {
  po::options_description description = make_description();
  po::variables_map vm;
  try {
    auto style = po::command_line_style::default_style;  // includes allow_guessing
    po::parsed_options parsed =
        po::command_line_parser(argc, argv).options(description).style(style).run();
    std::string stray;
    for (const po::option& option : parsed.options) {
      if (!option.string_key.empty()) continue;
      for (const std::string& token : option.original_tokens) stray += (stray.empty() ? "" : " ") + token;
    }
    if (!stray.empty()) return usage_error("unrecognized arguments: " + stray);
    po::store(parsed, vm);
  } catch (const po::error& e) {
    return usage_error(e.what());
  }
  if (vm.count("help") != 0) {
    std::ostringstream out;
    out << usage_text() << "\n" << description;
    return {ParseOutcome::ExitSuccess, {}, out.str()};
  }
  if (vm.count("version") != 0) return {ParseOutcome::ExitSuccess, {}, std::string(kVersion) + "\n"};

  ServerSettings s;
  s.priority = std::string(tls::kDefaultPriority);
  std::optional<int> cli_port, cli_socket;
  if (auto e = cli_int(vm, "port", "-p/--port", 0, 65535, cli_port)) return usage_error(*e);
  if (auto e = cli_int(vm, "socket", "--socket", 0, INT32_MAX, cli_socket)) return usage_error(*e);
  if (vm.count("configdir") != 0) s.configdir = vm["configdir"].as<std::string>();

  const bool check = vm.count("check") != 0;
  if (auto st = apply_server_config(s.configdir + "/mandos.conf", s); !st) {
    // --check reports it among its results instead of stopping here.
    if (!check) return fatal(st.error().message);
    apply_command_line(vm, s);
    return {ParseOutcome::Run, std::move(s), st.error().message};
  }
  apply_command_line(vm, s);
  if (cli_port) s.port = cli_port;
  if (cli_socket) s.socket = cli_socket;

  if (!s.debuglevel.empty()) {
    if (auto level = log::parse_level(s.debuglevel); !level) {
      return fatal("debuglevel: " + level.error().message);
    }
  }
  if (s.debug) s.foreground = true;
  if (!s.check && !s.zeroconf && !(s.port.value_or(0) != 0 || s.socket.has_value())) {
    return usage_error("Needs port or socket to work without Zeroconf");
  }
  return {ParseOutcome::Run, std::move(s), {}};
}

}  // namespace mandos::server
