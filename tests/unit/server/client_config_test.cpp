#include "daemon/client_config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/ipc.hpp"
#include "mandos/test/support.hpp"

namespace mandos::server {
namespace {

using namespace std::chrono_literals;

Result<std::vector<ClientConfig>> parse(const std::string& text) {
  auto ini = config::IniFile::parse(text, "clients.conf", client_defaults());
  if (!ini) return ini.error();
  return parse_client_configs(*ini);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ClientConfig, BuiltInDefaultsApplyToEveryClient) {
  auto clients = parse("[foo]\nsecret = aGVsbG8=\n");
  ASSERT_TRUE(clients) << clients.error().message;
  ASSERT_EQ(clients->size(), 1u);
  const ClientConfig& c = clients->at(0);
  EXPECT_EQ(c.name, "foo");
  EXPECT_EQ(c.timeout, 5min);
  EXPECT_EQ(c.extended_timeout, 15min);
  EXPECT_EQ(c.interval, 2min);
  EXPECT_EQ(c.approval_delay, 0s);
  EXPECT_EQ(c.approval_duration, 1s);
  EXPECT_EQ(c.checker, "fping -q -- %(host)s");
  EXPECT_EQ(c.host, "");
  EXPECT_TRUE(c.approved_by_default);
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.key_id, "");
  EXPECT_EQ(c.fingerprint, "");  // optional, as the manual says
  EXPECT_EQ(c.secret.view(), "hello");
}

TEST(ClientConfig, EveryKeyIsParsed) {
  auto clients = parse(
      "[DEFAULT]\ninterval = 1m\n"
      "[Foo]\ntimeout = PT1H\nextended_timeout = P1D\napproval_delay = PT30S\n"
      "approval_duration = 2s\nchecker = ping -c1 %%(host)s\nhost = %(name)s.example\n"
      "name = bar\napproved_by_default = no\nenabled = off\n"
      "key_id = ab cd ef\nfingerprint = 01 23 ab\nsecret =\n aGVs\n bG8=\n");
  ASSERT_TRUE(clients) << clients.error().message;
  const ClientConfig& c = clients->at(0);
  EXPECT_EQ(c.name, "Foo");
  EXPECT_EQ(c.timeout, 1h);
  EXPECT_EQ(c.extended_timeout, 24h);
  EXPECT_EQ(c.interval, 1min);
  EXPECT_EQ(c.approval_delay, 30s);
  EXPECT_EQ(c.approval_duration, 2s);
  EXPECT_EQ(c.checker, "ping -c1 %(host)s");
  EXPECT_EQ(c.host, "bar.example");
  EXPECT_FALSE(c.approved_by_default);
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.key_id, "ABCDEF");
  EXPECT_EQ(c.fingerprint, "0123AB");
  EXPECT_EQ(c.secret.view(), "hello");
}

TEST(ClientConfig, ClientsKeepFileOrder) {
  auto clients = parse("[b]\nsecret=\n[a]\nsecret=\n[c]\nsecret=\n");
  ASSERT_TRUE(clients);
  EXPECT_EQ(clients->at(0).name, "b");
  EXPECT_EQ(clients->at(1).name, "a");
  EXPECT_EQ(clients->at(2).name, "c");
}

TEST(ClientConfig, BadDurationNamesFileLineSectionAndKey) {
  auto clients = parse("[foo]\nsecret = aGVsbG8=\ntimeout = 1d2h\n");
  ASSERT_FALSE(clients);
  const std::string& m = clients.error().message;
  EXPECT_TRUE(contains(m, "clients.conf:3")) << m;
  EXPECT_TRUE(contains(m, "[foo]")) << m;
  EXPECT_TRUE(contains(m, "'timeout'")) << m;
}

TEST(ClientConfig, BadBooleanNamesTheKey) {
  auto clients = parse("[foo]\nsecret = aGVsbG8=\nenabled = maybe\n");
  ASSERT_FALSE(clients);
  EXPECT_TRUE(contains(clients.error().message, "clients.conf:3"));
  EXPECT_TRUE(contains(clients.error().message, "'enabled'"));
}

