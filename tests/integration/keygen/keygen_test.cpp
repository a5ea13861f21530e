// Runs the real mandos-keygen: key generation into temporary directories,
// then password mode, reading its output back as the server would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>

#include "keygen_test_util.hpp"
#include "mandos/keyid.hpp"
#include "mandos/tls.hpp"

namespace mandos::keygen_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// One key set, made once, for the password-mode tests.
class KeygenPasswordMode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = std::make_unique<test::TempDir>("keygen-keys");
    auto made = run_keygen(our_keygen(),
                           with({"--dir", keys_->path(), "--name", "client.example"}, kSmallKeys));
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  static void TearDownTestSuite() { keys_.reset(); }

  test::RunResult encrypt(const std::vector<std::string>& extra, const std::string& password,
                          const test::RunOptions& options = {}) {
    test::write_file(work_.file("pw"), password, 0600);
    return run_keygen(our_keygen(),
                      with({"--dir", keys_->path(), "--name", "client.example", "--passfile",
                            work_.file("pw")},
                           extra),
                      options);
  }

  static std::unique_ptr<test::TempDir> keys_;
  test::TempDir work_{"keygen-work"};
};
std::unique_ptr<test::TempDir> KeygenPasswordMode::keys_;

TEST(KeygenGenerate, WritesTheFourKeyFilesWithMode0600AndTheRightContent) {
  test::TempDir dir("keygen-gen");
  auto run = run_keygen(our_keygen(), with({"-d", dir.path(), "-n", "host.example", "-c",
                                            "a comment", "-e", "root@host.example"},
                                           kSmallKeys));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");  // not a terminal: no notes or timestamps
  EXPECT_EQ(run.err, "");
  for (const char* name : {"seckey.txt", "pubkey.txt", "tls-privkey.pem", "tls-pubkey.pem"}) {
    EXPECT_EQ(file_mode(dir.file(name)), 0600u) << name;
  }
  const std::string comment = "Comment: Mandos client key for host.example (a comment) "
                              "<root@host.example>\n\n";
  EXPECT_THAT(slurp(dir.file("seckey.txt")),
              StartsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----\n" + comment));
  EXPECT_THAT(slurp(dir.file("seckey.txt")), HasSubstr("\n-----END PGP PRIVATE KEY BLOCK-----\n"));
  EXPECT_THAT(slurp(dir.file("pubkey.txt")),
              StartsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----\n" + comment));
  EXPECT_THAT(slurp(dir.file("tls-privkey.pem")), StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_THAT(slurp(dir.file("tls-pubkey.pem")), StartsWith("-----BEGIN PUBLIC KEY-----\n"));

  // The TLS pair is usable as the client's raw public key credentials.
  auto creds = tls::CertificateCredentials::from_rawpk_files(dir.file("tls-pubkey.pem"),
                                                              dir.file("tls-privkey.pem"));
  EXPECT_TRUE(creds.ok()) << (creds.ok() ? "" : creds.error().message);
  // Ed25519 by default: a 32-byte key makes a 44-byte SubjectPublicKeyInfo.
  auto pubkey = tls::load_pubkey_pem_file(dir.file("tls-pubkey.pem"));
  ASSERT_TRUE(pubkey.ok());
  unsigned bits = 0;
  EXPECT_EQ(gnutls_pubkey_get_pk_algorithm(pubkey->get(), &bits), GNUTLS_PK_EDDSA_ED25519);
}

TEST(KeygenGenerate, MakesAnUnprotectedSignAuthPrimaryKeyWithAnEncryptionSubkey) {
  test::TempDir dir("keygen-gen");
  auto run = run_keygen(our_keygen(), with({"-d", dir.path(), "-n", "host.example", "-c",
                                            "note", "-e", "a@b.example", "-x", "2y"},
                                           kSmallKeys));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  KeyFacts facts = key_facts(dir.file("pubkey.txt"));
  EXPECT_EQ(facts.user_id, "host.example (note) <a@b.example>");
  EXPECT_TRUE(facts.primary_signs);
  EXPECT_TRUE(facts.primary_auths);
  EXPECT_FALSE(facts.primary_encrypts);
  EXPECT_EQ(facts.subkeys, 1);
  EXPECT_TRUE(facts.subkey_encrypts);
  EXPECT_FALSE(facts.subkey_signs);
  EXPECT_GT(facts.expires, 0);  // -x 2y, read by GnuPG itself
  // The secret key is unprotected: decrypting needs no passphrase (below).
}

TEST(KeygenGenerate, MakesKeysThatNeverExpireByDefault) {
  test::TempDir dir("keygen-gen");
  auto run = run_keygen(our_keygen(), with({"-d", dir.path(), "-n", "h"}, kSmallKeys));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  KeyFacts facts = key_facts(dir.file("pubkey.txt"));
  EXPECT_EQ(facts.user_id, "h");
  EXPECT_EQ(facts.expires, 0);
  EXPECT_EQ(slurp(dir.file("pubkey.txt")).find("Comment: Mandos client key for h\n\n"),
            std::string("-----BEGIN PGP PUBLIC KEY BLOCK-----\n").size());
}

TEST(KeygenGenerate, MakesTheTlsKeyTypeAsked) {
  test::TempDir dir("keygen-gen");
  auto run = run_keygen(our_keygen(), with({"-d", dir.path(), "-n", "h", "-T", "ecdsa"}, kSmallKeys));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto pubkey = tls::load_pubkey_pem_file(dir.file("tls-pubkey.pem"));
  ASSERT_TRUE(pubkey.ok());
  unsigned bits = 0;
  EXPECT_EQ(gnutls_pubkey_get_pk_algorithm(pubkey->get(), &bits), GNUTLS_PK_ECDSA);
}

TEST(KeygenGenerate, WritesNoTlsFilesForAnUnknownTlsKeyTypeButStillTheOpenPgpKeys) {
  test::TempDir dir("keygen-gen");
  auto run = run_keygen(our_keygen(), with({"-d", dir.path(), "-n", "h", "-T", "nonsense"}, kSmallKeys));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("nonsense"));
  EXPECT_FALSE(exists(dir.file("tls-privkey.pem")));
  EXPECT_FALSE(exists(dir.file("tls-pubkey.pem")));
  EXPECT_TRUE(exists(dir.file("seckey.txt")));
  EXPECT_TRUE(exists(dir.file("pubkey.txt")));
}

TEST(KeygenGenerate, RefusesToOverwriteAnyKeyFileWithoutForce) {
  test::TempDir dir("keygen-gen");
  test::write_file(dir.file("tls-pubkey.pem"), "old", 0644);
  auto run = run_keygen(our_keygen(), with({"-d", dir.path(), "-n", "h"}, kSmallKeys));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "Refusing to overwrite old key files; use --force\n");
  EXPECT_EQ(slurp(dir.file("tls-pubkey.pem")), "old");
  EXPECT_FALSE(exists(dir.file("seckey.txt")));
}

TEST(KeygenGenerate, ForceKeepsTheOldFilesAsNumberedBackups) {
  test::TempDir dir("keygen-gen");
  const std::vector<std::string> args = with({"-d", dir.path(), "-n", "h", "-f"}, kSmallKeys);
  ASSERT_EQ(run_keygen(our_keygen(), args).exit_code, 0);
  const std::string first_seckey = slurp(dir.file("seckey.txt"));
  const std::string first_tls = slurp(dir.file("tls-privkey.pem"));
  ASSERT_EQ(run_keygen(our_keygen(), args).exit_code, 0);
  const std::string second_seckey = slurp(dir.file("seckey.txt"));
  ASSERT_EQ(run_keygen(our_keygen(), args).exit_code, 0);

  for (const char* name : {"seckey.txt", "pubkey.txt", "tls-privkey.pem", "tls-pubkey.pem"}) {
    const std::string base = dir.file(name);
    EXPECT_TRUE(exists(base + ".~1~")) << name;
    EXPECT_TRUE(exists(base + ".~2~")) << name;
    EXPECT_FALSE(exists(base + ".~3~")) << name;
    EXPECT_EQ(file_mode(base + ".~1~"), 0600u) << name;
  }
  EXPECT_EQ(slurp(dir.file("seckey.txt.~1~")), first_seckey);
  EXPECT_EQ(slurp(dir.file("seckey.txt.~2~")), second_seckey);
  EXPECT_EQ(slurp(dir.file("tls-privkey.pem.~1~")), first_tls);
  EXPECT_NE(slurp(dir.file("seckey.txt")), second_seckey);
  EXPECT_NE(slurp(dir.file("seckey.txt")), first_seckey);
}

TEST(KeygenGenerate, LeavesNoTemporaryGnupgHomeBehind) {
  struct stat st {};
  if (::stat("/run/tmp", &st) == 0) GTEST_SKIP() << "GnuPG homes go to /run/tmp here, not TMPDIR";
  test::TempDir tmp("keygen-tmp");
  test::TempDir dir("keygen-gen");
  test::RunOptions options;
  options.env_add = {"TMPDIR=" + tmp.path()};
  auto run = run_keygen(our_keygen(), with({"-d", dir.path(), "-n", "h"}, kSmallKeys), options);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto listing = test::run({"/bin/ls", "-A", tmp.path()});
  EXPECT_EQ(listing.out, "");
}

TEST(KeygenGenerate, ReportsGnupgRejectingTheKeyParameters) {
  test::TempDir dir("keygen-gen");
  auto run = run_keygen(our_keygen(), with({"-d", dir.path(), "-n", "h", "-x", "not-a-date"}, kSmallKeys));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("not-a-date"));
  EXPECT_FALSE(exists(dir.file("seckey.txt")));
  EXPECT_FALSE(exists(dir.file("tls-privkey.pem")));  // nothing is written unless all worked
}

