// mandos-server-bench: a load generator speaking the Mandos client side
// (version line, TLS server with a raw public key, read to close_notify)
// without OpenPGP. Reports unlocks/s and p50/p99 latency per concurrency
// level. Not a test: it measures and asserts nothing.
//
//   mandos-server-bench --connect=HOST:PORT --tls-pubkey=F --tls-privkey=F
//       [--concurrency=1,32,128] [--duration=SECONDS | --count=N]
//   mandos-server-bench --spawn-worker[=PATH] [--workers=N] [--secret-size=BYTES] ...
//
// --spawn-worker measures mandos-tls-worker alone: the benchmark plays a
// main process that grants every request at once. Without key files, a key
// pair is generated in a temporary directory (any key works then).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/ipc.hpp"
#include "mandos/test/support.hpp"
#include "mandos/tls.hpp"
#include "test_client.hpp"
#include "worker_harness.hpp"

namespace {

namespace client = mandos::test::client;
namespace harness = mandos::test::worker;
namespace ipc = mandos::server::ipc;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host;
  int port = 0;
  std::optional<std::string> spawn_worker;  // path
  int workers = 1;
  size_t secret_size = 800;  // about a real OpenPGP-encrypted password
  std::string pubkey;
  std::string privkey;
  std::vector<int> concurrency{1, 32, 128};
  std::chrono::milliseconds duration{10'000};
  std::optional<long> count;
};

struct LevelResult {
  long unlocks = 0;
  long refused = 0;
  long errors = 0;
  std::string first_error;
  std::vector<double> latencies_ms;  // of unlocks
  double seconds = 0;
};

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "mandos-server-bench: " << message << "\n"
            << "Usage: mandos-server-bench (--connect=HOST:PORT | --spawn-worker[=PATH])\n"
               "  [--tls-pubkey=FILE --tls-privkey=FILE] [--workers=N] [--secret-size=BYTES]\n"
               "  [--concurrency=N[,N...]] [--duration=SECONDS | --count=N]\n";
  std::exit(2);
}

long parse_number(const std::string& option, const std::string& text, long min, long max) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < min || value > max) {
    usage(option + ": \"" + text + "\" is not a number from " + std::to_string(min) + " to " +
          std::to_string(max));
  }
  return value;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    size_t eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (name == "--connect") {
      if (auto ok = client::parse_host_port(value, options.host, options.port); !ok) {
        usage(ok.error().message);
      }
    } else if (name == "--spawn-worker") {
      options.spawn_worker = value.empty() ? std::string(MANDOS_TLS_WORKER) : value;
    } else if (name == "--workers") {
      options.workers = static_cast<int>(parse_number(name, value, 1, 64));
    } else if (name == "--secret-size") {
      options.secret_size = static_cast<size_t>(parse_number(name, value, 0, ipc::kMaxSecretSize));
    } else if (name == "--tls-pubkey") {
      options.pubkey = value;
    } else if (name == "--tls-privkey") {
      options.privkey = value;
    } else if (name == "--concurrency") {
      options.concurrency.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) {
        options.concurrency.push_back(static_cast<int>(parse_number(name, item, 1, 4096)));
      }
    } else if (name == "--duration") {
      options.duration = std::chrono::seconds(parse_number(name, value, 1, 3600));
    } else if (name == "--count") {
      options.count = parse_number(name, value, 1, 100'000'000);
    } else {
      usage("unknown argument \"" + arg + "\"");
    }
  }
  if (options.spawn_worker.has_value() == (options.port != 0)) {
    usage("give exactly one of --connect and --spawn-worker");
  }
  if (!options.spawn_worker && (options.pubkey.empty() || options.privkey.empty())) {
    usage("--connect needs --tls-pubkey and --tls-privkey");
  }
  return options;
}

// ---------------------------------------------------------------------------
// The granting main process of --spawn-worker mode

