// Text rendering shared by mandos-ctl's outputs. The reference is Python, so
// its messages, table widths and JSON follow Python's rules for str: a
// string is a sequence of code points, repr() quotes and escapes, and
// json.dumps() escapes everything outside printable ASCII as \uXXXX.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mandos::ctl {

// UTF-8 to code points. Bytes that are not valid UTF-8 become U+DC80..U+DCFF,
// as Python's "surrogateescape" decodes command-line arguments.
std::vector<char32_t> decode_utf8(std::string_view text);

bool is_valid_utf8(std::string_view text);

// Python len() of the decoded string: the column width unit of the tables.
std::size_t code_point_count(std::string_view text);

// Python repr() of a str: 'x', "it's", '\n', '\x7f', '\udcff'. Printable
// non-ASCII characters are kept; "printable" follows Python for the control,
// format, separator, private-use and surrogate ranges. APPROXIMATION: code
// points unassigned in Unicode are kept, where Python would escape them.
std::string python_repr(std::string_view text);

// A JSON string literal as Python's json.dumps(ensure_ascii=True) writes it.
std::string json_string(std::string_view text);

// Python repr() of a float: shortest round-trip digits, "1.0" rather than
// "1", "1e+16", "nan", "inf". json.dumps() writes the same for finite values.
std::string python_float(double value);

}  // namespace mandos::ctl
