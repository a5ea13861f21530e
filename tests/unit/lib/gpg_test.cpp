#include "mandos/gpg.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mandos::gpg {
namespace {

namespace fs = std::filesystem;

// A scratch directory for one test, holding key files and the test's
// GnuPG homes (so their removal can be observed).
class TempDir {
 public:
  TempDir() {
    // Short base path: gpg-agent's socket path must fit in sun_path.
    std::string pattern = "/tmp/gpgt-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Pids of gpg-agent processes started for `home` (by its --homedir argument).
std::vector<pid_t> agents_for(const std::string& home) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_whole_file(entry.path().string() + "/cmdline");
    if (cmdline.find("gpg-agent") != std::string::npos &&
        cmdline.find(home) != std::string::npos) {
      pids.push_back(static_cast<pid_t>(std::stoi(name)));
    }
  }
  return pids;
}

// The secret includes NUL, CR, LF and high bytes: it must come back exactly.
const std::string kSecret("pass\0word\r\n\n\xff\x01 end\n", 19);

// A key pair generated in its own home and exported to pubkey.txt /
// seckey.txt, as mandos-keygen leaves them.
struct KeyPair {
  std::unique_ptr<TempGnupgHome> home;
  std::unique_ptr<Context> ctx;
  std::string fingerprint;
  std::string pubkey_path;
  std::string seckey_path;
};

KeyPair make_key_pair(const TempDir& dir, const std::string& name) {
  KeyPair pair;
  auto home = TempGnupgHome::create_in(dir.path());
  EXPECT_TRUE(home) << home.error().message;
  pair.home = std::make_unique<TempGnupgHome>(std::move(*home));
  auto ctx = Context::create(pair.home->path());
  EXPECT_TRUE(ctx) << ctx.error().message;
  pair.ctx = std::make_unique<Context>(std::move(*ctx));
  // Curve keys keep the test quick; generate_key's defaults are RSA 4096.
  auto fingerprint = generate_key(*pair.ctx, {name + " <" + name + "@example.invalid>",
                                              "ed25519", "cv25519", 0});
  EXPECT_TRUE(fingerprint) << fingerprint.error().message;
  pair.fingerprint = *fingerprint;
  auto pub = export_public_key(*pair.ctx, pair.fingerprint);
  auto sec = export_secret_key(*pair.ctx, pair.fingerprint);
  EXPECT_TRUE(pub) << pub.error().message;
  EXPECT_TRUE(sec) << sec.error().message;
  pair.pubkey_path = dir.file(name + "-pubkey.txt");
  pair.seckey_path = dir.file(name + "-seckey.txt");
  write_file(pair.pubkey_path, *pub);
  write_file(pair.seckey_path, sec->view());
  return pair;
}

// What the Mandos client does: fresh home, import pubkey then seckey.
struct ClientHome {
  std::unique_ptr<TempGnupgHome> home;
  std::unique_ptr<Context> ctx;
};

ClientHome import_into_fresh_home(const TempDir& dir, const KeyPair& pair) {
  ClientHome client;
  auto home = TempGnupgHome::create_in(dir.path());
  EXPECT_TRUE(home) << home.error().message;
  client.home = std::make_unique<TempGnupgHome>(std::move(*home));
  auto ctx = Context::create(client.home->path());
  EXPECT_TRUE(ctx) << ctx.error().message;
  client.ctx = std::make_unique<Context>(std::move(*ctx));
  auto pub = import_key_file(*client.ctx, pair.pubkey_path);
  EXPECT_TRUE(pub) << pub.error().message;
  auto sec = import_key_file(*client.ctx, pair.seckey_path);
  EXPECT_TRUE(sec) << sec.error().message;
  if (sec) {
    EXPECT_EQ(sec->secret_imported, 1);
  }
  return client;
}

TEST(GpgDecrypt, ArmoredSecretWithNulAndNewlinesRoundTripsThroughAFreshHome) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "alpha");
  auto ciphertext = encrypt_to(*pair.ctx, pair.fingerprint, kSecret, {true, true});
  ASSERT_TRUE(ciphertext) << ciphertext.error().message;
  EXPECT_EQ(ciphertext->rfind("-----BEGIN PGP MESSAGE-----", 0), 0u);

  ClientHome client = import_into_fresh_home(dir, pair);
  auto plaintext = decrypt(*client.ctx, *ciphertext);

  ASSERT_TRUE(plaintext) << plaintext.error().message;
  EXPECT_EQ(plaintext->view(), kSecret);
}

