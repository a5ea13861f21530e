#include "daemon/client_config.hpp"

#include <malloc.h>
#include <pwd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/ipc.hpp"
#include "mandos/duration.hpp"
#include "mandos/fd.hpp"
#include "mandos/keyid.hpp"

namespace mandos::server {
namespace {

using config::IniFile;

// "FILE:LINE: in section [S], option 'K': " as lib config writes it.
std::string where(const IniFile& ini, const std::string& section, std::string_view key) {
  return ini.location(section, key) + ": in section [" + section + "], option '" +
         std::string(key) + "': ";
}

Result<std::string> get_string(const IniFile& ini, const std::string& section,
                               std::string_view key) {
  auto value = ini.get(section, key);
  if (!value) return value.error();
  if (!value->has_value()) return std::string();
  return std::move(**value);
}

Status parse_duration_option(const IniFile& ini, const std::string& section,
                             std::string_view key, std::chrono::microseconds& out) {
  auto text = get_string(ini, section, key);
  if (!text) return text.error();
  auto parsed = parse_duration(*text);
  if (!parsed) return fail(where(ini, section, key) + parsed.error().message);
  out = *parsed;
  return {};
}

Status parse_secret(const IniFile& ini, const std::string& section, ClientConfig& client) {
  if (ini.has_option(section, "secret")) {
    auto text = get_string(ini, section, "secret");
    if (!text) return text.error();
    auto decoded = decode_python_base64(*text);
    secure_wipe(text->data(), text->size());
    if (!decoded) return fail(where(ini, section, "secret") + decoded.error().message);
    if (decoded->size() > ipc::kMaxSecretSize) {
      return fail(where(ini, section, "secret") + "secret is " +
                  std::to_string(decoded->size()) + " bytes; at most " +
                  std::to_string(ipc::kMaxSecretSize) + " are supported");
    }
    client.secret = std::move(decoded).value();
    return {};
  }
  if (ini.has_option(section, "secfile")) {
    auto path = get_string(ini, section, "secfile");
    if (!path) return path.error();
    client.secfile = std::move(path).value();  // expanded when read
    client.secfile_origin = ini.location(section, "secfile");
    return {};
  }
  return fail(ini.filename() + ": in section [" + section +
              "]: No secret or secfile for section " + section);
}

Result<ClientConfig> parse_client(const IniFile& ini, const std::string& section) {
  // Like the reference's items(): every option must interpolate, even unused ones.
  auto items = ini.items(section);
  if (!items) return items.error();
  for (auto& item : *items) secure_wipe(item.second.data(), item.second.size());

  ClientConfig client;
  client.name = section;
  auto host = get_string(ini, section, "host");
  if (!host) return host.error();
  client.host = std::move(host).value();
  for (auto [key, out] : {std::pair{"approved_by_default", &client.approved_by_default},
                          std::pair{"enabled", &client.enabled}}) {
    auto value = ini.get_bool(section, key, true);
    if (!value) return value.error();
    *out = *value;
  }
  for (auto [key, out] : {std::pair{"key_id", &client.key_id},
                          std::pair{"fingerprint", &client.fingerprint}}) {
    auto value = get_string(ini, section, key);
    if (!value) return value.error();
    *out = normalize_key_id(*value);
  }
  if (auto status = parse_secret(ini, section, client); !status) return status.error();
  const std::pair<const char*, std::chrono::microseconds*> durations[] = {
      {"timeout", &client.timeout},
      {"extended_timeout", &client.extended_timeout},
      {"interval", &client.interval},
      {"approval_delay", &client.approval_delay},
      {"approval_duration", &client.approval_duration}};
  for (auto [key, out] : durations) {
    if (auto status = parse_duration_option(ini, section, key, *out); !status) {
      return status.error();
    }
  }
  auto checker = get_string(ini, section, "checker");
  if (!checker) return checker.error();
  client.checker = std::move(checker).value();
  return client;
}

std::string home_of_current_user() {
  if (const char* home = std::getenv("HOME")) return home;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return {};
  }
  return found->pw_dir;
}

std::string expand_user(const std::string& path) {
  if (path.empty() || path[0] != '~') return path;
  size_t slash = path.find('/', 1);
  if (slash == std::string::npos) slash = path.size();
  std::string home;
  if (slash == 1) {
    home = home_of_current_user();
    if (home.empty() && std::getenv("HOME") == nullptr) return path;
  } else {
    std::string user = path.substr(1, slash - 1);
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
        found == nullptr) {
      return path;
    }
    home = found->pw_dir;
  }
  while (!home.empty() && home.back() == '/') home.pop_back();
  std::string result = home + path.substr(slash);
  return result.empty() ? "/" : result;
}

