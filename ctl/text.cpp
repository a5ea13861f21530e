#include "text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace mandos::ctl {
namespace {

constexpr char32_t kSurrogateEscapeBase = 0xDC00;

// Length of the UTF-8 sequence starting at text[pos], 0 if it is invalid
// (overlong forms, surrogates and values above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos, char32_t& out) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    out = lead;
    return 1;
  }
  // Sequence length, payload bits of the lead byte, smallest legal value.
  struct Form {
    unsigned char mask;
    unsigned char pattern;
    std::size_t length;
    char32_t minimum;
  };
  static constexpr Form kForms[] = {
      {0xE0, 0xC0, 2, 0x80}, {0xF0, 0xE0, 3, 0x800}, {0xF8, 0xF0, 4, 0x10000}};
  const Form* form = nullptr;
  for (const Form& candidate : kForms) {
    if ((lead & candidate.mask) == candidate.pattern) form = &candidate;
  }
  if (form == nullptr) return 0;
  const std::size_t length = form->length;
  const char32_t minimum = form->minimum;
  char32_t value = lead & static_cast<unsigned char>(~form->mask);
  if (pos + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
    value = value << 6 | (byte(pos + i) & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  out = value;
  return length;
}

// Python's str.isprintable() for one non-ASCII code point: false for the
// categories Cc, Cf, Cs, Co, Zl, Zp and Zs (Cn is not tracked, see header).
bool is_printable_non_ascii(char32_t c) {
  struct Range {
    char32_t first;
    char32_t last;
  };
  static constexpr Range kNotPrintable[] = {
      {0x80, 0xA0},       {0xAD, 0xAD},       {0x600, 0x605},     {0x61C, 0x61C},
      {0x6DD, 0x6DD},     {0x70F, 0x70F},     {0x890, 0x891},     {0x8E2, 0x8E2},
      {0x1680, 0x1680},   {0x180E, 0x180E},   {0x2000, 0x200F},   {0x2028, 0x202F},
      {0x205F, 0x2064},   {0x2066, 0x206F},   {0x3000, 0x3000},   {0xD800, 0xF8FF},
      {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
      {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
      {0xE0020, 0xE007F}, {0xF0000, 0x10FFFF},
  };
  for (const Range& range : kNotPrintable) {
    if (c >= range.first && c <= range.last) return false;
  }
  return true;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

void append_hex_escape(std::string& out, const char* prefix, int digits, char32_t c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%s%0*x", prefix, digits, static_cast<unsigned>(c));
  out += buffer;
}

}  // namespace

std::vector<char32_t> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = 0;
    const std::size_t length = utf8_sequence_length(text, pos, c);
    if (length == 0) {
      out.push_back(kSurrogateEscapeBase + static_cast<unsigned char>(text[pos]));
      ++pos;
      continue;
    }
    out.push_back(c);
    pos += length;
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = 0;
    const std::size_t length = utf8_sequence_length(text, pos, c);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

std::size_t code_point_count(std::string_view text) { return decode_utf8(text).size(); }

std::string python_repr(std::string_view text) {
  const std::vector<char32_t> points = decode_utf8(text);
  bool has_single = false;
  bool has_double = false;
  for (char32_t c : points) {
    has_single = has_single || c == U'\'';
    has_double = has_double || c == U'"';
  }
  const char32_t quote = has_single && !has_double ? U'"' : U'\'';
  std::string out(1, static_cast<char>(quote));
  for (char32_t c : points) {
    if (c == quote || c == U'\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == U'\t') {
      out += "\\t";
    } else if (c == U'\n') {
      out += "\\n";
    } else if (c == U'\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      append_hex_escape(out, "\\x", 2, c);
    } else if (c < 0x7F || is_printable_non_ascii(c)) {
      append_utf8(out, c);
    } else if (c <= 0xFF) {
      append_hex_escape(out, "\\x", 2, c);
    } else if (c <= 0xFFFF) {
      append_hex_escape(out, "\\u", 4, c);
    } else {
      append_hex_escape(out, "\\U", 8, c);
    }
  }
  out += static_cast<char>(quote);
  return out;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char32_t c : decode_utf8(text)) {
    switch (c) {
      case U'"': out += "\\\""; continue;
      case U'\\': out += "\\\\"; continue;
      case U'\b': out += "\\b"; continue;
      case U'\f': out += "\\f"; continue;
      case U'\n': out += "\\n"; continue;
      case U'\r': out += "\\r"; continue;
      case U'\t': out += "\\t"; continue;
      default: break;
    }
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else if (c < 0x10000) {
      append_hex_escape(out, "\\u", 4, c);
    } else {
      const char32_t offset = c - 0x10000;
      append_hex_escape(out, "\\u", 4, 0xD800 | ((offset >> 10) & 0x3FF));
      append_hex_escape(out, "\\u", 4, 0xDC00 | (offset & 0x3FF));
    }
  }
  out += '"';
  return out;
}

std::string python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, then Python's layout: positional notation
  // when the decimal exponent is in (-4, 16], else d.ddde+XX.
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string scientific(buffer, result.ptr);
  const std::size_t e = scientific.find('e');
  std::string sign;
  std::string digits;
  for (std::size_t i = 0; i < e; ++i) {
    if (scientific[i] == '-') sign = "-";
    if (scientific[i] >= '0' && scientific[i] <= '9') digits += scientific[i];
  }
  const int exponent = std::stoi(scientific.substr(e + 1));
  const int point = exponent + 1;  // digits before the decimal point
  if (point > -4 && point <= 16) {
    std::string out;
    if (point <= 0) {
      out = "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    } else if (static_cast<std::size_t>(point) >= digits.size()) {
      out = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<std::size_t>(point)) + "." +
            digits.substr(static_cast<std::size_t>(point));
    }
    return sign + out;
  }
  std::string mantissa = digits.substr(0, 1);
  if (digits.size() > 1) mantissa += "." + digits.substr(1);
  char exponent_text[16];
  std::snprintf(exponent_text, sizeof exponent_text, "e%c%02d", exponent < 0 ? '-' : '+',
                exponent < 0 ? -exponent : exponent);
  return sign + mantissa + exponent_text;
}

}  // namespace mandos::ctl
