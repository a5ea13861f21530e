// Command line of mandos-client (client.md §1), parsed with glibc argp so
// that --help, --usage, -?, -V and every error message and exit status
// behave like the reference's.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::client {

// Exit statuses (sysexits.h names), as the reference uses them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitNoInterface = 1;
inline constexpr int kExitUsage = 64;        // EX_USAGE
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE
inline constexpr int kExitOsError = 71;      // EX_OSERR

inline constexpr std::string_view kProgramName = "mandos-client";
inline constexpr std::string_view kMessagePrefix = "Mandos plugin mandos-client";

inline constexpr std::string_view kDefaultPubkey = "/conf/conf.d/mandos/pubkey.txt";
inline constexpr std::string_view kDefaultSeckey = "/conf/conf.d/mandos/seckey.txt";
inline constexpr std::string_view kDefaultTlsPubkey = "/conf/conf.d/mandos/tls-pubkey.pem";
inline constexpr std::string_view kDefaultTlsPrivkey = "/conf/conf.d/mandos/tls-privkey.pem";
inline constexpr std::string_view kDefaultDhParams = "/conf/conf.d/mandos/dhparams.pem";
inline constexpr std::string_view kDefaultHookDir = "/lib/mandos/network-hooks.d";
inline constexpr std::string_view kNoInterface = "none";

// A --connect target: numeric address (no name resolution, as the
// reference) and TCP port.
struct ConnectTarget {
  std::string text;     // the option value as given
  std::string address;  // without surrounding [] for IPv6
  int family = AF_INET;
  uint16_t port = 0;
};

struct ClientOptions {
  std::optional<ConnectTarget> connect;
  std::vector<std::string> interfaces;  // --interface values, split on commas
  std::string pubkey{kDefaultPubkey};
  std::string seckey{kDefaultSeckey};
  std::string tls_pubkey{kDefaultTlsPubkey};
  std::string tls_privkey{kDefaultTlsPrivkey};
  std::string priority;  // set from mandos::tls::kDefaultPriority
  unsigned dh_bits = 0;
  std::string dh_params;  // empty: none
  double delay = 2.5;     // seconds to wait for IFF_RUNNING
  double retry = 10.0;    // seconds between attempts on one server
  std::string hook_dir{kDefaultHookDir};
  bool debug = false;
};

// Parses argv like the reference. On --help/--usage/--version and on any
// usage error argp prints its message and exits with status 64; nothing
// returns in those cases. The --connect value is checked here too (the
// reference checks it later, after starting hooks and interfaces, with the
// same messages and exit status).
ClientOptions parse_options(int argc, char** argv);

// The pieces of parse_options(), exposed for tests. Each error text is the
// reference's message.
[[nodiscard]] Result<ConnectTarget> parse_connect(std::string_view text);
[[nodiscard]] Result<double> parse_delay(std::string_view text);   // "Bad delay"
[[nodiscard]] Result<double> parse_retry(std::string_view text);   // "Bad retry interval"
[[nodiscard]] Result<unsigned> parse_dh_bits(std::string_view text);
// Appends the comma-separated names in text (empty pieces dropped, as
// argz_add_sep does).
void append_interfaces(std::string_view text, std::vector<std::string>& out);

}  // namespace mandos::client
