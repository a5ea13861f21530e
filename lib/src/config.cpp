// configparser-compatible reader; see mandos/config.hpp for the contract.
//
// The reference server reads its files with Python's open() (UTF-8, universal
// newlines) and configparser's line-by-line state machine. This file follows
// the same rules so that every file is accepted or rejected alike, and values
// come out byte for byte the same:
//   * lines end at LF, CRLF or a lone CR;
//   * "whitespace" is Python's str.isspace() set (Unicode, not just ASCII),
//     and indentation is counted in characters, not bytes;
//   * a stripped line starting with '#' or ';' is a comment, wherever it is;
//   * a non-blank line indented deeper than the last option/header line
//     continues the current option's value;
//   * a section header is '[' + at least one character + the LAST ']' on the
//     line; anything after that ']' is ignored;
//   * otherwise a line is "name DELIM value" split at the first '=' or ':'.
#include "mandos/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <utility>

#include "mandos/fd.hpp"
#include "mandos/secret.hpp"

namespace mandos::config {

// ---------------------------------------------------------------------------
// Storage

namespace {

struct Option {
  std::string key;         // lowercased
  std::string_view value;  // raw (uninterpolated), continuation lines joined;
                           // it lies in IniData::text or IniData::builtins
  size_t line = 0;         // 0: built-in default
};

// Lets unordered_map<std::string, ...> be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

struct Section {
  // From this many options on, lookups go through `index`; below, a scan
  // of a few short keys is cheaper than hashing (and clients.conf has
  // thousands of small sections).
  static constexpr size_t kIndexFrom = 16;

  std::string name;
  size_t line = 0;
  std::vector<Option> options;
  StringMap<size_t> index;  // key -> options[i], once there are enough

  const Option* find(std::string_view key) const {
    if (index.empty()) {
      for (const Option& option : options) {
        if (option.key == key) return &option;
      }
      return nullptr;
    }
    auto it = index.find(key);
    return it == index.end() ? nullptr : &options[it->second];
  }
  Option* find(std::string_view key) {
    return const_cast<Option*>(std::as_const(*this).find(key));
  }
  Option& add(std::string key, size_t line_number) {
    options.push_back(Option{std::move(key), {}, line_number});
    if (options.size() == kIndexFrom) {
      for (size_t i = 0; i < options.size(); ++i) index.emplace(options[i].key, i);
    } else if (options.size() > kIndexFrom) {
      index.emplace(options.back().key, options.size() - 1);
    }
    return options.back();
  }
};

}  // namespace

namespace internal {

struct IniData {
  std::string filename;
  // The file's text. Option values are views into it: continuation lines
  // are joined in place, since a joined value is never longer than its lines.
  std::string text;
  std::deque<std::string> builtins;  // values of the built-in defaults
  Section defaults;                  // built-ins, then the file's [DEFAULT]
  std::vector<Section> sections;     // file order
  std::vector<std::string> names;
  StringMap<size_t> section_index;

  IniData() = default;
  IniData(const IniData&) = delete;
  IniData& operator=(const IniData&) = delete;
  ~IniData() {
    // clients.conf holds every client's secret: do not leave it in freed memory.
    secure_wipe(text.data(), text.capacity());
    for (std::string& value : builtins) secure_wipe(value.data(), value.capacity());
  }

