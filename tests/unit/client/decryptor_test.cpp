#include "decryptor.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "mandos/gpg.hpp"
#include "mandos/test/support.hpp"
#include "options.hpp"

namespace mandos::client {
namespace {

using test::TempDir;

// A key pair made for the test (Curve25519: fast), exported like
// mandos-keygen's pubkey.txt / seckey.txt.
struct TestKeys {
  std::string pubkey;
  std::string seckey;
  std::string fingerprint;
};

TestKeys make_keys(const TempDir& dir, const std::string& tag, gpg::Context& context) {
  gpg::KeySpec spec;
  spec.user_id = "Mandos test " + tag + " <test@example.invalid>";
  spec.algorithm = "ed25519";
  spec.subkey_algorithm = "cv25519";
  auto fingerprint = gpg::generate_key(context, spec);
  EXPECT_TRUE(fingerprint.ok()) << fingerprint.error().message;
  auto pub = gpg::export_public_key(context, *fingerprint);
  auto sec = gpg::export_secret_key(context, *fingerprint);
  EXPECT_TRUE(pub.ok() && sec.ok());
  TestKeys keys{dir.file(tag + "-pubkey.txt"), dir.file(tag + "-seckey.txt"), *fingerprint};
  test::write_file(keys.pubkey, *pub, 0600);
  test::write_file(keys.seckey, std::string(sec->view()), 0600);
  return keys;
}

class DecryptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto home = gpg::TempGnupgHome::create_in(dir_.path());
    ASSERT_TRUE(home.ok()) << home.error().message;
    maker_home_.emplace(std::move(*home));
    auto context = gpg::Context::create(maker_home_->path());
    ASSERT_TRUE(context.ok()) << context.error().message;
    maker_.emplace(std::move(*context));
    keys_ = make_keys(dir_, "client", *maker_);
  }

  std::string encrypt(std::string_view plaintext) {
    auto blob = gpg::encrypt_to(*maker_, keys_.fingerprint, plaintext);
    EXPECT_TRUE(blob.ok()) << blob.error().message;
    return blob.ok() ? *blob : std::string();
  }

  TempDir dir_{"decryptor-test"};
  std::optional<gpg::TempGnupgHome> maker_home_;
  std::optional<gpg::Context> maker_;
  TestKeys keys_;
};

TEST_F(DecryptorTest, DecryptsABlobEncryptedToTheImportedKeyByteForByte) {
  const std::string secret("disk pass\nwith newline, NUL \0 and \xff", 33);
  std::string blob = encrypt(secret);
  auto decryptor = Decryptor::create(keys_.pubkey, keys_.seckey, dir_.path());
  ASSERT_TRUE(decryptor.ok()) << decryptor.error().message;
  auto plaintext = decryptor->decrypt(blob);
  ASSERT_TRUE(plaintext.ok()) << plaintext.error().message;
  EXPECT_EQ(plaintext->view(), secret);
}

TEST_F(DecryptorTest, FailsOnABlobForAnotherKey) {
  TestKeys other = make_keys(dir_, "other", *maker_);
  std::string blob = encrypt("for the client only");
  auto decryptor = Decryptor::create(other.pubkey, other.seckey, dir_.path());
  ASSERT_TRUE(decryptor.ok()) << decryptor.error().message;
  EXPECT_FALSE(decryptor->decrypt(blob).ok());
}

TEST_F(DecryptorTest, FailsOnGarbage) {
  auto decryptor = Decryptor::create(keys_.pubkey, keys_.seckey, dir_.path());
  ASSERT_TRUE(decryptor.ok()) << decryptor.error().message;
  EXPECT_FALSE(decryptor->decrypt("not an OpenPGP message").ok());
  EXPECT_FALSE(decryptor->decrypt("").ok());
}

TEST_F(DecryptorTest, AMissingKeyFileIsUnavailableAndNamed) {
  std::string missing = dir_.file("no-such-seckey.txt");
  auto decryptor = Decryptor::create(keys_.pubkey, missing, dir_.path());
  ASSERT_FALSE(decryptor.ok());
  EXPECT_EQ(decryptor.error().code, kExitUnavailable);
  EXPECT_NE(decryptor.error().message.find(missing), std::string::npos)
      << decryptor.error().message;
}

TEST_F(DecryptorTest, AMalformedKeyFileIsUnavailableAndNamed) {
  std::string bad = dir_.file("bad-pubkey.txt");
  test::write_file(bad, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\ngarbage\n", 0600);
  auto decryptor = Decryptor::create(bad, keys_.seckey, dir_.path());
  ASSERT_FALSE(decryptor.ok());
  EXPECT_EQ(decryptor.error().code, kExitUnavailable);
  EXPECT_NE(decryptor.error().message.find(bad), std::string::npos) << decryptor.error().message;
}

TEST_F(DecryptorTest, AHomeThatCannotBeCreatedIsAnOsError) {
  auto decryptor = Decryptor::create(keys_.pubkey, keys_.seckey, dir_.file("missing/base"));
  ASSERT_FALSE(decryptor.ok());
  EXPECT_EQ(decryptor.error().code, kExitOsError);
}

TEST_F(DecryptorTest, TheHomeIsGoneWhenTheDecryptorIs) {
  std::string home;
  {
    auto decryptor = Decryptor::create(keys_.pubkey, keys_.seckey, dir_.path());
    ASSERT_TRUE(decryptor.ok()) << decryptor.error().message;
    home = decryptor->home();
    ASSERT_TRUE(decryptor->decrypt(encrypt("x")).ok());  // starts the agent
    struct stat st {};
    ASSERT_EQ(::stat(home.c_str(), &st), 0);
  }
  struct stat st {};
  EXPECT_NE(::stat(home.c_str(), &st), 0);
}

}  // namespace
}  // namespace mandos::client
