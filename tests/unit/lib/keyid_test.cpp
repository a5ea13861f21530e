#include "mandos/keyid.hpp"

#include <gnutls/crypto.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "mandos/tls.hpp"

namespace mandos {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "keyid-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_file(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Runs a command and returns its stdout with trailing whitespace removed.
std::string run(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "<popen failed>";
  std::string out;
  std::array<char, 256> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  int status = ::pclose(pipe);
  if (status != 0) return "<exit status " + std::to_string(status) + ">";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

// An independent SHA-256: GnuTLS's one-shot digest of the same bytes.
std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, 32> digest{};
  EXPECT_EQ(gnutls_hash_fast(GNUTLS_DIG_SHA256, bytes.data(), bytes.size(), digest.data()), 0);
  std::string out;
  char two[3];
  for (unsigned char byte : digest) {
    std::snprintf(two, sizeof two, "%02X", byte);
    out += two;
  }
  return out;
}

struct GeneratedKey {
  std::string der;
  std::string pem;
  std::string gnutls_id;  // gnutls_pubkey_get_key_id(SHA-256)
};

GeneratedKey generate(gnutls_pk_algorithm_t algorithm, gnutls_sec_param_t level) {
  auto privkey = tls::generate_privkey(algorithm, level);
  EXPECT_TRUE(privkey) << privkey.error().message;
  auto pubkey = tls::pubkey_from_privkey(*privkey);
  EXPECT_TRUE(pubkey) << pubkey.error().message;
  auto der = tls::export_pubkey(*pubkey, GNUTLS_X509_FMT_DER);
  auto pem = tls::export_pubkey(*pubkey, GNUTLS_X509_FMT_PEM);
  auto id = tls::pubkey_key_id(*pubkey);
  EXPECT_TRUE(der && pem && id);
  return {*der, *pem, *id};
}

void expect_key_id_agrees_with_everyone(gnutls_pk_algorithm_t algorithm,
                                        gnutls_sec_param_t level) {
  TempDir dir;
  GeneratedKey key = generate(algorithm, level);
  std::string ours = key_id_from_spki_der(key.der);

  EXPECT_EQ(ours.size(), 64u);
  EXPECT_EQ(ours, upper(ours));
  EXPECT_EQ(ours, sha256_hex(key.der));
  EXPECT_EQ(ours, key.gnutls_id);

  std::string path = dir.file("tls-pubkey.pem");
  write_file(path, key.pem);
  auto from_file = key_id_from_pem_file(path);
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_EQ(*from_file, ours);
  std::string certtool = run("certtool --key-id --hash sha256 --load-pubkey '" + path + "'");
  EXPECT_EQ(upper(certtool), ours) << "certtool printed: " << certtool;
}

TEST(KeyId, OfEd25519KeyEqualsSha256GnutlsKeyIdAndCerttool) {
  expect_key_id_agrees_with_everyone(GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
}

TEST(KeyId, OfRsaKeyEqualsSha256GnutlsKeyIdAndCerttool) {
  expect_key_id_agrees_with_everyone(GNUTLS_PK_RSA, GNUTLS_SEC_PARAM_MEDIUM);
}

TEST(KeyId, IsSha256OfTheExactBytesGiven) {
  // FIPS 180-2 test vector, so the hash itself is checked, not only
  // agreement between two GnuTLS paths.
  EXPECT_EQ(key_id_from_spki_der("abc"),
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  EXPECT_EQ(key_id_from_spki_der(""), kEmptyKeyId);
}

TEST(KeyId, DiffersBetweenTwoGeneratedKeys) {
  GeneratedKey a = generate(GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  GeneratedKey b = generate(GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  EXPECT_NE(key_id_from_spki_der(a.der), key_id_from_spki_der(b.der));
}

TEST(HexUpper, WritesTwoUppercaseDigitsPerByte) {
  EXPECT_EQ(hex_upper(std::string_view("\x00\x0a\xff\x5c", 4)), "000AFF5C");
  EXPECT_EQ(hex_upper(""), "");
}

TEST(NormalizeKeyId, RemovesSpacesAndUppercases) {
  EXPECT_EQ(normalize_key_id("ab cd EF 01"), "ABCDEF01");
  EXPECT_EQ(normalize_key_id("  e3b0 c442  "), "E3B0C442");
  EXPECT_EQ(normalize_key_id(""), "");
}

TEST(NormalizeKeyId, KeepsOtherWhitespaceAndNonLetters) {
  // The reference removes only " "; a tab makes the ID unmatchable rather
  // than silently equal.
  EXPECT_EQ(normalize_key_id("a\tb-c_z"), "A\tB-C_Z");
}

TEST(NormalizeKeyId, NormalisesFingerprintsTheSameWay) {
  EXPECT_EQ(normalize_key_id("7788 2722 5BD6 63A4 c1a3  1b0a 2d4f 0ab3 9f0f 4a3a"),
            "778827225BD663A4C1A31B0A2D4F0AB39F0F4A3A");
}

TEST(NeverMatchingKeyId, IsTheHashOfEmptyInputInAnySpelling) {
  EXPECT_TRUE(is_never_matching_key_id(kEmptyKeyId));
  EXPECT_TRUE(is_never_matching_key_id(normalize_key_id(
      "e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 649b934c a495991b 7852b855")));
  GeneratedKey key = generate(GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  EXPECT_FALSE(is_never_matching_key_id(key_id_from_spki_der(key.der)));
  EXPECT_FALSE(is_never_matching_key_id(""));
}

// Malformed key files: each error names the file and the problem.
class KeyIdFromBadFile : public ::testing::Test {
 protected:
  void expect_error(const std::string& path, const std::string& fact) {
    auto id = key_id_from_pem_file(path);
    ASSERT_FALSE(id) << "accepted " << path;
    EXPECT_NE(id.error().message.find(path), std::string::npos) << id.error().message;
    EXPECT_NE(id.error().message.find(fact), std::string::npos) << id.error().message;
  }
  TempDir dir_;
};

TEST_F(KeyIdFromBadFile, MissingFileIsNamed) {
  expect_error(dir_.file("absent.pem"), "No such file or directory");
}

TEST_F(KeyIdFromBadFile, EmptyFileIsRejected) {
  write_file(dir_.file("empty.pem"), "");
  expect_error(dir_.file("empty.pem"), "empty");
}

TEST_F(KeyIdFromBadFile, DirectoryIsRejected) {
  ASSERT_EQ(::mkdir(dir_.file("sub").c_str(), 0700), 0);
  expect_error(dir_.file("sub"), "not a regular file");
}

TEST_F(KeyIdFromBadFile, TextWithoutPemBlockIsNotPem) {
  write_file(dir_.file("junk.pem"), "hello, world\n");
  expect_error(dir_.file("junk.pem"), "not a PEM file");
}

TEST_F(KeyIdFromBadFile, PrivateKeyIsTheWrongType) {
  auto privkey = tls::generate_privkey(GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  ASSERT_TRUE(privkey);
  auto pem = tls::export_privkey_pkcs8_pem(*privkey);
  ASSERT_TRUE(pem);
  write_file(dir_.file("tls-privkey.pem"), pem->view());
  expect_error(dir_.file("tls-privkey.pem"), "contains a private key");
}

TEST_F(KeyIdFromBadFile, CertificateIsTheWrongType) {
  write_file(dir_.file("cert.pem"),
             "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  expect_error(dir_.file("cert.pem"), "X.509 certificate");
}

TEST_F(KeyIdFromBadFile, OpenPgpKeyIsTheWrongType) {
  write_file(dir_.file("pubkey.txt"),
             "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----\n");
  expect_error(dir_.file("pubkey.txt"), "OpenPGP key");
}

TEST_F(KeyIdFromBadFile, CorruptBase64IsAMalformedKey) {
  write_file(dir_.file("bad.pem"),
             "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA!!!!\n-----END PUBLIC KEY-----\n");
  expect_error(dir_.file("bad.pem"), "malformed public key");
}

TEST_F(KeyIdFromBadFile, TruncatedKeyIsAMalformedKey) {
  GeneratedKey key = generate(GNUTLS_PK_EDDSA_ED25519, GNUTLS_SEC_PARAM_ULTRA);
  std::string pem = key.pem;
  pem.erase(pem.find("-----END"));
  pem.erase(pem.size() / 2);
  write_file(dir_.file("cut.pem"), pem);
  expect_error(dir_.file("cut.pem"), "malformed public key");
}

TEST_F(KeyIdFromBadFile, OversizedFileIsRejected) {
  write_file(dir_.file("huge.pem"), std::string(tls::kMaxKeyFileBytes + 1, 'A'));
  expect_error(dir_.file("huge.pem"), "larger than");
}

}  // namespace
}  // namespace mandos