  // nullptr for DEFAULT and unknown sections: only defaults apply there.
  const Section* section(std::string_view name) const {
    auto it = section_index.find(name);
    return it == section_index.end() ? nullptr : &sections[it->second];
  }
  const Option* lookup(const Section* section, std::string_view key) const {
    if (section != nullptr) {
      if (const Option* option = section->find(key)) return option;
    }
    return defaults.find(key);
  }
  std::string where(size_t line) const {
    if (line == 0) return "built-in default";
    return filename + ":" + std::to_string(line);
  }
};

}  // namespace internal

using internal::IniData;

// ---------------------------------------------------------------------------
// Text helpers: UTF-8 as Python decodes it, and Python's whitespace.

namespace {

// Length of the valid UTF-8 sequence at text[pos], or 0 if it is invalid by
// Python's strict decoder (no overlongs, no surrogates, nothing > U+10FFFF).
size_t utf8_sequence_length(std::string_view text, size_t pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(pos);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  if (byte(pos + 1) < low || byte(pos + 1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// Byte offset of the first invalid UTF-8 sequence, or npos.
size_t find_invalid_utf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    // Fast path over ASCII, which is nearly all of any config file.
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t length = utf8_sequence_length(text, pos);
    if (length == 0) return pos;
    pos += length;
  }
  return std::string_view::npos;
}

// Python's str.isspace() for ASCII.
bool is_ascii_space(unsigned char c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
}

// Byte length of the character at text[pos] if Python's str.isspace() is true
// for it, else 0. Assumes valid UTF-8.
size_t space_length(std::string_view text, size_t pos) {
  auto byte = [&](size_t i) {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
  };
  unsigned char c = byte(pos);
  if (is_ascii_space(c)) return 1;
  if (c == 0xC2 && (byte(pos + 1) == 0x85 || byte(pos + 1) == 0xA0)) return 2;
  if (c == 0xE1 && byte(pos + 1) == 0x9A && byte(pos + 2) == 0x80) return 3;  // U+1680
  if (c == 0xE3 && byte(pos + 1) == 0x80 && byte(pos + 2) == 0x80) return 3;  // U+3000
  if (c == 0xE2 && byte(pos + 1) == 0x80) {  // U+2000..U+200A, U+2028/9, U+202F
    unsigned char t = byte(pos + 2);
    if ((t >= 0x80 && t <= 0x8A) || t == 0xA8 || t == 0xA9 || t == 0xAF) return 3;
  }
  if (c == 0xE2 && byte(pos + 1) == 0x81 && byte(pos + 2) == 0x9F) return 3;  // U+205F
  return 0;
}

size_t char_length(std::string_view text, size_t pos) {
  unsigned char c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  return 4;
}

struct Stripped {
  std::string_view text;  // the line without leading/trailing whitespace
  size_t indent = 0;      // leading whitespace, in characters
};

// Start of the last character of text (non-empty, valid UTF-8).
size_t last_char_start(std::string_view text) {
  size_t pos = text.size() - 1;
  while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) --pos;
  return pos;
}

Stripped strip(std::string_view line) {
  Stripped result;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t space = space_length(line, pos);
    if (space == 0) break;
    pos += space;
    ++result.indent;
  }
  // Trailing whitespace, from the end: most lines end in an ASCII letter.
  size_t end = line.size();
  while (end > pos) {
    const unsigned char last = static_cast<unsigned char>(line[end - 1]);
    if (last < 0x80) {
      if (!is_ascii_space(last)) break;
      --end;
      continue;
    }
    const size_t start = last_char_start(line.substr(0, end));
    if (start < pos || space_length(line.substr(0, end), start) != end - start) break;
    end = start;
  }
  result.text = line.substr(pos, end - pos);
  return result;
}

// Text from a config file for an error message: control characters escaped,
// cut at max_chars bytes (on a character boundary).
std::string quote(std::string_view text, size_t max_chars = 60) {
  std::string out = "'";
  size_t pos = 0;
  while (pos < text.size()) {
    if (pos >= max_chars) {
      out += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c < 0x20 || c == 0x7F) {
      static const char hex[] = "0123456789abcdef";
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else {
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 0xF];
      }
      ++pos;
      continue;
    }
    size_t length = c < 0x80 ? 1 : char_length(text, pos);
    out.append(text.substr(pos, length));
    pos += length;
  }
  out += "'";
  return out;
}

// The one option whose value must never be echoed (clients.conf secret).
bool is_secret(std::string_view key) { return key == "secret"; }

}  // namespace

