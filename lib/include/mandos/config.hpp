// Reader for mandos.conf and clients.conf that accepts and rejects exactly
// what the reference server's Python 3.11 configparser.ConfigParser does
// with default settings (strict, basic interpolation, '#'/';' full-line
// comments, '='/':' delimiters, lowercased option names, indented
// continuation lines, [DEFAULT] inheritance).
//
// Parsing happens once, up front; %-interpolation happens when a value is
// read, as in configparser, so errors in an option surface when it is used.
// Every error names FILE:LINE and what was expected. The value of an option
// named "secret" is never quoted in an error message.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::config {

// The section whose entries every other section inherits (case-sensitive:
// "[default]" is an ordinary section, as in configparser).
inline constexpr std::string_view kDefaultSection = "DEFAULT";

// configparser gives up after this many nested %(name)s expansions.
inline constexpr int kMaxInterpolationDepth = 10;

// Hard limits: a config file larger than this is refused, and so is an
// interpolated value that would grow larger (configparser would hang or run
// out of memory on such a "billion laughs" file; we fail with a message).
inline constexpr size_t kMaxFileBytes = size_t{64} << 20;
inline constexpr size_t kMaxInterpolatedBytes = size_t{16} << 20;

// Built-in values that behave exactly like entries of the file's [DEFAULT]
// section (the file's [DEFAULT] overrides them, sections override both).
// Keys are lowercased like option names.
using Defaults = std::vector<std::pair<std::string, std::string>>;

namespace internal {
struct IniData;  // parsed sections; defined in config.cpp
}  // namespace internal

class IniFile {
 public:
  // Parses text (the whole file). filename is used in messages only.
  static Result<IniFile> parse(std::string_view text, std::string filename,
                               const Defaults& defaults = {});
  // Reads and parses a file (at most kMaxFileBytes). A missing file (ENOENT)
  // is an empty file when missing_is_empty, as configparser's read() does;
  // any other failure to read is an error naming the path.
  static Result<IniFile> load(const std::string& path, const Defaults& defaults = {},
                              bool missing_is_empty = true);

  IniFile(IniFile&&) noexcept;
  IniFile& operator=(IniFile&&) noexcept;
  IniFile(const IniFile&) = delete;
  IniFile& operator=(const IniFile&) = delete;
  ~IniFile();  // wipes every stored value (clients.conf holds secrets)

  const std::string& filename() const;

  // Section names in file order, without DEFAULT.
  const std::vector<std::string>& sections() const;
  // False for DEFAULT, like configparser.
  bool has_section(std::string_view section) const;

  // The lookups below lowercase key and fall back to DEFAULT and the
  // built-in defaults. section may be "DEFAULT" to see those alone. An
  // unknown section behaves as if it had no options.
  bool has_option(std::string_view section, std::string_view key) const;
  // Section keys in file order, then inherited keys (configparser options()).
  std::vector<std::string> options(std::string_view section) const;
  // The value as written, without interpolation.
  std::optional<std::string> raw(std::string_view section, std::string_view key) const;
  // The value with %(name)s and %% expanded; nullopt if the option is unset.
  Result<std::optional<std::string>> get(std::string_view section, std::string_view key) const;
  // Every option of a section, interpolated, in configparser items() order
  // (inherited keys first, then the section's own). The reference server
  // calls items() on each client, so any bad option there is fatal.
  Result<std::vector<std::pair<std::string, std::string>>> items(
      std::string_view section) const;
  // get() then parse_bool(); fallback when the option is unset.
  Result<bool> get_bool(std::string_view section, std::string_view key, bool fallback) const;
  // "FILE:LINE" of the line that set the effective value, "built-in default",
  // or "" if the option is unset.
  std::string location(std::string_view section, std::string_view key) const;

 private:
  explicit IniFile(std::unique_ptr<internal::IniData> data);
  // Parses data->text, which the result keeps (values are views into it).
  static Result<IniFile> parse_owned(std::unique_ptr<internal::IniData> data,
                                     const Defaults& defaults);
  std::unique_ptr<internal::IniData> data_;
};

// configparser booleans: 1/yes/true/on and 0/no/false/off, any letter case;
// nothing else (not even surrounding spaces).
Result<bool> parse_bool(std::string_view text);

// configparser's optionxform: lowercases ASCII letters. (Python's str.lower()
// also lowercases non-ASCII letters; option names Mandos reads are ASCII.)
std::string lower_key(std::string_view key);

}  // namespace mandos::config
