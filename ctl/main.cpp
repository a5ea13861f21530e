// mandos-ctl: lists and changes the clients of a running Mandos server
// through its D-Bus interface (ctl.md).
#include <iostream>
#include <string>
#include <vector>

#include "dbus_cpp_bus.hpp"
#include "options.hpp"
#include "runner.hpp"
#include "self_test.hpp"

using namespace mandos::ctl;

namespace {

// argparse names the program after argv[0]'s last component.
std::string program_name(int argc, char* argv[]) {
  if (argc < 1 || argv[0] == nullptr || argv[0][0] == '\0') return "mandos-ctl";
  const std::string path = argv[0];
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int main(int argc, char* argv[]) {
  const std::string prog = program_name(argc, argv);
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  ParsedCommandLine parsed = parse_command_line(args);
  for (const std::string& warning : parsed.warnings) std::cerr << warning << "\n";
  switch (parsed.action) {
    case ParseAction::kShowHelp:
      std::cout << help_text(prog, terminal_text_width()) << std::flush;
      return kExitOk;
    case ParseAction::kShowVersion:
      std::cout << prog << " " << kCtlVersion << "\n" << std::flush;
      return kExitOk;
    case ParseAction::kSelfTest:
      return run_self_tests(std::cerr);
    case ParseAction::kUsageError:
      std::cerr << usage_text(prog, terminal_text_width()) << prog << ": error: " << parsed.error
                << "\n";
      return kExitUsage;
    case ParseAction::kRun:
      break;
  }
  return run_invocation(parsed.invocation, connect_system_bus, std::cout, std::cerr);
}
