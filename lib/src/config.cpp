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
#include <unordered_map>

#include "mandos/fd.hpp"
#include "mandos/secret.hpp"

namespace mandos::config {

// ---------------------------------------------------------------------------
// Storage

namespace {

struct Option {
  std::string key;    // lowercased
  std::string value;  // raw (uninterpolated), continuation lines joined
  size_t line = 0;    // 0: built-in default
};

struct Section {
  std::string name;
  size_t line = 0;
  std::vector<Option> options;
  std::unordered_map<std::string, size_t> index;  // key -> options[i]

  const Option* find(const std::string& key) const {
    auto it = index.find(key);
    return it == index.end() ? nullptr : &options[it->second];
  }
  Option& add(std::string key, size_t line_number) {
    index.emplace(key, options.size());
    options.push_back(Option{std::move(key), {}, line_number});
    return options.back();
  }
};

}  // namespace

namespace internal {

struct IniData {
  std::string filename;
  Section defaults;               // built-ins, then the file's [DEFAULT]
  std::vector<Section> sections;  // file order
  std::vector<std::string> names;
  std::unordered_map<std::string, size_t> section_index;

  IniData() = default;
  IniData(const IniData&) = delete;
  IniData& operator=(const IniData&) = delete;
  ~IniData() {
    // clients.conf holds every client's secret: do not leave it in freed memory.
    auto wipe = [](Section& section) {
      for (Option& option : section.options) {
        secure_wipe(option.value.data(), option.value.capacity());
      }
    };
    wipe(defaults);
    for (Section& section : sections) wipe(section);
  }

  // nullptr for DEFAULT and unknown sections: only defaults apply there.
  const Section* section(std::string_view name) const {
    auto it = section_index.find(std::string(name));
    return it == section_index.end() ? nullptr : &sections[it->second];
  }
  const Option* lookup(const Section* section, const std::string& key) const {
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

// Byte length of the character at text[pos] if Python's str.isspace() is true
// for it, else 0. Assumes valid UTF-8.
size_t space_length(std::string_view text, size_t pos) {
  auto byte = [&](size_t i) {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
  };
  unsigned char c = byte(pos);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return 1;
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

Stripped strip(std::string_view line) {
  Stripped result;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t space = space_length(line, pos);
    if (space == 0) break;
    pos += space;
    ++result.indent;
  }
  size_t begin = pos;
  size_t end = pos;
  while (pos < line.size()) {
    size_t space = space_length(line, pos);
    pos += space != 0 ? space : char_length(line, pos);
    if (space == 0) end = pos;
  }
  result.text = line.substr(begin, end - begin);
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
  Parser(IniData& data, std::string_view text) : data_(data), text_(text) {}

  Status run() {
    if (auto status = check_encoding(); !status) return status;
    size_t pos = 0;
    size_t line_number = 0;
    while (pos < text_.size()) {
      size_t eol = text_.find_first_of("\r\n", pos);
      if (eol == std::string_view::npos) eol = text_.size();
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
    Option* option = nullptr;
    auto found = section.index.find(key);
    if (found != section.index.end()) {
      option = &section.options[found->second];
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
  // (configparser: '\n'.join(lines).rstrip()). One allocation, so no partial
  // copies of a secret are left in freed memory.
  void finish_value() {
    if (option_ == nullptr) return;
    while (!pieces_.empty() && pieces_.back().empty()) pieces_.pop_back();
    size_t size = 0;
    for (std::string_view piece : pieces_) size += piece.size() + 1;
    secure_wipe(option_->value.data(), option_->value.capacity());
    std::string joined;
    joined.reserve(size);
    for (size_t i = 0; i < pieces_.size(); ++i) {
      if (i != 0) joined += '\n';
      joined.append(pieces_[i]);
    }
    option_->value = std::move(joined);
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

// Reads a whole file into one buffer that is wiped when the caller is done.
struct FileBytes {
  std::string bytes;
  FileBytes() = default;
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  ~FileBytes() { secure_wipe(bytes.data(), bytes.capacity()); }
};

Status read_whole_file(const std::string& path, FileBytes& out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail(path + ": cannot open: " + std::strerror(errno), errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(path + ": " + std::strerror(errno), errno);
  size_t capacity = static_cast<size_t>(st.st_size > 0 ? st.st_size : 0) + 4096;
  if (capacity > kMaxFileBytes + 1) capacity = kMaxFileBytes + 1;
  out.bytes.resize(capacity);
  size_t used = 0;
  for (;;) {
    if (used == out.bytes.size()) {
      if (used > kMaxFileBytes) {
        return fail(path + ": larger than " + std::to_string(kMaxFileBytes) + " bytes", EFBIG);
      }
      // The file grew while being read: move to a bigger buffer, wipe the old.
      FileBytes bigger;
      bigger.bytes.resize(std::min(used * 2, kMaxFileBytes + 1));
      std::memcpy(bigger.bytes.data(), out.bytes.data(), used);
      std::swap(out.bytes, bigger.bytes);
    }
    ssize_t got = ::read(fd.get(), out.bytes.data() + used, out.bytes.size() - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fail(path + ": cannot read: " + std::strerror(errno), errno);
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  if (used > kMaxFileBytes) {
    return fail(path + ": larger than " + std::to_string(kMaxFileBytes) + " bytes", EFBIG);
  }
  out.bytes.resize(used);
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
  data->defaults.name = std::string(kDefaultSection);
  for (const auto& [key, value] : defaults) {
    std::string lowered = lower_key(key);
    if (data->defaults.find(lowered) != nullptr) {
      return fail("built-in defaults for " + data->filename + ": duplicate option '" + lowered +
                  "'");
    }
    data->defaults.add(std::move(lowered), 0).value = value;
  }
  Parser parser(*data, text);
  if (auto status = parser.run(); !status) return status.error();
  return IniFile(std::move(data));
}

Result<IniFile> IniFile::load(const std::string& path, const Defaults& defaults,
                              bool missing_is_empty) {
  FileBytes file;
  if (auto status = read_whole_file(path, file); !status) {
    if (status.error().code == ENOENT && missing_is_empty) return parse("", path, defaults);
    return status.error();
  }
  return parse(file.bytes, path, defaults);
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
  return option->value;
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
