// mandos: the Mandos server daemon (main process). See daemon/daemon.hpp for
// the start-up sequence and common/ipc.hpp for the privilege separation.
//
// Exit status: 0 normal (also after SIGTERM/SIGINT/SIGHUP), 1 fatal errors,
// 2 usage errors.
#include <iostream>

#include "daemon/daemon.hpp"
#include "daemon/self_check.hpp"
#include "daemon/settings.hpp"

int main(int argc, char** argv) {
  using namespace mandos::server;
  ParsedSettings parsed = parse_settings(argc, argv);
  switch (parsed.outcome) {
    case ParseOutcome::ExitSuccess:
      std::cout << parsed.message;
      return 0;
    case ParseOutcome::UsageError:
      std::cerr << parsed.message;
      return 2;
    case ParseOutcome::Fatal:
      std::cerr << "mandos: " << parsed.message << "\n";
      return 1;
    case ParseOutcome::Run:
      break;
  }
  if (parsed.settings.check) return run_self_check(parsed.settings, parsed.message, std::cout);
  return run_server(parsed.settings);
}
