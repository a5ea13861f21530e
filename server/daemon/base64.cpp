#include "daemon/base64.hpp"

#include <array>
#include <vector>

namespace mandos::server {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of each byte in the alphabet, -1 outside it (a table: there are
// thousands of secrets to decode at start-up).
constexpr auto kValue = [] {
  std::array<signed char, 256> table{};
  table.fill(-1);
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  }
  return table;
}();

int value_of(char c) { return kValue[static_cast<unsigned char>(c)]; }

}  // namespace

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode_strict(std::string_view text) {
  if (text.size() % 4 != 0) return fail("invalid base64 (length)");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  unsigned v = 0;
  int bits = 0;
  size_t pads = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      if (i + 2 < text.size()) return fail("invalid base64 (padding)");
      ++pads;
      continue;
    }
    if (pads > 0) return fail("invalid base64 (data after padding)");
    const int value = value_of(text[i]);
    if (value < 0) return fail("invalid base64 character");
    v = (v << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xff);
    }
  }
  return out;
}

Result<SecretBytes> decode_python_base64(std::string_view text) {
  // A port of CPython's binascii.a2b_base64 with strict_mode=False, after
  // b64decode's check that a str argument is ASCII.
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return fail("invalid base64: string argument should contain only ASCII characters");
    }
  }
  std::vector<char> out;
  out.reserve(text.size() / 4 * 3 + 3);
  int quad_pos = 0;
  int pads = 0;
  unsigned leftchar = 0;
  bool done = false;
  for (size_t i = 0; i < text.size() && !done; ++i) {
    char ch = text[i];
    if (ch == '=') {
      if (quad_pos >= 2 && quad_pos + ++pads >= 4) done = true;
      continue;
    }
    const int value = value_of(ch);
    if (value < 0) continue;
    pads = 0;
    auto v = static_cast<unsigned>(value);
    switch (quad_pos) {
      case 0: leftchar = v; quad_pos = 1; break;
      case 1: out.push_back(static_cast<char>((leftchar << 2) | (v >> 4))); leftchar = v & 0x0f; quad_pos = 2; break;
      case 2: out.push_back(static_cast<char>((leftchar << 4) | (v >> 2))); leftchar = v & 0x03; quad_pos = 3; break;
      case 3: out.push_back(static_cast<char>((leftchar << 6) | v)); leftchar = 0; quad_pos = 0; break;
    }
  }
  SecretBytes result(out.data(), out.size());
  secure_wipe(out.data(), out.capacity());
  if (!done && quad_pos == 1) {
    return fail("invalid base64: number of data characters (" +
                std::to_string(result.size() / 3 * 4 + 1) +
                ") cannot be 1 more than a multiple of 4");
  }
  if (!done && quad_pos != 0) return fail("invalid base64: Incorrect padding");
  return result;
}

}  // namespace mandos::server