TEST(KeygenCommandLine, PrintsTheInvokedNameAndVersion) {
  auto run = run_keygen(our_keygen(), {"--version"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, our_keygen() + " 1.8.16\n");
}

TEST(KeygenCommandLine, PrintsHelp) {
  auto run = run_keygen(our_keygen(), {"-h"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("Usage: mandos-keygen"));
  EXPECT_THAT(run.out, HasSubstr("--passfile"));
}

TEST(KeygenCommandLine, FailsWithTheReferenceMessages) {
  test::TempDir dir("keygen-cli");
  struct Case {
    std::vector<std::string> args;
    std::string err;
  } cases[] = {
      {{"--dir", dir.file("missing")}, dir.file("missing") + " not a directory\n"},
      {{"--dir", dir.path(), "extra", "args"}, "Unknown arguments: 'extra args'\n"},
      {{"--dir", dir.path(), "--type", ""}, "Empty key type\n"},
      {{"--dir", dir.path(), "--name", ""}, "Empty key name\n"},
      {{"--dir", dir.path(), "--length", "256"}, "Invalid key length\n"},
      {{"--dir", dir.path(), "--expire", ""}, "Empty key expiration\n"},
      {{"--bogus"}, our_keygen() + ": unrecognized option '--bogus'\n"},
  };
  for (const Case& c : cases) {
    auto run = run_keygen(our_keygen(), c.args);
    EXPECT_EQ(run.exit_code, 1) << c.err;
    EXPECT_EQ(run.err, c.err);
    EXPECT_EQ(run.out, "");
  }
}

TEST_F(KeygenPasswordMode, PrintsASectionWhoseSecretDecryptsToThePassfileBytes) {
  const std::string password = "correct horse\\battery staple \n";
  auto run = encrypt({"--no-ssh"}, password);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  ParsedSection section = parse_section(run.out);
  EXPECT_EQ(section.name, "client.example");
  EXPECT_THAT(section.options, ElementsAre("host", "key_id", "fingerprint", "secret"));
  EXPECT_EQ(section.host, "client.example");
  SecretBytes plain = decrypt_with_keys(keys_->path(), section.secret);
  EXPECT_EQ(plain.view(), password);
}

TEST_F(KeygenPasswordMode, KeyIdIsTheLowercaseSha256OfTheTlsPublicKey) {
  auto run = encrypt({"--no-ssh"}, "x");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ParsedSection section = parse_section(run.out);
  auto expected = key_id_from_pem_file(keys_->file("tls-pubkey.pem"));
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(section.key_id, lower(*expected));
  EXPECT_EQ(section.key_id.size(), 64u);
}

TEST_F(KeygenPasswordMode, FingerprintIsThePrimaryKeysInUppercase) {
  auto run = encrypt({"--no-ssh"}, "x");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ParsedSection section = parse_section(run.out);
  EXPECT_EQ(section.fingerprint, key_facts(keys_->file("pubkey.txt")).fingerprint);
  EXPECT_EQ(section.fingerprint.size(), 40u);
  EXPECT_EQ(section.fingerprint.find_first_not_of("0123456789ABCDEF"), std::string::npos);
}

TEST_F(KeygenPasswordMode, IndentsEachBase64LineByFourSpacesWithoutArmorLines) {
  auto run = encrypt({"--no-ssh"}, "x");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string text = run.out;
  const auto secret_at = text.find("secret =\n");
  ASSERT_NE(secret_at, std::string::npos);
  std::string body = text.substr(secret_at + 9);
  ASSERT_FALSE(body.empty());
  EXPECT_EQ(body.back(), '\n');
  size_t lines = 0;
  for (size_t at = 0; at < body.size();) {
    size_t end = body.find('\n', at);
    std::string line = body.substr(at, end - at);
    EXPECT_THAT(line, StartsWith("    "));
    EXPECT_EQ(line.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789+/=", 4),
              std::string::npos)
        << line;
    EXPECT_NE(line[4], '=');  // no CRC-24 line
    ++lines;
    at = end + 1;
  }
  EXPECT_GT(lines, 1u);
}

TEST_F(KeygenPasswordMode, KeepsEmptyAndBinaryPasswordsExactly) {
  for (const std::string& password : {std::string(), std::string("\0\xff\n\n", 4)}) {
    auto run = encrypt({"-S"}, password);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ParsedSection section = parse_section(run.out);
    EXPECT_EQ(decrypt_with_keys(keys_->path(), section.secret).view(), password);
  }
}

TEST_F(KeygenPasswordMode, LeavesOutKeyIdWithoutATlsPublicKey) {
  test::TempDir old_keys("keygen-old");
  for (const char* name : {"seckey.txt", "pubkey.txt"}) {
    test::write_file(old_keys.file(name), slurp(keys_->file(name)), 0600);
  }
  test::write_file(work_.file("pw"), "pw", 0600);
  auto run = run_keygen(our_keygen(), {"-d", old_keys.path(), "-n", "old", "-F",
                                       work_.file("pw"), "-S"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ParsedSection section = parse_section(run.out);
  EXPECT_THAT(section.options, ElementsAre("host", "fingerprint", "secret"));
}

TEST_F(KeygenPasswordMode, ReadsThePasswordTwiceFromInputThatIsNotATerminal) {
  test::RunOptions options;
  options.input = "  typed pass  \n  typed pass\n";
  auto run = run_keygen(our_keygen(),
                        {"-d", keys_->path(), "-n", "c", "--password", "--no-ssh"}, options);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ParsedSection section = parse_section(run.out);
  EXPECT_EQ(decrypt_with_keys(keys_->path(), section.secret).view(), "typed pass");
}

TEST_F(KeygenPasswordMode, FailsOnAMismatchWhenInputIsNotATerminal) {
  test::RunOptions options;
  options.input = "one\ntwo\n";
  auto run = run_keygen(our_keygen(), {"-d", keys_->path(), "-n", "c", "-p", "-S"}, options);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("Passphrase mismatch\n"));
  EXPECT_EQ(run.out, "");
}

TEST_F(KeygenPasswordMode, AddsTheSshCheckerForTheFirstKeyTypeTheServerHas) {
  test::TempDir bin("keygen-bin");
  test::write_file(bin.file("ssh-keyscan"),
                   "#!/bin/sh\n"
                   "[ \"$1 $2 $3\" = '-t ed25519 localhost' ] || exit 0\n"
                   "echo 'localhost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfake'\n",
                   0755);
  test::RunOptions options;
  options.env_add = {"PATH=" + bin.path() + ":/usr/bin:/bin"};
  auto run = encrypt({}, "pw", options);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ParsedSection section = parse_section(run.out);
  EXPECT_THAT(section.options, ElementsAre("host", "key_id", "fingerprint", "secret", "checker",
                                           "ssh_fingerprint"));
  EXPECT_EQ(section.checker,
            "ssh-keyscan -t ed25519 %%(host)s 2>/dev/null | grep --fixed-strings --line-regexp "
            "--quiet --regexp=%%(host)s\" %(ssh_fingerprint)s\"");
  EXPECT_EQ(section.ssh_fingerprint, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfake");

  auto without = encrypt({"--no-ssh"}, "pw", options);
  ASSERT_EQ(without.exit_code, 0);
  EXPECT_THAT(parse_section(without.out).options,
              ElementsAre("host", "key_id", "fingerprint", "secret"));
}

TEST_F(KeygenPasswordMode, UsesTheHostNameAsTheReferenceDoesWithoutName) {
  auto expected = test::run({"/bin/sh", "-c", "hostname --fqdn 2>/dev/null || hostname"});
  if (expected.exit_code != 0) GTEST_SKIP() << "no hostname(1)";
  std::string host = expected.out;
  while (!host.empty() && host.back() == '\n') host.pop_back();
  test::write_file(work_.file("pw"), "pw", 0600);
  auto run = run_keygen(our_keygen(), {"-d", keys_->path(), "-F", work_.file("pw"), "-S"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, StartsWith("[" + host + "]\nhost = " + host + "\n"));
}

TEST_F(KeygenPasswordMode, FailsNamingAMissingKeyFile) {
  test::TempDir empty("keygen-empty");
  test::write_file(work_.file("pw"), "pw", 0600);
  auto run = run_keygen(our_keygen(), {"-d", empty.path(), "-n", "c", "-F", work_.file("pw"), "-S"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr(empty.file("seckey.txt")));
  EXPECT_EQ(run.out, "");
}

TEST_F(KeygenPasswordMode, FailsNamingAMissingPassfile) {
  auto run = run_keygen(our_keygen(), {"-d", keys_->path(), "-n", "c", "-F",
                                       work_.file("absent"), "-S"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr(work_.file("absent")));
  EXPECT_EQ(run.out, "");
}

TEST_F(KeygenPasswordMode, DoesNotTouchTheKeyDirectory) {
  const std::string before = slurp(keys_->file("seckey.txt"));
  auto run = encrypt({"-S"}, "pw");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto listing = test::run({"/bin/ls", "-A", keys_->path()});
  EXPECT_EQ(listing.out, "pubkey.txt\nseckey.txt\ntls-privkey.pem\ntls-pubkey.pem\n");
  EXPECT_EQ(slurp(keys_->file("seckey.txt")), before);
}

}  // namespace
}  // namespace mandos::keygen_test
