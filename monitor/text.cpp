#include "text.hpp"

#include <wchar.h>

#include <cstdint>

namespace mandos::monitor {
namespace {

constexpr wchar_t kReplacement = 0xFFFD;

// One code point from `text` at `pos`; advances `pos`. Overlong forms,
// surrogates and values above U+10FFFF are invalid.
wchar_t next_code_point(std::string_view text, std::size_t& pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  int extra = 0;
  std::uint32_t value = 0;
  std::uint32_t minimum = 0;
  if (lead < 0x80) {
    ++pos;
    return static_cast<wchar_t>(lead);
  } else if ((lead & 0xE0) == 0xC0) {
    extra = 1, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, value = lead & 0x07, minimum = 0x10000;
  } else {
    ++pos;
    return kReplacement;
  }
  std::size_t i = pos + 1;
  for (int n = 0; n < extra; ++n, ++i) {
    if (i >= text.size() || (byte(i) & 0xC0) != 0x80) {
      pos = i;
      return kReplacement;
    }
    value = (value << 6) | (byte(i) & 0x3F);
  }
  pos = i;
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return kReplacement;
  }
  return static_cast<wchar_t>(value);
}

bool is_control(wchar_t c) { return c < 0x20 || (c >= 0x7F && c < 0xA0); }

}  // namespace

std::wstring to_display(std::string_view utf8, bool unicode) {
  std::wstring out;
  out.reserve(utf8.size());
  for (std::size_t pos = 0; pos < utf8.size();) {
    wchar_t c = next_code_point(utf8, pos);
    if (is_control(c) || (!unicode && c > 0x7F)) c = L'?';
    out += c;
  }
  return out;
}

int char_width(wchar_t c) {
  const int width = ::wcwidth(c);
  // Unknown to the C library (e.g. under a non-UTF-8 locale): assume one.
  return width < 0 ? 1 : width;
}

int text_width(const std::wstring& text) {
  int width = 0;
  for (wchar_t c : text) width += char_width(c);
  return width;
}

std::wstring clip(const std::wstring& text, int width) {
  std::wstring out;
  int used = 0;
  for (wchar_t c : text) {
    const int w = char_width(c);
    if (used + w > width) break;
    out += c;
    used += w;
  }
  return out;
}

std::vector<std::wstring> wrap(const std::wstring& text, int width, bool wrap_at_spaces) {
  std::vector<std::wstring> rows;
  if (width < 1) width = 1;
  std::size_t start = 0;
  while (start < text.size()) {
    // The longest prefix from `start` that fits.
    std::size_t end = start;
    int used = 0;
    while (end < text.size() && used + char_width(text[end]) <= width) {
      used += char_width(text[end]);
      ++end;
    }
    if (end == start) ++end;  // a character wider than the row: show it alone
    std::size_t next = end;
    if (wrap_at_spaces && end < text.size() && text[end] != L' ') {
      const std::size_t space = text.rfind(L' ', end - 1);
      if (space != std::wstring::npos && space > start) {
        end = space;
        next = space + 1;  // the space at the break is not shown
      }
    } else if (wrap_at_spaces && end < text.size()) {
      next = end + 1;
    }
    rows.push_back(text.substr(start, end - start));
    start = next;
  }
  if (rows.empty()) rows.emplace_back();
  return rows;
}

}  // namespace mandos::monitor
