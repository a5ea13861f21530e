#include "keygen_test_util.hpp"

#include <gnutls/gnutls.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "mandos/config.hpp"
#include "mandos/gpg.hpp"

namespace mandos::keygen_test {

std::string our_keygen() { return std::string(MANDOS_BUILD_DIR) + "/keygen/mandos-keygen"; }

test::RunResult run_keygen(const std::string& program, std::vector<std::string> args,
                           const test::RunOptions& options) {
  args.insert(args.begin(), program);
  return test::run(args, options);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

namespace {

std::string base64_decode(std::string text) {
  std::string compact;
  for (char c : text) {
    if (c != '\n' && c != ' ') compact.push_back(c);
  }
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(compact.data()),
                    static_cast<unsigned>(compact.size())};
  gnutls_datum_t out{nullptr, 0};
  int ret = gnutls_base64_decode2(&in, &out);
  EXPECT_EQ(ret, 0) << "secret is not base64: " << gnutls_strerror(ret);
  if (ret != 0) return "";
  std::string decoded(reinterpret_cast<char*>(out.data), out.size);
  gnutls_free(out.data);
  return decoded;
}

std::string raw_or_empty(const config::IniFile& ini, const std::string& section,
                         const char* key) {
  return ini.raw(section, key).value_or("");
}

}  // namespace

ParsedSection parse_section(const std::string& text) {
  ParsedSection parsed;
  auto ini = config::IniFile::parse(text, "mandos-keygen output");
  EXPECT_TRUE(ini.ok()) << (ini.ok() ? "" : ini.error().message) << "\n" << text;
  if (!ini.ok()) return parsed;
  EXPECT_EQ(ini->sections().size(), 1u) << text;
  if (ini->sections().size() != 1) return parsed;
  parsed.name = ini->sections().front();
  parsed.options = ini->options(parsed.name);
  parsed.host = raw_or_empty(*ini, parsed.name, "host");
  parsed.key_id = raw_or_empty(*ini, parsed.name, "key_id");
  parsed.fingerprint = raw_or_empty(*ini, parsed.name, "fingerprint");
  parsed.raw_secret = raw_or_empty(*ini, parsed.name, "secret");
  parsed.checker = raw_or_empty(*ini, parsed.name, "checker");
  parsed.ssh_fingerprint = raw_or_empty(*ini, parsed.name, "ssh_fingerprint");
  // The server reads every option through interpolation (items()).
  auto items = ini->items(parsed.name);
  EXPECT_TRUE(items.ok()) << (items.ok() ? "" : items.error().message);
  parsed.secret = base64_decode(parsed.raw_secret);
  return parsed;
}

SecretBytes decrypt_with_keys(const std::string& key_dir, const std::string& message) {
  auto home = gpg::TempGnupgHome::create();
  EXPECT_TRUE(home.ok());
  if (!home.ok()) return {};
  auto ctx = gpg::Context::create(home->path());
  EXPECT_TRUE(ctx.ok());
  if (!ctx.ok()) return {};
  for (const char* name : {"pubkey.txt", "seckey.txt"}) {
    auto imported = gpg::import_key_file(*ctx, key_dir + "/" + name);
    EXPECT_TRUE(imported.ok()) << (imported.ok() ? "" : imported.error().message);
  }
  auto plain = gpg::decrypt(*ctx, message);
  EXPECT_TRUE(plain.ok()) << (plain.ok() ? "" : plain.error().message);
  if (!plain.ok()) return {};
  return std::move(*plain);
}

KeyFacts key_facts(const std::string& pubkey_path) {
  KeyFacts facts;
  auto home = gpg::TempGnupgHome::create();
  EXPECT_TRUE(home.ok());
  if (!home.ok()) return facts;
  auto ctx = gpg::Context::create(home->path());
  EXPECT_TRUE(ctx.ok());
  if (!ctx.ok()) return facts;
  auto imported = gpg::import_key_file(*ctx, pubkey_path);
  EXPECT_TRUE(imported.ok()) << (imported.ok() ? "" : imported.error().message);
  EXPECT_EQ(gpgme_op_keylist_start(ctx->get(), nullptr, 0), 0u);
  gpgme_key_t raw = nullptr;
  EXPECT_EQ(gpgme_op_keylist_next(ctx->get(), &raw), 0u);
  gpg::Key key(raw);
  (void)gpgme_op_keylist_end(ctx->get());
  if (!key || key->subkeys == nullptr) return facts;
  gpgme_subkey_t primary = key->subkeys;
  facts.fingerprint = primary->fpr;
  facts.user_id = key->uids != nullptr ? key->uids->uid : "";
  facts.primary_signs = primary->can_sign;
  facts.primary_auths = primary->can_authenticate;
  facts.primary_encrypts = primary->can_encrypt;
  facts.expires = primary->expires;
  for (gpgme_subkey_t sub = primary->next; sub != nullptr; sub = sub->next) {
    ++facts.subkeys;
    facts.subkey_encrypts = sub->can_encrypt;
    facts.subkey_signs = sub->can_sign;
  }
  return facts;
}

std::string layout_of(const std::string& section_text) {
  std::istringstream in(section_text);
  std::string out, line;
  bool last_was_secret = false;
  while (std::getline(in, line)) {
    const bool secret = line.rfind("    ", 0) == 0;
    if (secret && last_was_secret) continue;
    out += (secret ? "    <base64>" : line) + "\n";
    last_was_secret = secret;
  }
  return out;
}

}  // namespace mandos::keygen_test
