// Terminal text: UTF-8 from the bus to wide characters for ncursesw,
// display widths, and the two wrapping modes of the reference's panes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mandos::monitor {

// Decodes UTF-8 (invalid bytes become U+FFFD) and replaces characters a
// terminal must not receive raw (C0/C1 controls, DEL) with '?'. Without
// Unicode support every non-ASCII character becomes '?' too, as the
// reference's ascii/"replace" encoding does.
[[nodiscard]] std::wstring to_display(std::string_view utf8, bool unicode);

// Columns a character occupies (0 for combining marks, 2 for wide ones).
[[nodiscard]] int char_width(wchar_t c);
[[nodiscard]] int text_width(const std::wstring& text);

// Rows of at most `width` columns. `wrap_at_spaces`: break after words,
// splitting only words longer than a row (urwid's "space"); otherwise
// break anywhere (urwid's "any"). Always at least one row.
[[nodiscard]] std::vector<std::wstring> wrap(const std::wstring& text, int width,
                                             bool wrap_at_spaces);
// The first `width` columns.
[[nodiscard]] std::wstring clip(const std::wstring& text, int width);

}  // namespace mandos::monitor
