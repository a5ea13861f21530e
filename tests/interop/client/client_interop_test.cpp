// Our mandos-client against Debian's mandos 1.8.16 server (label interop).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "mandos/test/support.hpp"
#include "reference_server.hpp"

namespace mandos::client::interop {
namespace {

using namespace std::chrono_literals;

std::string our_client() { return std::string(MANDOS_BUILD_DIR) + "/client/mandos-client"; }

std::vector<std::string> command(const std::string& binary, std::vector<std::string> args) {
  args.insert(args.begin(), binary);
  return args;
}

class ReferenceServerInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason_ = new std::string(ensure_reference_installed());
  }
  static void TearDownTestSuite() {
    delete skip_reason_;
    skip_reason_ = nullptr;
  }
  void SetUp() override {
    if (!skip_reason_->empty()) {
      GTEST_SKIP() << "*** SKIPPED: Debian's mandos 1.8.16 is not available: " << *skip_reason_
                   << " ***";
    }
  }
  static std::string* skip_reason_;
};

std::string* ReferenceServerInterop::skip_reason_ = nullptr;

TEST_F(ReferenceServerInterop, OurClientPrintsTheExactSecretItHolds) {
  // Trailing newline included: mandos-keygen --passfile keeps the file's
  // exact bytes, and the client must not add or strip anything.
  const std::string secret = "interop passphrase \t\xc3\xa9\n";
  ReferenceServer server(secret);
  test::RunOptions options;
  options.timeout = 60s;
  auto result =
      test::run(command(our_client(), server.client_arguments(server.keys())), options);
  EXPECT_FALSE(result.timed_out) << result.err;
  EXPECT_EQ(result.exit_code, 0) << result.err << "\n--- server:\n" << server.log();
  EXPECT_EQ(result.out, secret);
}

TEST_F(ReferenceServerInterop, OurClientAndTheReferenceClientGetTheSameBytes) {
  ReferenceServer server("same for both");
  test::RunOptions options;
  options.timeout = 60s;
  auto ours = test::run(command(our_client(), server.client_arguments(server.keys())), options);
  auto theirs =
      test::run(command(kReferenceClient, server.client_arguments(server.keys())), options);
  EXPECT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(ours.out, "same for both");
  EXPECT_EQ(ours.out, theirs.out);
}

TEST_F(ReferenceServerInterop, AnUnknownKeyGetsNothingAndKeepsRetrying) {
  ReferenceServer server("not for strangers");
  KeySet stranger = server.make_unknown_keys();
  test::TempDir logs("client-interop");
  test::BackgroundProcess client(
      command(our_client(),
              [&] {
                auto args = server.client_arguments(stranger);
                args.push_back("--retry=1");
                return args;
              }()),
      logs.path());
  // The server logs each refusal; wait for two (a first attempt and a retry).
  std::string upper_id;
  bool refused_twice = test::wait_until(
      [&] {
        std::string log = server.log();
        size_t first = log.find("Client not found for key ID");
        return first != std::string::npos &&
               log.find("Client not found for key ID", first + 1) != std::string::npos;
      },
      30s);
  auto result = client.stop(SIGTERM, 20s);
  EXPECT_TRUE(refused_twice) << server.log() << "\n--- client:\n" << result.err;
  EXPECT_EQ(result.signal, SIGTERM) << result.err;
  EXPECT_EQ(result.out, "");
}

}  // namespace
}  // namespace mandos::client::interop