TEST(GpgDecrypt, BinarySecretRoundTrips) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "beta");
  auto ciphertext = encrypt_to(*pair.ctx, pair.fingerprint, kSecret, {false, false});
  ASSERT_TRUE(ciphertext) << ciphertext.error().message;
  EXPECT_NE(static_cast<unsigned char>((*ciphertext)[0]) & 0x80, 0) << "not an OpenPGP packet";

  ClientHome client = import_into_fresh_home(dir, pair);
  auto plaintext = decrypt(*client.ctx, *ciphertext);

  ASSERT_TRUE(plaintext) << plaintext.error().message;
  EXPECT_EQ(plaintext->view(), kSecret);
}

// The format the Mandos server actually stores: gpg --encrypt --sign output
// (keygen.md §3), armored for `secret`, binary for `secfile`.
TEST(GpgDecrypt, MessagesFromTheGpgCommandLineDecrypt) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "gamma");
  write_file(dir.file("plain"), kSecret);
  for (bool armor : {true, false}) {
    std::string out = dir.file(armor ? "msg.asc" : "msg.gpg");
    std::string command = "gpg --homedir '" + pair.home->path() +
                          "' --batch --quiet --no-tty --trust-model always --encrypt --sign " +
                          (armor ? "--armor " : "") + "--recipient " + pair.fingerprint +
                          " --output '" + out + "' '" + dir.file("plain") + "' 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;

    ClientHome client = import_into_fresh_home(dir, pair);
    auto plaintext = decrypt(*client.ctx, read_whole_file(out));

    ASSERT_TRUE(plaintext) << plaintext.error().message;
    EXPECT_EQ(plaintext->view(), kSecret) << (armor ? "armored" : "binary");
  }
}

TEST(GpgDecrypt, MessageForAnotherKeyFailsWithNoSecretKey) {
  TempDir dir;
  KeyPair intended = make_key_pair(dir, "delta");
  KeyPair other = make_key_pair(dir, "epsilon");
  auto ciphertext = encrypt_to(*intended.ctx, intended.fingerprint, kSecret);
  ASSERT_TRUE(ciphertext);

  ClientHome client = import_into_fresh_home(dir, other);
  auto plaintext = decrypt(*client.ctx, *ciphertext);

  ASSERT_FALSE(plaintext);
  const std::string& message = plaintext.error().message;
  EXPECT_NE(message.find("decryption failed"), std::string::npos) << message;
  EXPECT_NE(message.find("No secret key"), std::string::npos) << message;
  EXPECT_NE(message.find("encrypted to key ID"), std::string::npos) << message;
}

TEST(GpgDecrypt, GarbageCiphertextFails) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "zeta");
  ClientHome client = import_into_fresh_home(dir, pair);
  for (std::string_view garbage :
       {std::string_view("this is not an OpenPGP message\n"),
        std::string_view("-----BEGIN PGP MESSAGE-----\n\nhQEMA!!!\n-----END PGP MESSAGE-----\n"),
        std::string_view("\x85\x01\x0c\x03", 4)}) {
    auto plaintext = decrypt(*client.ctx, garbage);
    ASSERT_FALSE(plaintext) << "accepted: " << garbage;
    EXPECT_NE(plaintext.error().message.find("decryption failed"), std::string::npos)
        << plaintext.error().message;
  }
}

TEST(GpgDecrypt, EmptyCiphertextIsNoData) {
  TempDir dir;
  auto home = TempGnupgHome::create_in(dir.path());
  ASSERT_TRUE(home);
  auto ctx = Context::create(home->path());
  ASSERT_TRUE(ctx);
  auto plaintext = decrypt(*ctx, "");
  ASSERT_FALSE(plaintext);
  EXPECT_NE(plaintext.error().message.find("no data"), std::string::npos)
      << plaintext.error().message;
}

TEST(GpgDecrypt, PlaintextOverTheLimitIsRefused) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "eta");
  auto ciphertext = encrypt_to(*pair.ctx, pair.fingerprint, kSecret);
  ASSERT_TRUE(ciphertext);
  auto plaintext = decrypt(*pair.ctx, *ciphertext, 4);
  ASSERT_FALSE(plaintext);
  EXPECT_NE(plaintext.error().message.find("larger than 4 bytes"), std::string::npos)
      << plaintext.error().message;
}

TEST(GpgImport, MissingKeyFileNamesThePath) {
  TempDir dir;
  auto home = TempGnupgHome::create_in(dir.path());
  ASSERT_TRUE(home);
  auto ctx = Context::create(home->path());
  ASSERT_TRUE(ctx);
  std::string path = dir.file("no-such-seckey.txt");
  auto imported = import_key_file(*ctx, path);
  ASSERT_FALSE(imported);
  EXPECT_NE(imported.error().message.find(path), std::string::npos) << imported.error().message;
  EXPECT_NE(imported.error().message.find("No such file"), std::string::npos)
      << imported.error().message;
}

