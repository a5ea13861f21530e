// Benchmark: time from start to password on loopback with --connect, for
// our mandos-client and Debian's, against the same Debian mandos 1.8.16
// server in the same run. Median of N runs each (default 20), alternating
// the two clients so that drift affects both alike. Not a test: it prints.
//
//   client_bench [RUNS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "mandos/test/support.hpp"
#include "reference_server.hpp"

namespace {

using namespace std::chrono_literals;
using mandos::client::interop::ReferenceServer;
using Clock = std::chrono::steady_clock;

double run_once(const std::string& binary, const std::vector<std::string>& args,
                const std::string& secret) {
  std::vector<std::string> argv = args;
  argv.insert(argv.begin(), binary);
  mandos::test::RunOptions options;
  options.timeout = 60s;
  auto start = Clock::now();
  auto result = mandos::test::run(argv, options);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (result.exit_code != 0 || result.out != secret) {
    std::fprintf(stderr, "%s failed (exit %d): %s\n", binary.c_str(), result.exit_code,
                 result.err.c_str());
    std::exit(1);
  }
  return ms;
}

void report(const char* name, std::vector<double> times) {
  std::sort(times.begin(), times.end());
  size_t n = times.size();
  double median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  std::printf("%-34s median %7.1f ms   min %7.1f ms   max %7.1f ms   (n=%zu)\n", name, median,
              times.front(), times.back(), n);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  std::string why = mandos::client::interop::ensure_reference_installed();
  if (!why.empty()) {
    std::fprintf(stderr, "client_bench: reference not available: %s\n", why.c_str());
    return 1;
  }
  const std::string secret = "benchmark secret";
  ReferenceServer server(secret);
  auto args = server.client_arguments(server.keys());
  const std::string ours = std::string(MANDOS_BUILD_DIR) + "/client/mandos-client";
  const std::string theirs = mandos::client::interop::kReferenceClient;
  run_once(ours, args, secret);  // warm-up: caches, the server's first fork
  run_once(theirs, args, secret);
  std::vector<double> ours_ms, theirs_ms;
  for (int i = 0; i < runs; ++i) {
    ours_ms.push_back(run_once(ours, args, secret));
    theirs_ms.push_back(run_once(theirs, args, secret));
  }
  std::printf("mandos-client, --connect=[::1], reference server mandos 1.8.16, %d runs each\n",
              runs);
  report("ours (build)", ours_ms);
  report("Debian mandos-client 1.8.16", theirs_ms);
  return 0;
}