std::string lower_key(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<bool> parse_bool(std::string_view text) {
  std::string word = lower_key(text);
  if (word == "1" || word == "yes" || word == "true" || word == "on") return true;
  if (word == "0" || word == "no" || word == "false" || word == "off") return false;
  return fail("expected a boolean (1/yes/true/on or 0/no/false/off), got " + quote(text));
}

// ---------------------------------------------------------------------------
// Parser: configparser's per-line state machine.

namespace {

class Parser {
 public:
  explicit Parser(IniData& data) : data_(data), text_(data.text) {}

  Status run() {
    if (auto status = check_encoding(); !status) return status;
    size_t pos = 0;
    size_t line_number = 0;
    while (pos < text_.size()) {
      const size_t eol = end_of_line(pos);
      ++line_number;
      if (auto status = line(text_.substr(pos, eol - pos), line_number); !status) return status;
      // Universal newlines, as Python's open(): LF, CRLF or a lone CR.
      pos = eol;
      if (pos < text_.size()) {
        pos += (text_[pos] == '\r' && pos + 1 < text_.size() && text_[pos + 1] == '\n') ? 2 : 1;
      }
    }
    finish_value();
    return {};
  }

 private:
  // Where the line starting at `pos` ends (a CR or LF, or the end). A plain
  // loop: find_first_of("\r\n") calls memchr once per character.
  size_t end_of_line(size_t pos) const {
    while (pos < text_.size() && text_[pos] != '\n' && text_[pos] != '\r') ++pos;
    return pos;
  }

  static constexpr long kNoSection = -2;
  static constexpr long kDefaults = -1;

  Status check_encoding() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
      return error(1, "file starts with a UTF-8 byte order mark, which configparser (and so "
                      "the reference Mandos) rejects; save it without one");
    }
    size_t bad = find_invalid_utf8(text_);
    if (bad == std::string_view::npos) return {};
    size_t line_number = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < bad; ++i) {
      bool is_break = text_[i] == '\n' ||
                      (text_[i] == '\r' && (i + 1 >= text_.size() || text_[i + 1] != '\n'));
      if (is_break) {
        ++line_number;
        line_start = i + 1;
      }
    }
    static const char hex[] = "0123456789ABCDEF";
    unsigned char c = static_cast<unsigned char>(text_[bad]);
    return error(line_number, std::string("not valid UTF-8 (byte 0x") + hex[c >> 4] + hex[c & 0xF] +
                                  " at byte " + std::to_string(bad - line_start + 1) +
                                  " of the line); the file must be UTF-8");
  }

  Status line(std::string_view raw_line, size_t number) {
    Stripped stripped = strip(raw_line);
    std::string_view value = stripped.text;
    if (value.empty()) {
      // Blank lines belong to the current value (trailing ones are dropped
      // when it is joined); comment lines do not.
      if (option_ != nullptr) pieces_.push_back({});
      return {};
    }
    if (value.front() == '#' || value.front() == ';') return {};
    if (option_ != nullptr && stripped.indent > indent_) {
      pieces_.push_back(value);
      return {};
    }
    indent_ = stripped.indent;
    if (auto header = section_header(value)) return start_section(*header, number);
    if (section_ == kNoSection) {
      return error(number, "text before the first [section] header: " + quote(value) +
                               header_hint(value));
    }
    return option_line(value, number);
  }

  // configparser's "\[(?P<header>.+)\]", matched at the start: greedy, so
  // the name runs to the LAST ']' and must be at least one character.
  static std::optional<std::string_view> section_header(std::string_view value) {
    if (value.front() != '[') return std::nullopt;
    size_t close = value.rfind(']');
    if (close == std::string_view::npos || close < 2) return std::nullopt;
    return value.substr(1, close - 1);
  }

  static std::string header_hint(std::string_view value) {
    if (value.front() != '[') return "";
    return " (a section header needs a non-empty name between '[' and ']')";
  }

  Status start_section(std::string_view name, size_t number) {
    finish_value();
    option_ = nullptr;
    if (name == kDefaultSection) {
      // configparser merges repeated [DEFAULT] headers (only keys must differ).
      section_ = kDefaults;
      return {};
    }
    std::string key(name);
    auto [it, inserted] = data_.section_index.emplace(key, data_.sections.size());
    if (!inserted) {
      return error(number, "duplicate section [" + key + "] (first defined at line " +
                               std::to_string(data_.sections[it->second].line) + ")");
    }
    section_ = static_cast<long>(it->second);
    data_.names.push_back(key);
    data_.sections.push_back(Section{std::move(key), number, {}, {}});
    return {};
  }

  Section& current_section() {
    return section_ == kDefaults ? data_.defaults : data_.sections[static_cast<size_t>(section_)];
  }

  Status option_line(std::string_view value, size_t number) {
    size_t delimiter = value.find_first_of("=:");
    if (delimiter == std::string_view::npos) return not_an_option(value, number);
    std::string key = lower_key(strip(value.substr(0, delimiter)).text);
    if (key.empty()) {
      return error(number, std::string("option name missing before '") + value[delimiter] + "'");
    }
    finish_value();
    Section& section = current_section();
    Option* option = section.find(key);
    if (option != nullptr) {
      if (option->line != 0) {  // set earlier in this file, not a built-in
        return error(number, "duplicate option '" + key + "' in section [" +
                                 (section_ == kDefaults ? std::string(kDefaultSection)
                                                        : section.name) +
                                 "] (first set at line " + std::to_string(option->line) +
                                 "; option names ignore case)");
      }
      option->line = number;
    } else {
      option = &section.add(std::move(key), number);
    }
    option_ = option;
    pieces_.push_back(strip(value.substr(delimiter + 1)).text);
    return {};
  }

  Status not_an_option(std::string_view value, size_t number) {
    std::string message = "expected 'key = value' or 'key: value'";
    // A mis-indented line of a multi-line secret must not end up in a log.
    if (option_ != nullptr && is_secret(option_->key)) {
      message += " (line not shown: it follows option 'secret')";
    } else {
      message += ", got " + quote(value) + header_hint(value);
    }
    if (option_ != nullptr) {
      message += "; a continuation of option '" + option_->key + "' (line " +
                 std::to_string(option_->line) + ") must be indented more than that line";
    }
    return error(number, message);
  }

  // Joins the current option's lines with LF, dropping trailing blank lines
  // (configparser: '\n'.join(lines).rstrip()). In place, from where the
  // first piece starts: every later piece begins at least one line break
  // further on than the joined text has reached, so nothing unread is
  // overwritten, and no copy of a secret is made.
  void finish_value() {
    if (option_ == nullptr) return;
    while (!pieces_.empty() && pieces_.back().empty()) pieces_.pop_back();
    if (pieces_.size() <= 1) {
      option_->value = pieces_.empty() ? std::string_view() : pieces_.front();
    } else {
      char* const begin = data_.text.data() + (pieces_.front().data() - text_.data());
      char* out = begin;
      for (size_t i = 0; i < pieces_.size(); ++i) {
        if (i != 0) *out++ = '\n';
        if (!pieces_[i].empty()) std::memmove(out, pieces_[i].data(), pieces_[i].size());
        out += pieces_[i].size();
      }
      option_->value = std::string_view(begin, static_cast<size_t>(out - begin));
    }
    pieces_.clear();
    option_ = nullptr;
  }

  Error error(size_t number, const std::string& message) const {
    return fail(data_.filename + ":" + std::to_string(number) + ": " + message);
  }

  IniData& data_;
  std::string_view text_;
  long section_ = kNoSection;
  Option* option_ = nullptr;  // the option that continuation lines extend
  size_t indent_ = 0;         // indentation of the last option/header line
  std::vector<std::string_view> pieces_;  // lines of option_'s value so far
};

}  // namespace