TEST(GpgImport, FileWithoutKeyIsRejectedNamingThePath) {
  TempDir dir;
  auto home = TempGnupgHome::create_in(dir.path());
  ASSERT_TRUE(home);
  auto ctx = Context::create(home->path());
  ASSERT_TRUE(ctx);
  std::string path = dir.file("pubkey.txt");
  write_file(path, "this is not a key\n");
  auto imported = import_key_file(*ctx, path);
  ASSERT_FALSE(imported);
  EXPECT_NE(imported.error().message.find(path), std::string::npos) << imported.error().message;

  write_file(path, "");
  imported = import_key_file(*ctx, path);
  ASSERT_FALSE(imported);
  EXPECT_NE(imported.error().message.find("empty"), std::string::npos)
      << imported.error().message;
}

TEST(TempGnupgHome, IsAPrivateDirectoryNamedMandosSomething) {
  TempDir dir;
  auto home = TempGnupgHome::create_in(dir.path());
  ASSERT_TRUE(home) << home.error().message;
  EXPECT_EQ(home->path().rfind(dir.path() + "/mandos", 0), 0u) << home->path();
  EXPECT_EQ(home->path().size(), dir.path().size() + std::string("/mandosXXXXXX").size());
  struct stat st {};
  ASSERT_EQ(::stat(home->path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST(TempGnupgHome, DefaultBaseIsRunTmpElseTmpdir) {
  TempDir dir;
  const char* old = std::getenv("TMPDIR");
  std::string saved = old != nullptr ? old : "";
  ::setenv("TMPDIR", dir.path().c_str(), 1);
  auto home = TempGnupgHome::create();
  if (old != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  ASSERT_TRUE(home) << home.error().message;
  std::string expected_base = fs::is_directory("/run/tmp") ? "/run/tmp" : dir.path();
  EXPECT_EQ(home->path().rfind(expected_base + "/mandos", 0), 0u) << home->path();
}

TEST(TempGnupgHome, MissingBaseDirectoryIsNamed) {
  auto home = TempGnupgHome::create_in("/nonexistent-mandos-base");
  ASSERT_FALSE(home);
  EXPECT_NE(home.error().message.find("/nonexistent-mandos-base"), std::string::npos)
      << home.error().message;
}

// After a real decryption (which starts gpg-agent), destruction leaves no
// directory and no agent behind.
TEST(TempGnupgHome, DestructionRemovesTheTreeAndStopsTheAgent) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "theta");
  auto ciphertext = encrypt_to(*pair.ctx, pair.fingerprint, kSecret);
  ASSERT_TRUE(ciphertext);
  std::string path;
  std::vector<pid_t> agents;
  {
    ClientHome client = import_into_fresh_home(dir, pair);
    path = client.home->path();
    auto plaintext = decrypt(*client.ctx, *ciphertext);
    ASSERT_TRUE(plaintext) << plaintext.error().message;
    EXPECT_TRUE(fs::exists(path + "/private-keys-v1.d"));
    agents = agents_for(path);
    EXPECT_EQ(agents.size(), 1u) << "expected gpg-agent for " << path;
  }
  EXPECT_FALSE(fs::exists(path)) << path;
  EXPECT_TRUE(agents_for(path).empty());
  for (pid_t pid : agents) {
    std::string stat = read_whole_file("/proc/" + std::to_string(pid) + "/stat");
    size_t paren = stat.rfind(')');
    bool gone_or_zombie = stat.empty() || (paren != std::string::npos && stat[paren + 2] == 'Z');
    EXPECT_TRUE(gone_or_zombie) << "gpg-agent " << pid << " still running: " << stat;
  }
}

// An agent that died leaves its socket behind; nothing listens on it.
TEST(TempGnupgHome, StaleAgentSocketIsRemovedWithoutError) {
  TempDir dir;
  auto home = TempGnupgHome::create_in(dir.path());
  ASSERT_TRUE(home);
  std::string path = home->path();
  std::string socket_path = path + "/S.gpg-agent";
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof address.sun_path);
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(fd);  // bound but never listening: connections are refused

  Status removed = home->remove();

  EXPECT_TRUE(removed) << removed.error().message;
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempGnupgHome, ExplicitRemoveReportsSuccessAndIsIdempotent) {
  TempDir dir;
  auto home = TempGnupgHome::create_in(dir.path());
  ASSERT_TRUE(home);
  std::string path = home->path();
  write_file(path + "/pubring.kbx", "data");
  Status removed = home->remove();
  EXPECT_TRUE(removed) << removed.error().message;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(home->remove());
}

TEST(TempGnupgHome, MovedFromHomeDoesNotDeleteTheDirectory) {
  TempDir dir;
  auto home = TempGnupgHome::create_in(dir.path());
  ASSERT_TRUE(home);
  std::string path = home->path();
  {
    TempGnupgHome moved(std::move(*home));
    EXPECT_EQ(moved.path(), path);
    EXPECT_TRUE(home->path().empty());
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(GpgKeyGeneration, FingerprintMatchesWhatGpgListsAndKeyHasAnEncryptionSubkey) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "iota");
  EXPECT_EQ(pair.fingerprint.size(), 40u);
  std::string listing = dir.file("listing");
  std::string command = "gpg --homedir '" + pair.home->path() +
                        "' --batch --with-colons --fingerprint > '" + listing + "' 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::string colons = read_whole_file(listing);
  size_t fpr = colons.find("\nfpr:");
  ASSERT_NE(fpr, std::string::npos) << colons;
  EXPECT_NE(colons.find("fpr:::::::::" + pair.fingerprint + ":"), std::string::npos) << colons;
  EXPECT_EQ(colons.substr(fpr + 1 + 12, 40), pair.fingerprint) << colons;
  // The subkey ("sub") is the encryption-capable one (capability "e").
  size_t sub = colons.find("\nsub:");
  ASSERT_NE(sub, std::string::npos) << colons;
  std::string sub_line = colons.substr(sub + 1, colons.find('\n', sub + 1) - sub - 1);
  EXPECT_NE(sub_line.find(":e:"), std::string::npos) << sub_line;
}

TEST(GpgKeyGeneration, RejectsAnEmptyUserId) {
  TempDir dir;
  auto home = TempGnupgHome::create_in(dir.path());
  ASSERT_TRUE(home);
  auto ctx = Context::create(home->path());
  ASSERT_TRUE(ctx);
  auto fingerprint = generate_key(*ctx, {"", "ed25519", "cv25519", 0});
  ASSERT_FALSE(fingerprint);
  EXPECT_NE(fingerprint.error().message.find("user ID"), std::string::npos);
}

TEST(GpgExport, ArmorCommentIsTheSecondLineAndTheKeyStillImports) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "kappa");
  ExportOptions options;
  options.comment = "Mandos client key for kappa";
  auto pub = export_public_key(*pair.ctx, pair.fingerprint, options);
  auto sec = export_secret_key(*pair.ctx, pair.fingerprint, options);
  ASSERT_TRUE(pub && sec);
  for (std::string_view text : {std::string_view(*pub), sec->view()}) {
    size_t first = text.find('\n');
    EXPECT_EQ(text.substr(first + 1, text.find('\n', first + 1) - first - 1),
              "Comment: Mandos client key for kappa");
  }
  write_file(pair.pubkey_path, *pub);
  write_file(pair.seckey_path, sec->view());
  ClientHome client = import_into_fresh_home(dir, pair);
  auto ciphertext = encrypt_to(*pair.ctx, pair.fingerprint, kSecret);
  ASSERT_TRUE(ciphertext);
  auto plaintext = decrypt(*client.ctx, *ciphertext);
  ASSERT_TRUE(plaintext) << plaintext.error().message;
  EXPECT_EQ(plaintext->view(), kSecret);
}

