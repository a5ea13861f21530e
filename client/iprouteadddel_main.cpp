// mandos-client-iprouteadddel: the route helper of mandos-client
// (client.md §6). Usage: mandos-client-iprouteadddel [--debug]
// add|delete ADDRESS INTERFACE. Exit 0 done, 64 usage, 71 failure.
#include <argp.h>
#include <net/if.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mandos/log.hpp"
#include "route_netlink.hpp"

namespace {

using namespace mandos::client;

constexpr int kExitUsage = 64;
constexpr int kExitOsError = 71;
constexpr int kKeyDebug = 128;

struct Arguments {
  std::vector<std::string> positional;
  bool debug = false;
};

const argp_option kOptions[] = {
    {"debug", kKeyDebug, nullptr, 0, "Print debugging messages", 0},
    {nullptr, 0, nullptr, 0, nullptr, 0},
};

error_t parse_key(int key, char* arg, argp_state* state) {
  auto* args = static_cast<Arguments*>(state->input);
  switch (key) {
    case kKeyDebug: args->debug = true; break;
    case ARGP_KEY_ARG:
      if (args->positional.size() >= 3) argp_usage(state);
      args->positional.emplace_back(arg);
      break;
    case ARGP_KEY_END:
      if (args->positional.size() != 3) argp_usage(state);
      break;
    default:
      return ARGP_ERR_UNKNOWN;
  }
  return 0;
}

}  // namespace

const char* argp_program_version = "mandos-client-iprouteadddel " MANDOS_VERSION;

int main(int argc, char** argv) {
  using namespace mandos;
  argp_err_exit_status = kExitUsage;
  Arguments args;
  const argp parser = {kOptions, parse_key, "[ add | delete ] ADDRESS INTERFACE",
                       "Mandos client helper -- add or delete a host route to an IP address "
                       "on an interface",
                       nullptr, nullptr, nullptr};
  if (argp_parse(&parser, argc, argv, 0, nullptr, &args) != 0) return kExitUsage;

  log::Options options;
  options.threshold = args.debug ? log::Level::Debug : log::Level::Info;
  options.stderr_style = log::StderrStyle::Prefixed;
  options.stderr_name = "Mandos plugin helper mandos-client-iprouteadddel";
  log::configure(options);

  // Validation: every argument before touching the kernel.
  auto verb = route::parse_verb(args.positional[0]);
  if (!verb) {
    log::error(verb.error().message);
    argp_help(&parser, stderr, ARGP_HELP_STD_USAGE, program_invocation_short_name);
    return kExitUsage;
  }
  auto parsed = route::parse_args(*verb, args.positional[1], args.positional[2]);
  if (!parsed) {
    log::error(parsed.error().message);
    return kExitUsage;
  }
  unsigned ifindex = ::if_nametoindex(parsed->ifname.c_str());
  if (ifindex == 0) {
    log::error("Failed to use interface ", parsed->ifname, ": ", std::strerror(errno));
    return kExitOsError;
  }
  log::debug("Address family of ", parsed->address_text, " is ",
             parsed->family == AF_INET ? "AF_INET" : "AF_INET6", " (", parsed->family, ")");
  log::debug("ifindex of ", parsed->ifname, " is ", ifindex);

  const char* what = *verb == route::Verb::kAdd ? "add" : "delete";
  if (Status ok = route::apply(*parsed, ifindex); !ok) {
    log::error("Failed to ", what, " route: ", ok.error().message);
    return kExitOsError;
  }
  return 0;
}