TEST(ClientConfig, BadBase64PaddingIsFatalWithoutShowingTheSecret) {
  auto clients = parse("[foo]\nsecret = aGVsbG8\n");
  ASSERT_FALSE(clients);
  const std::string& m = clients.error().message;
  EXPECT_TRUE(contains(m, "clients.conf:2")) << m;
  EXPECT_TRUE(contains(m, "'secret'")) << m;
  EXPECT_TRUE(contains(m, "padding")) << m;
  EXPECT_FALSE(contains(m, "aGVsbG8")) << m;
}

TEST(ClientConfig, MissingSecretAndSecfileIsFatal) {
  auto clients = parse("[foo]\nhost = x\n");
  ASSERT_FALSE(clients);
  EXPECT_TRUE(contains(clients.error().message, "No secret or secfile for section foo"));
}

TEST(ClientConfig, SecretInDefaultAppliesToAllClients) {
  auto clients = parse("[DEFAULT]\nsecret = aGk=\n[foo]\n[bar]\nsecfile = /nonexistent\n");
  ASSERT_TRUE(clients);
  EXPECT_EQ(clients->at(0).secret.view(), "hi");
  EXPECT_EQ(clients->at(1).secret.view(), "hi");  // secret wins over secfile
  EXPECT_TRUE(clients->at(1).secfile.empty());
}

TEST(ClientConfig, BadInterpolationAnywhereInASectionIsFatal) {
  auto clients = parse("[foo]\nsecret = aGk=\nunused = %(nosuch)s\n");
  ASSERT_FALSE(clients);
  EXPECT_TRUE(contains(clients.error().message, "unused"));
}

TEST(ClientConfig, OversizedSecretIsRefusedWithAClearError) {
  std::string big((ipc::kMaxSecretSize / 3 + 1) * 4, 'A');
  auto clients = parse("[foo]\nsecret = " + big + "\n");
  ASSERT_FALSE(clients);
  EXPECT_TRUE(contains(clients.error().message, "at most")) << clients.error().message;
}

TEST(ClientConfig, SecfileIsReadLaterWithVariablesAndTildeExpanded) {
  mandos::test::TempDir dir;
  mandos::test::write_file(dir.file("secret.bin"), std::string("\x00\x01raw", 5), 0600);
  ::setenv("MANDOS_TEST_SECDIR", dir.path().c_str(), 1);
  auto clients = parse("[foo]\nsecfile = ${MANDOS_TEST_SECDIR}/secret.bin\n");
  ASSERT_TRUE(clients) << clients.error().message;
  EXPECT_TRUE(clients->at(0).secret.empty());
  ASSERT_TRUE(read_secret_files(*clients));
  EXPECT_EQ(clients->at(0).secret.view(), std::string("\x00\x01raw", 5));
}

TEST(ClientConfig, UnreadableSecfileNamesTheOptionAndThePath) {
  auto clients = parse("[foo]\nsecfile = /nonexistent/secret\n");
  ASSERT_TRUE(clients);
  auto status = read_secret_files(*clients);
  ASSERT_FALSE(status);
  EXPECT_TRUE(contains(status.error().message, "clients.conf:2")) << status.error().message;
  EXPECT_TRUE(contains(status.error().message, "/nonexistent/secret"));
}

TEST(ClientConfig, MissingFileMeansNoClients) {
  auto clients = load_client_configs("/nonexistent/clients.conf");
  ASSERT_TRUE(clients);
  EXPECT_TRUE(clients->empty());
}

TEST(SecfilePath, ExpandsVariablesLikePython) {
  ::setenv("MANDOS_TEST_VAR", "/x", 1);
  ::unsetenv("MANDOS_TEST_UNSET");
  EXPECT_EQ(expand_secfile_path("$MANDOS_TEST_VAR/a"), "/x/a");
  EXPECT_EQ(expand_secfile_path("${MANDOS_TEST_VAR}b"), "/xb");
  EXPECT_EQ(expand_secfile_path("$MANDOS_TEST_UNSET/a"), "$MANDOS_TEST_UNSET/a");
  EXPECT_EQ(expand_secfile_path("a$"), "a$");
}

TEST(SecfilePath, ExpandsTildeWithHome) {
  ::setenv("HOME", "/home/someone/", 1);
  EXPECT_EQ(expand_secfile_path("~/s"), "/home/someone/s");
  EXPECT_EQ(expand_secfile_path("~root/s").substr(0, 1), "/");
  EXPECT_EQ(expand_secfile_path("~nosuchuser12345/s"), "~nosuchuser12345/s");
}

}  // namespace
}  // namespace mandos::server
