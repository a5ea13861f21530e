// mandos-fake-client: a Mandos client without OpenPGP, for tests and
// benchmarks (not installed). It connects, sends a version line (or any
// bytes), does the TLS-server side with a raw public key, reads to
// close_notify, answers with its own, and writes the bytes received to
// stdout unchanged.
//
// Exit status: 0 = at least one byte received, 1 = refused (zero bytes and
// a clean close_notify), 2 = any error (message on stderr).
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "mandos/fd.hpp"
#include "mandos/tls.hpp"
#include "test_client.hpp"

namespace {

namespace client = mandos::test::client;

constexpr int kExitError = 2;

const char* const kUsage =
    "Usage: mandos-fake-client --connect=HOST:PORT --tls-pubkey=FILE --tls-privkey=FILE\n"
    "                          [--send=BYTES] [--priority=STRING] [--timeout=SECONDS]\n"
    "  --send      bytes sent before TLS, with \\r \\n \\t \\\\ \\0 \\xNN escapes\n"
    "              (default \"1\\r\\n\"; empty: send nothing)\n"
    "  --timeout   limit for the whole exchange (default 30)\n"
    "Exit status: 0 secret received (on stdout), 1 refused, 2 error.\n";

// Decodes C-style escapes so tests can send NUL, CR and arbitrary bytes.
std::optional<std::string> unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    switch (text[i]) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '0': out += '\0'; break;
      case '\\': out += '\\'; break;
      case 'x': {
        if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
          return std::nullopt;
        }
        out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

struct Args {
  client::ExchangeOptions exchange;
  std::string pubkey;
  std::string privkey;
};

int usage_error(const std::string& message) {
  std::cerr << "mandos-fake-client: " << message << "\n" << kUsage;
  return kExitError;
}

std::optional<std::string> value_of(const std::string& arg, const std::string& name) {
  if (arg.rfind(name + "=", 0) != 0) return std::nullopt;
  return arg.substr(name.size() + 1);
}

// Returns an exit status if parsing ended the program.
std::optional<int> parse(int argc, char** argv, Args& args) {
  bool have_connect = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (auto v = value_of(arg, "--connect")) {
      auto ok = client::parse_host_port(*v, args.exchange.host, args.exchange.port);
      if (!ok) return usage_error("--connect: " + ok.error().message);
      have_connect = true;
    } else if (auto pub = value_of(arg, "--tls-pubkey")) {
      args.pubkey = *pub;
    } else if (auto priv = value_of(arg, "--tls-privkey")) {
      args.privkey = *priv;
    } else if (auto send = value_of(arg, "--send")) {
      auto bytes = unescape(*send);
      if (!bytes) return usage_error("--send: bad escape in \"" + *send + "\"");
      args.exchange.preamble = *bytes;
    } else if (auto priority = value_of(arg, "--priority")) {
      args.exchange.priority = *priority;
    } else if (auto timeout = value_of(arg, "--timeout")) {
      char* end = nullptr;
      double seconds = std::strtod(timeout->c_str(), &end);
      if (timeout->empty() || *end != '\0' || !(seconds > 0) || seconds > 86400) {
        return usage_error("--timeout: \"" + *timeout + "\" is not a number of seconds");
      }
      args.exchange.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    } else if (arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else {
      return usage_error("unknown argument \"" + arg + "\"");
    }
  }
  if (!have_connect || args.pubkey.empty() || args.privkey.empty()) {
    return usage_error("--connect, --tls-pubkey and --tls-privkey are required");
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (auto status = parse(argc, argv, args)) return *status;
  auto gnutls = mandos::tls::GlobalInit::create();
  if (!gnutls) return usage_error(gnutls.error().message);
  auto credentials = mandos::tls::CertificateCredentials::from_rawpk_files(args.pubkey, args.privkey);
  if (!credentials) return usage_error(credentials.error().message);

  client::ExchangeResult result = client::run_exchange(args.exchange, *credentials);
  switch (result.outcome) {
    case client::Outcome::Received:
      if (!mandos::write_all(STDOUT_FILENO, result.data.data(), result.data.size())) {
        std::cerr << "mandos-fake-client: cannot write to stdout\n";
        return kExitError;
      }
      return 0;
    case client::Outcome::Refused:
      return 1;
    case client::Outcome::Error:
      std::cerr << "mandos-fake-client: " << result.error << "\n";
      return kExitError;
  }
  return kExitError;
}