// ---------------------------------------------------------------------------
// Interpolation: configparser's BasicInterpolation, evaluated on demand.

namespace {

class Interpolator {
 public:
  Interpolator(const IniData& data, const Section* section, std::string_view section_name,
               const Option& top)
      : data_(data), section_(section), section_name_(section_name), top_(top) {}

  Result<std::string> run() {
    if (auto status = expand(top_, top_.value, 1); !status) return status.error();
    return std::move(out_);
  }

 private:
  // One level of configparser's _interpolate_some: `from` is the option whose
  // text `rest` is; referenced values are expanded only if they contain '%'.
  Status expand(const Option& from, std::string_view rest, int depth) {
    chain_.push_back(&from);
    if (depth > kMaxInterpolationDepth) return depth_error();
    while (!rest.empty()) {
      size_t percent = rest.find('%');
      if (percent == std::string_view::npos) return append(from, rest);
      if (auto status = append(from, rest.substr(0, percent)); !status) return status;
      rest.remove_prefix(percent);
      char next = rest.size() > 1 ? rest[1] : '\0';
      if (next == '%') {
        if (auto status = append(from, "%"); !status) return status;
        rest.remove_prefix(2);
        continue;
      }
      if (next != '(') {
        return error(from, "'%' must be followed by '%' or '(', found " +
                               shown(from, rest.substr(0, 2)) + " (write '%%' for a literal '%')");
      }
      // %(name)s: name is one or more characters other than ')'.
      size_t close = rest.find(')', 2);
      if (close == std::string_view::npos || close == 2 || close + 1 >= rest.size() ||
          rest[close + 1] != 's') {
        std::string_view token = rest.substr(0, close == std::string_view::npos ? 40 : close + 2);
        return error(from, "bad interpolation reference " + shown(from, token) +
                               ", expected '%(name)s'");
      }
      std::string_view name = rest.substr(2, close - 2);
      const Option* target = data_.lookup(section_, lower_key(name));
      if (target == nullptr) {
        return error(from, "unknown interpolation name " + shown(from, name) + " in " +
                               shown(from, rest.substr(0, close + 2)));
      }
      rest.remove_prefix(close + 2);
      Status status = target->value.find('%') == std::string::npos
                          ? append(from, target->value)
                          : expand(*target, target->value, depth + 1);
      if (!status) return status;
    }
    chain_.pop_back();
    return {};
  }

