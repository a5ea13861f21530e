// Times the steps of a server start that grow with the number of clients:
// reading clients.conf, reading the saved state, and merging the two (which
// decrypts every saved secret). Not registered with ctest: it measures.
//
//   mandos-startup-bench CLIENTS.CONF [CLIENTS.JSON] [--repeat N]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "daemon/client_config.hpp"
#include "daemon/state.hpp"
#include "mandos/log.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Minor page faults so far: on a virtual machine each costs microseconds,
// and fresh memory is what a start-up mostly pays for.
long minor_faults() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

int run_once(const std::string& conf, const std::string& state) {
  using namespace mandos::server;
  auto t0 = Clock::now();
  const long faults0 = minor_faults();
  auto configs = load_client_configs(conf);
  if (!configs) {
    std::fprintf(stderr, "%s\n", configs.error().message.c_str());
    return 1;
  }
  const double conf_ms = ms_since(t0);
  const long conf_faults = minor_faults() - faults0;
  long state_faults = 0;
  long merge_faults = 0;
  double state_ms = 0;
  double merge_ms = 0;
  size_t merged = configs->size();
  if (!state.empty()) {
    auto t1 = Clock::now();
    const long faults1 = minor_faults();
    auto loaded = load_state_file(state);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
      return 1;
    }
    state_ms = ms_since(t1);
    state_faults = minor_faults() - faults1;
    auto t2 = Clock::now();
    merged = merge_state(std::move(loaded->state), *configs, mandos::wall_now()).size();
    merge_ms = ms_since(t2);
    merge_faults = minor_faults() - faults1 - state_faults;
  }
  std::printf(
      "clients.conf, %zu clients: %.1f ms, %ld page faults; state file: %.1f ms, %ld; "
      "merge, %zu clients: %.1f ms, %ld\n",
      configs->size(), conf_ms, conf_faults, state_ms, state_faults, merged, merge_ms,
      merge_faults);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string conf;
  std::string state;
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (conf.empty()) {
      conf = arg;
    } else {
      state = arg;
    }
  }
  if (conf.empty()) {
    std::fprintf(stderr, "usage: mandos-startup-bench CLIENTS.CONF [CLIENTS.JSON] [--repeat N]\n");
    return 2;
  }
  mandos::log::Options quiet;
  quiet.threshold = mandos::log::Level::Warning;
  mandos::log::configure(quiet);
  for (int i = 0; i < repeat; ++i) {
    if (int rc = run_once(conf, state); rc != 0) return rc;
  }
  return 0;
}
