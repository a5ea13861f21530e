// Helpers shared by the mandos-keygen integration and interop tests: run a
// mandos-keygen, read its section back as the server would, decrypt it.
#pragma once

#include <string>
#include <vector>

#include "mandos/secret.hpp"
#include "mandos/test/support.hpp"

namespace mandos::keygen_test {

// Small keys keep the tests fast (RSA 4096 takes seconds per key).
inline const std::vector<std::string> kSmallKeys = {"--length", "1024", "--sublength", "1024"};

std::string our_keygen();

test::RunResult run_keygen(const std::string& program, std::vector<std::string> args,
                           const test::RunOptions& options = {});

// File contents and mode bits.
std::string slurp(const std::string& path);
unsigned file_mode(const std::string& path);
bool exists(const std::string& path);

struct ParsedSection {
  std::string name;
  std::vector<std::string> options;  // names in file order
  std::string host, key_id, fingerprint, raw_secret, checker, ssh_fingerprint;
  std::string secret;  // base64-decoded, as the server does
};

// Parses password-mode output with the lib config reader (as clients.conf)
// and fails the current test if it is not exactly one section.
ParsedSection parse_section(const std::string& text);

// Decrypts `message` (binary OpenPGP) with the key pair in `key_dir`,
// imported into a throw-away GnuPG home.
SecretBytes decrypt_with_keys(const std::string& key_dir, const std::string& message);

// The primary fingerprint, user ID and key/subkey capabilities of the
// first key in pubkey.txt.
struct KeyFacts {
  std::string fingerprint;
  std::string user_id;
  int subkeys = 0;
  bool primary_signs = false, primary_auths = false, primary_encrypts = false;
  bool subkey_encrypts = false, subkey_signs = false;
  long expires = -1;
};
KeyFacts key_facts(const std::string& pubkey_path);

// Every secret line replaced by "    <base64>", for layout comparisons.
std::string layout_of(const std::string& section_text);

}  // namespace mandos::keygen_test