  Status append(const Option& from, std::string_view text) {
    if (out_.size() + text.size() > kMaxInterpolatedBytes) {
      return error(from, "interpolated value would be larger than " +
                             std::to_string(kMaxInterpolatedBytes) + " bytes");
    }
    out_.append(text);
    return {};
  }

  // Value text for a message, unless it comes from (or feeds) the secret.
  std::string shown(const Option& from, std::string_view text) const {
    if (is_secret(from.key) || is_secret(top_.key)) return "(value of 'secret' not shown)";
    return quote(text);
  }

  Error depth_error() const {
    std::string names;
    for (size_t i = 0; i < chain_.size() && i < 6; ++i) {
      names += (i == 0 ? "" : " -> ") + chain_[i]->key;
    }
    return fail(prefix(top_) + "interpolation loop or depth over " +
                std::to_string(kMaxInterpolationDepth) + " (" + names + " -> ...)");
  }

  Error error(const Option& from, const std::string& message) const {
    return fail(prefix(from) + message);
  }

  // "FILE:LINE: in section [S], option 'K'[ (through 'X')]: ", located at
  // the text that holds the fault.
  std::string prefix(const Option& from) const {
    std::string text = data_.where(from.line) + ": in section [" + std::string(section_name_) +
                       "], option '" + top_.key + "'";
    if (&from != &top_) text += " (through option '" + from.key + "')";
    return text + ": ";
  }