class GrantingMain {
 public:
  GrantingMain(const Options& options, mandos::test::TempDir& dir) {
    auto listener = harness::listen_on_loopback("::1");
    if (!listener) usage(listener.error().message);
    listener_ = std::move(*listener);
    secret_ = mandos::SecretBytes(std::string(options.secret_size, 's'));
    for (int i = 0; i < options.workers; ++i) {
      auto worker = harness::WorkerProcess::start(
          {*options.spawn_worker, {}, dir.file("worker" + std::to_string(i) + ".log"), true},
          listener_.fd.get());
      if (!worker) usage(worker.error().message);
      auto hello = (*worker)->receive(std::chrono::seconds(30));
      if (!hello || !std::holds_alternative<ipc::Hello>(*hello)) usage("worker sent no Hello");
      workers_.push_back(std::move(*worker));
    }
    for (auto& worker : workers_) {
      threads_.emplace_back([this, w = worker.get()] { serve(*w); });
    }
  }
  ~GrantingMain() {
    stop_ = true;
    for (auto& thread : threads_) thread.join();
    for (auto& worker : workers_) {
      worker->close_channel();
      (void)worker->wait_exit(std::chrono::seconds(10));
    }
  }
  int port() const { return listener_.port; }

 private:
  void serve(harness::WorkerProcess& worker) {
    while (!stop_) {
      auto message = worker.receive(std::chrono::milliseconds(200));
      if (!message) continue;  // timeout: check stop_
      if (auto* request = std::get_if<ipc::SecretRequest>(&*message)) {
        if (!worker.send(ipc::SecretGrant{request->connection, secret_})) return;
      }
    }
  }

  harness::Listener listener_;
  mandos::SecretBytes secret_;
  std::vector<std::unique_ptr<harness::WorkerProcess>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

// ---------------------------------------------------------------------------
// Load

LevelResult run_level(const Options& options, const mandos::tls::CertificateCredentials& creds,
                      int concurrency) {
  LevelResult total;
  std::mutex mutex;
  std::atomic<long> started{0};
  auto start = Clock::now();
  auto stop_at = start + options.duration;
  auto work = [&] {
    LevelResult mine;
    client::ExchangeOptions exchange;
    exchange.host = options.host;
    exchange.port = options.port;
    for (;;) {
      if (options.count ? started.fetch_add(1) >= *options.count : Clock::now() >= stop_at) break;
      auto t0 = Clock::now();
      auto result = client::run_exchange(exchange, creds);
      auto t1 = Clock::now();
      switch (result.outcome) {
        case client::Outcome::Received:
          ++mine.unlocks;
          mine.latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
          break;
        case client::Outcome::Refused: ++mine.refused; break;
        case client::Outcome::Error:
          if (mine.errors++ == 0) mine.first_error = result.error;
          break;
      }
    }
    std::lock_guard lock(mutex);
    total.unlocks += mine.unlocks;
    total.refused += mine.refused;
    total.errors += mine.errors;
    if (total.first_error.empty()) total.first_error = mine.first_error;
    total.latencies_ms.insert(total.latencies_ms.end(), mine.latencies_ms.begin(),
                              mine.latencies_ms.end());
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) threads.emplace_back(work);
  for (auto& thread : threads) thread.join();
  total.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return total;
}

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  auto gnutls = mandos::tls::GlobalInit::create();
  if (!gnutls) usage(gnutls.error().message);
  mandos::test::TempDir dir("mandos-server-bench");
  if (options.pubkey.empty()) {
    auto keys = client::make_key_files(dir.path(), "bench");
    if (!keys) usage(keys.error().message);
    options.pubkey = keys->pubkey_path;
    options.privkey = keys->privkey_path;
  }
  auto creds = mandos::tls::CertificateCredentials::from_rawpk_files(options.pubkey,
                                                                     options.privkey);
  if (!creds) usage(creds.error().message);

  std::unique_ptr<GrantingMain> main_process;
  if (options.spawn_worker) {
    main_process = std::make_unique<GrantingMain>(options, dir);
    options.host = "::1";
    options.port = main_process->port();
    std::printf("worker alone: %s, %d worker(s), %zu-byte secret\n", options.spawn_worker->c_str(),
                options.workers, options.secret_size);
  } else {
    std::printf("server at %s port %d\n", options.host.c_str(), options.port);
  }
  for (int concurrency : options.concurrency) {
    LevelResult result = run_level(options, *creds, concurrency);
    std::printf(
        "concurrency %4d: %7ld unlocks in %6.2f s = %8.1f unlocks/s, latency p50 %7.2f ms, "
        "p99 %7.2f ms, refused %ld, errors %ld%s%s\n",
        concurrency, result.unlocks, result.seconds,
        static_cast<double>(result.unlocks) / result.seconds,
        percentile(result.latencies_ms, 0.50), percentile(result.latencies_ms, 0.99),
        result.refused, result.errors, result.first_error.empty() ? "" : " (first: ",
        result.first_error.empty() ? "" : (result.first_error + ")").c_str());
    std::fflush(stdout);
  }
  return 0;
}
