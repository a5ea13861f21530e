#include "worker/version_line.hpp"

#include <cstdio>

namespace mandos::server::worker {
namespace {

// The ASCII characters Python's str.split() and str.strip() treat as
// whitespace.
bool is_python_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

std::string_view first_token(std::string_view line) {
  size_t start = 0;
  while (start < line.size() && is_python_space(line[start])) ++start;
  size_t end = start;
  while (end < line.size() && !is_python_space(line[end])) ++end;
  return line.substr(start, end - start);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Python int(token): [+-] digit (['_'] digit)*. Sets `above_one` if the
// value is greater than 1 (no overflow: only that comparison matters).
bool parse_python_int(std::string_view token, bool& above_one) {
  size_t pos = 0;
  bool negative = false;
  if (pos < token.size() && (token[pos] == '+' || token[pos] == '-')) {
    negative = token[pos] == '-';
    ++pos;
  }
  if (pos == token.size() || !is_digit(token[pos])) return false;
  bool nonzero_seen = false;
  size_t significant = 0;  // digits from the first non-zero one
  char last_significant = '0';
  for (; pos < token.size(); ++pos) {
    char c = token[pos];
    if (c == '_') {
      if (pos + 1 >= token.size() || !is_digit(token[pos + 1])) return false;
      continue;
    }
    if (!is_digit(c)) return false;
    if (c != '0') nonzero_seen = true;
    if (nonzero_seen) {
      ++significant;
      last_significant = c;
    }
  }
  above_one = !negative && (significant > 1 || (significant == 1 && last_significant > '1'));
  return true;
}

}  // namespace

Status check_version_line(std::string_view line) {
  std::string_view token = first_token(line);
  if (token.empty()) return fail("empty version line " + python_repr(line));
  bool above_one = false;
  if (!parse_python_int(token, above_one)) {
    return fail("invalid literal for int() with base 10: " + python_repr(token));
  }
  if (above_one) return fail(python_repr(line));
  return {};
}

std::string python_repr(std::string_view bytes) {
  bool has_single = bytes.find('\'') != std::string_view::npos;
  bool has_double = bytes.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (c == quote || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u >= 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += quote;
  return out;
}

}  // namespace mandos::server::worker