  const IniData& data_;
  const Section* section_;
  std::string_view section_name_;
  const Option& top_;
  std::string out_;
  std::vector<const Option*> chain_;
};

// A buffer wiped when it goes (a file being read may hold secrets).
struct FileBytes {
  std::string bytes;
  FileBytes() = default;
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  ~FileBytes() { secure_wipe(bytes.data(), bytes.capacity()); }
};

Status read_whole_file(const std::string& path, std::string& out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail(path + ": cannot open: " + std::strerror(errno), errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(path + ": " + std::strerror(errno), errno);
  size_t capacity = static_cast<size_t>(st.st_size > 0 ? st.st_size : 0) + 4096;
  if (capacity > kMaxFileBytes + 1) capacity = kMaxFileBytes + 1;
  out.resize(capacity);
  size_t used = 0;
  for (;;) {
    if (used == out.size()) {
      if (used > kMaxFileBytes) {
        return fail(path + ": larger than " + std::to_string(kMaxFileBytes) + " bytes", EFBIG);
      }
      // The file grew while being read: move to a bigger buffer, wipe the old.
      FileBytes bigger;
      bigger.bytes.resize(std::min(used * 2, kMaxFileBytes + 1));
      std::memcpy(bigger.bytes.data(), out.data(), used);
      std::swap(out, bigger.bytes);
    }
    ssize_t got = ::read(fd.get(), out.data() + used, out.size() - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fail(path + ": cannot read: " + std::strerror(errno), errno);
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  if (used > kMaxFileBytes) {
    return fail(path + ": larger than " + std::to_string(kMaxFileBytes) + " bytes", EFBIG);
  }
  out.resize(used);
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------
// IniFile

IniFile::IniFile(std::unique_ptr<IniData> data) : data_(std::move(data)) {}
IniFile::IniFile(IniFile&&) noexcept = default;
IniFile& IniFile::operator=(IniFile&&) noexcept = default;
IniFile::~IniFile() = default;

Result<IniFile> IniFile::parse(std::string_view text, std::string filename,
                               const Defaults& defaults) {
  auto data = std::make_unique<IniData>();
  data->filename = std::move(filename);
  data->text = std::string(text);
  return parse_owned(std::move(data), defaults);
}

Result<IniFile> IniFile::parse_owned(std::unique_ptr<IniData> data, const Defaults& defaults) {
  data->defaults.name = std::string(kDefaultSection);
  for (const auto& [key, value] : defaults) {
    std::string lowered = lower_key(key);
    if (data->defaults.find(lowered) != nullptr) {
      return fail("built-in defaults for " + data->filename + ": duplicate option '" + lowered +
                  "'");
    }
    data->defaults.add(std::move(lowered), 0).value = data->builtins.emplace_back(value);
  }
  Parser parser(*data);
  if (auto status = parser.run(); !status) return status.error();
  return IniFile(std::move(data));
}

Result<IniFile> IniFile::load(const std::string& path, const Defaults& defaults,
                              bool missing_is_empty) {
  auto data = std::make_unique<IniData>();
  data->filename = path;
  if (auto status = read_whole_file(path, data->text); !status) {
    if (status.error().code == ENOENT && missing_is_empty) return parse("", path, defaults);
    return status.error();
  }
  return parse_owned(std::move(data), defaults);
}

const std::string& IniFile::filename() const { return data_->filename; }

const std::vector<std::string>& IniFile::sections() const { return data_->names; }

bool IniFile::has_section(std::string_view section) const {
  return data_->section(section) != nullptr;
}

bool IniFile::has_option(std::string_view section, std::string_view key) const {
  return data_->lookup(data_->section(section), lower_key(key)) != nullptr;
}

std::vector<std::string> IniFile::options(std::string_view section) const {
  std::vector<std::string> keys;
  const Section* own = data_->section(section);
  if (own != nullptr) {
    for (const Option& option : own->options) keys.push_back(option.key);
  }
  for (const Option& option : data_->defaults.options) {
    if (own == nullptr || own->find(option.key) == nullptr) keys.push_back(option.key);
  }
  return keys;
}

std::optional<std::string> IniFile::raw(std::string_view section, std::string_view key) const {
  const Option* option = data_->lookup(data_->section(section), lower_key(key));
  if (option == nullptr) return std::nullopt;
  return std::string(option->value);
}

Result<std::optional<std::string>> IniFile::get(std::string_view section,
                                                 std::string_view key) const {
  const Section* own = data_->section(section);
  const Option* option = data_->lookup(own, lower_key(key));
  if (option == nullptr) return std::optional<std::string>();
  auto value = Interpolator(*data_, own, section, *option).run();
  if (!value) return value.error();
  return std::optional<std::string>(std::move(value).value());
}

Result<std::vector<std::pair<std::string, std::string>>> IniFile::items(
    std::string_view section) const {
  const Section* own = data_->section(section);
  std::vector<const Option*> order;
  // configparser: a copy of the defaults updated with the section, so
  // overridden defaults keep their place and new keys come after.
  for (const Option& option : data_->defaults.options) {
    const Option* own_value = own != nullptr ? own->find(option.key) : nullptr;
    order.push_back(own_value != nullptr ? own_value : &option);
  }
  if (own != nullptr) {
    for (const Option& option : own->options) {
      if (data_->defaults.find(option.key) == nullptr) order.push_back(&option);
    }
  }
  std::vector<std::pair<std::string, std::string>> result;
  result.reserve(order.size());
  for (const Option* option : order) {
    auto value = Interpolator(*data_, own, section, *option).run();
    if (!value) return value.error();
    result.emplace_back(option->key, std::move(value).value());
  }
  return result;
}

Result<bool> IniFile::get_bool(std::string_view section, std::string_view key,
                               bool fallback) const {
  auto value = get(section, key);
  if (!value) return value.error();
  if (!value->has_value()) return fallback;
  auto parsed = parse_bool(**value);
  if (parsed) return parsed;
  return fail(location(section, key) + ": in section [" + std::string(section) + "], option '" +
              lower_key(key) + "': " + parsed.error().message);
}

std::string IniFile::location(std::string_view section, std::string_view key) const {
  const Option* option = data_->lookup(data_->section(section), lower_key(key));
  if (option == nullptr) return "";
  return data_->where(option->line);
}

}  // namespace mandos::config
