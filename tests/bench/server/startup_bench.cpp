// Times the steps of a server start that grow with the number of clients:
// reading clients.conf, reading the saved state, and merging the two (which
// decrypts every saved secret); then one serialisation of the state, which
// every state write repeats. Not registered with ctest: it measures.
//
//   mandos-startup-bench CLIENTS.CONF [CLIENTS.JSON] [--repeat N]
#include <sys/resource.h>

#include <chrono>
#include <optional>
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

// Time and page faults of one step.
class Step {
 public:
  Step() : start_(Clock::now()), faults_(minor_faults()) {}
  std::string done() const {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f ms, %ld page faults", ms_since(start_),
                  minor_faults() - faults_);
    return text;
  }

 private:
  Clock::time_point start_;
  long faults_;
};

int fail_with(const mandos::Error& error) {
  std::fprintf(stderr, "%s\n", error.message.c_str());
  return 1;
}

int run_once(const std::string& conf, const std::string& state) {
  using namespace mandos::server;
  Step reading;
  auto configs = load_client_configs(conf);
  if (!configs) return fail_with(configs.error());
  std::printf("clients.conf, %zu clients: %s\n", configs->size(), reading.done().c_str());
  std::optional<SavedState> saved;
  if (!state.empty()) {
    Step loading;
    auto loaded = load_state_file(state);
    if (!loaded) return fail_with(loaded.error());
    saved = std::move(loaded->state);
    std::printf("  state file: %s\n", loading.done().c_str());
  }
  Step merging;
  const std::vector<ClientData> clients = merge_state(std::move(saved), *configs, mandos::wall_now());
  std::printf("  merge, %zu clients: %s\n", clients.size(), merging.done().c_str());
  // What a state write costs: the server's routine writes repeat this.
  Step serializing;
  std::vector<const ClientData*> pointers;
  for (const ClientData& client : clients) pointers.push_back(&client);
  auto text = serialize_state(pointers, *configs, mandos::wall_now());
  if (!text) return fail_with(text.error());
  std::printf("  serialize, %zu bytes: %s\n", text->size(), serializing.done().c_str());
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