TEST(GpgExport, MultiLineCommentIsRefused) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "lambda");
  ExportOptions options;
  options.comment = "one\nInjected: header";
  auto pub = export_public_key(*pair.ctx, pair.fingerprint, options);
  ASSERT_FALSE(pub);
  EXPECT_NE(pub.error().message.find("single line"), std::string::npos);
}

TEST(GpgExport, UnknownFingerprintIsAnError) {
  TempDir dir;
  KeyPair pair = make_key_pair(dir, "mu");
  auto pub = export_public_key(*pair.ctx, "0000000000000000000000000000000000000000");
  ASSERT_FALSE(pub);
  EXPECT_NE(pub.error().message.find("0000000000000000000000000000000000000000"),
            std::string::npos)
      << pub.error().message;
}

TEST(GpgEncrypt, UnknownRecipientIsNamed) {
  TempDir dir;
  auto home = TempGnupgHome::create_in(dir.path());
  ASSERT_TRUE(home);
  auto ctx = Context::create(home->path());
  ASSERT_TRUE(ctx);
  auto ciphertext = encrypt_to(*ctx, "1111111111111111111111111111111111111111", "x");
  ASSERT_FALSE(ciphertext);
  EXPECT_NE(ciphertext.error().message.find("1111111111111111111111111111111111111111"),
            std::string::npos)
      << ciphertext.error().message;
}

}  // namespace
}  // namespace mandos::gpg
