#include "daemon/checker_command.hpp"

#include <cstdio>

#include "mandos/duration.hpp"

namespace mandos::server {
namespace {

bool is_shell_safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
}

std::string optional_time(const std::optional<WallTime>& time) {
  return time ? format_python_str(*time) : "None";
}

// Decodes one UTF-8 sequence at text[i]; invalid bytes come back as
// themselves (Python would have refused them earlier).
char32_t next_code_point(std::string_view text, size_t& i) {
  auto byte = static_cast<unsigned char>(text[i++]);
  int extra = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : byte >= 0xC0 ? 1 : 0;
  char32_t cp = extra == 0 ? byte : byte & (0x3F >> extra);
  for (int k = 0; k < extra && i < text.size(); ++k) {
    auto cont = static_cast<unsigned char>(text[i]);
    if ((cont & 0xC0) != 0x80) break;
    cp = (cp << 6) | (cont & 0x3F);
    ++i;
  }
  return cp;
}

std::string escape_code_point(char32_t cp) {
  char buffer[16];
  if (cp < 0x100) {
    std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(cp));
  } else if (cp < 0x10000) {
    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
  } else {
    std::snprintf(buffer, sizeof buffer, "\\U%08x", static_cast<unsigned>(cp));
  }
  return buffer;
}

struct Spec {
  std::string key;
  bool left_align = false;
  size_t width = 0;
  std::optional<size_t> precision;
  char conversion = 0;
};

// Parses "%(key)flags width .prec [hlL] conv" starting after the '%'.
Result<Spec> parse_spec(std::string_view format, size_t& i, size_t percent_index) {
  Spec spec;
  if (i >= format.size()) return fail("incomplete format");
  if (format[i] == '(') {
    int depth = 1;
    size_t start = ++i;
    while (i < format.size() && depth > 0) {
      if (format[i] == '(') ++depth;
      if (format[i] == ')') --depth;
      ++i;
    }
    if (depth > 0) return fail("incomplete format key");
    spec.key = std::string(format.substr(start, i - 1 - start));
  } else if (format[i] != '%') {
    return fail("format requires a mapping key (%(name)s) at index " +
                std::to_string(percent_index));
  }
  while (i < format.size() && std::string_view("-+ #0").find(format[i]) != std::string_view::npos) {
    if (format[i] == '-') spec.left_align = true;
    ++i;
  }
  if (i < format.size() && format[i] == '*') return fail("* wants int");
  while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
    spec.width = spec.width * 10 + static_cast<size_t>(format[i++] - '0');
    if (spec.width > 1'000'000) return fail("width too big");
  }
  if (i < format.size() && format[i] == '.') {
    ++i;
    if (i < format.size() && format[i] == '*') return fail("* wants int");
    size_t precision = 0;
    while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
      precision = precision * 10 + static_cast<size_t>(format[i++] - '0');
      if (precision > 1'000'000) return fail("precision too big");
    }
    spec.precision = precision;
  }
  while (i < format.size() && std::string_view("hlL").find(format[i]) != std::string_view::npos) ++i;
  if (i >= format.size()) return fail("incomplete format");
  spec.conversion = format[i++];
  return spec;
}

Result<std::string> convert(const Spec& spec, const std::string& value, size_t index) {
  switch (spec.conversion) {
    case 's': return value;
    case 'r': return python_repr(value);
    case 'a': return python_repr(value, true);
    case '%': return std::string("%");
    case 'c':
      if (value.size() == 1) return value;
      return fail("%c requires int or char");
    default: break;
  }
  if (std::string_view("diouxXeEfFgG").find(spec.conversion) != std::string_view::npos) {
    return fail(std::string("%") + spec.conversion + " format: a real number is required, not str");
  }
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "unsupported format character '%c' (0x%x) at index %zu",
                spec.conversion, static_cast<unsigned char>(spec.conversion), index);
  return fail(buffer);
}

}  // namespace

std::string client_object_path(const std::string& name) {
  std::string path = "/clients/" + name;
  for (size_t i = 9; i < path.size(); ++i) {
    if (path[i] == '.' || path[i] == '-') path[i] = '_';
  }
  return path;
}

std::string shell_quote(std::string_view text) {
  if (text.empty()) return "''";
  bool safe = true;
  for (char c : text) safe = safe && is_shell_safe(c);
  if (safe) return std::string(text);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\"'\"'";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string python_repr(std::string_view text, bool ascii_only) {
  char quote = '\'';
  if (text.find('\'') != std::string_view::npos && text.find('"') == std::string_view::npos) {
    quote = '"';
  }
  std::string out(1, quote);
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t start = i;
      char32_t cp = next_code_point(text, i);
      if (ascii_only || cp < 0xA0) {
        out += escape_code_point(cp);
      } else {
        out.append(text.substr(start, i - start));
      }
      continue;
    }
    ++i;
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      out += escape_code_point(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + quote;
}

std::map<std::string, std::string> checker_expansion_values(const ClientData& client,
                                                            bool with_object_path) {
  std::map<std::string, std::string> values = {
      {"approval_delay", format_python_timedelta(client.approval_delay)},
      {"approval_duration", format_python_timedelta(client.approval_duration)},
      {"created", format_python_str(client.created)},
      {"enabled", client.enabled ? "True" : "False"},
      {"expires", optional_time(client.expires)},
      {"key_id", client.key_id},
      {"fingerprint", client.fingerprint},
      {"host", client.host},
      {"interval", format_python_timedelta(client.interval)},
      {"last_approval_request", optional_time(client.last_approval_request)},
      {"last_checked_ok", optional_time(client.last_checked_ok)},
      {"last_enabled", optional_time(client.last_enabled)},
      {"name", client.name},
      {"timeout", format_python_timedelta(client.timeout)},
  };
  if (with_object_path) values["dbus_object_path"] = client_object_path(client.name);
  return values;
}

Result<std::string> python_percent_format(std::string_view format,
                                          const std::map<std::string, std::string>& mapping) {
  std::string out;
  for (size_t i = 0; i < format.size();) {
    char c = format[i];
    if (c != '%') {
      out += c;
      ++i;
      continue;
    }
    size_t percent_index = i++;
    if (i < format.size() && format[i] == '%') {
      out += '%';
      ++i;
      continue;
    }
    auto spec = parse_spec(format, i, percent_index);
    if (!spec) return spec.error();
    auto found = mapping.find(spec->key);
    if (found == mapping.end()) return fail("unknown key '" + spec->key + "'");
    auto text = convert(*spec, found->second, i - 1);
    if (!text) return text.error();
    if (spec->precision && text->size() > *spec->precision) text->resize(*spec->precision);
    if (text->size() < spec->width) {
      std::string pad(spec->width - text->size(), ' ');
      *text = spec->left_align ? *text + pad : pad + *text;
    }
    out += *text;
  }
  return out;
}

Result<std::string> expand_checker_command(const ClientData& client, bool with_object_path) {
  auto values = checker_expansion_values(client, with_object_path);
  for (auto& [key, value] : values) value = shell_quote(value);
  return python_percent_format(client.checker, values);
}

}  // namespace mandos::server