bool is_word_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

std::string expand_vars(std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] != '$' || i + 1 >= path.size()) {
      out += path[i++];
      continue;
    }
    size_t name_begin = i + 1;
    size_t end = name_begin;
    std::string name;
    if (path[name_begin] == '{') {
      size_t close = path.find('}', name_begin + 1);
      if (close == std::string_view::npos) {
        out += path[i++];
        continue;
      }
      name = std::string(path.substr(name_begin + 1, close - name_begin - 1));
      end = close + 1;
    } else {
      while (end < path.size() && is_word_char(path[end])) ++end;
      if (end == name_begin) {
        out += path[i++];
        continue;
      }
      name = std::string(path.substr(name_begin, end - name_begin));
    }
    const char* value = std::getenv(name.c_str());
    if (value != nullptr) {
      out += value;
    } else {
      out += path.substr(i, end - i);
    }
    i = end;
  }
  return out;
}

}  // namespace

bool ClientConfig::same_settings(const ClientConfig& other) const {
  return name == other.name && timeout == other.timeout &&
         extended_timeout == other.extended_timeout && interval == other.interval &&
         approval_delay == other.approval_delay && approval_duration == other.approval_duration &&
         checker == other.checker && host == other.host &&
         approved_by_default == other.approved_by_default && enabled == other.enabled &&
         key_id == other.key_id && fingerprint == other.fingerprint;
}

const config::Defaults& client_defaults() {
  static const config::Defaults defaults = {
      {"timeout", "PT5M"},
      {"extended_timeout", "PT15M"},
      {"interval", "PT2M"},
      {"checker", "fping -q -- %%(host)s"},
      {"host", ""},
      {"approval_delay", "PT0S"},
      {"approval_duration", "PT1S"},
      {"approved_by_default", "True"},
      {"enabled", "True"},
      {"key_id", ""},
  };
  return defaults;
}

Result<std::vector<ClientConfig>> parse_client_configs(const IniFile& ini) {
  std::vector<ClientConfig> clients;
  for (const std::string& section : ini.sections()) {
    auto client = parse_client(ini, section);
    if (!client) return client.error();
    clients.push_back(std::move(client).value());
  }
  return clients;
}

Result<std::vector<ClientConfig>> load_client_configs(const std::string& path) {
  auto clients = [&]() -> Result<std::vector<ClientConfig>> {
    auto ini = IniFile::load(path, client_defaults(), /*missing_is_empty=*/true);
    if (!ini) return ini.error();
    return parse_client_configs(*ini);
  }();
  // The parsed file of thousands of clients was many small allocations, now
  // freed: return those pages instead of keeping the peak for the server's
  // life (it also makes every later fork cheaper).
  ::malloc_trim(0);
  return clients;
}

Status read_secret_files(std::vector<ClientConfig>& clients) {
  for (ClientConfig& client : clients) {
    if (client.secfile.empty()) continue;
    std::string path = expand_secfile_path(client.secfile);
    auto content = read_file(path, ipc::kMaxSecretSize);
    if (!content) {
      return fail(client.secfile_origin + ": in section [" + client.name +
                  "], option 'secfile': cannot read secret file " + path + ": " +
                  content.error().message);
    }
    client.secret = SecretBytes(*content);
    secure_wipe(content->data(), content->size());
  }
  return {};
}

std::string expand_secfile_path(std::string_view path) {
  return expand_user(expand_vars(path));
}

Result<SecretBytes> decode_python_base64(std::string_view text) {
  // A port of CPython's binascii.a2b_base64 with strict_mode=False.
  // Value of each byte in the alphabet, -1 outside it (a table: clients.conf
  // may hold thousands of secrets).
  static constexpr auto kValue = [] {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::array<signed char, 256> table{};
    table.fill(-1);
    for (size_t i = 0; i < alphabet.size(); ++i) {
      table[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    }
    return table;
  }();
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
    const int value = kValue[static_cast<unsigned char>(ch)];
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
