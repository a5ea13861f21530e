#include "daemon/client_config.hpp"

#include <pwd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/ipc.hpp"
#include "daemon/base64.hpp"
#include "mandos/duration.hpp"
#include "mandos/fd.hpp"
#include "mandos/keyid.hpp"

namespace mandos::server {
namespace {

using config::IniFile;

// One section's options, interpolated once (configparser's items(): the
// reference server calls it on every client, so any bad option there is
// fatal). Values are wiped when done: the secret is among them.
class SectionOptions {
 public:
  static Result<SectionOptions> read(const IniFile& ini, const std::string& section) {
    auto items = ini.items(section);
    if (!items) return items.error();
    return SectionOptions(ini, section, std::move(items).value());
  }
  SectionOptions(SectionOptions&&) = default;
  SectionOptions(const SectionOptions&) = delete;
  SectionOptions& operator=(const SectionOptions&) = delete;
  SectionOptions& operator=(SectionOptions&&) = delete;
  ~SectionOptions() {
    for (auto& item : items_) secure_wipe(item.second.data(), item.second.capacity());
  }

  bool has(std::string_view key) const { return find(key) != nullptr; }
  // The value, or "" when unset.
  const std::string& get(std::string_view key) const {
    static const std::string kUnset;
    const std::string* value = find(key);
    return value != nullptr ? *value : kUnset;
  }
  // "FILE:LINE: in section [S], option 'K': " as lib config writes it.
  std::string where(std::string_view key) const {
    return ini_.location(section_, key) + ": in section [" + section_ + "], option '" +
           std::string(key) + "': ";
  }

 private:
  SectionOptions(const IniFile& ini, const std::string& section,
                 std::vector<std::pair<std::string, std::string>> items)
      : ini_(ini), section_(section), items_(std::move(items)) {}

  // A handful of options per section: a scan beats hashing.
  const std::string* find(std::string_view key) const {
    for (const auto& [name, value] : items_) {
      if (name == key) return &value;
    }
    return nullptr;
  }

  const IniFile& ini_;
  const std::string& section_;
  std::vector<std::pair<std::string, std::string>> items_;
};

Status parse_duration_option(const SectionOptions& options, std::string_view key,
                             std::chrono::microseconds& out) {
  auto parsed = parse_duration(options.get(key));
  if (!parsed) return fail(options.where(key) + parsed.error().message);
  out = *parsed;
  return {};
}

Status parse_bool_option(const SectionOptions& options, std::string_view key, bool& out) {
  if (!options.has(key)) return {};  // keeps the default
  auto parsed = config::parse_bool(options.get(key));
  if (!parsed) return fail(options.where(key) + parsed.error().message);
  out = *parsed;
  return {};
}

Status parse_secret(const SectionOptions& options, const IniFile& ini,
                    const std::string& section, ClientConfig& client) {
  if (options.has("secret")) {
    auto decoded = decode_python_base64(options.get("secret"));
    if (!decoded) return fail(options.where("secret") + decoded.error().message);
    if (decoded->size() > ipc::kMaxSecretSize) {
      return fail(options.where("secret") + "secret is " + std::to_string(decoded->size()) +
                  " bytes; at most " + std::to_string(ipc::kMaxSecretSize) + " are supported");
    }
    client.secret = std::move(decoded).value();
    return {};
  }
  if (options.has("secfile")) {
    client.secfile = options.get("secfile");  // expanded when read
    client.secfile_origin = ini.location(section, "secfile");
    return {};
  }
  return fail(ini.filename() + ": in section [" + section +
              "]: No secret or secfile for section " + section);
}

Result<ClientConfig> parse_client(const IniFile& ini, const std::string& section) {
  auto options = SectionOptions::read(ini, section);
  if (!options) return options.error();
  ClientConfig client;
  client.name = section;
  client.host = options->get("host");
  for (auto [key, out] : {std::pair{"approved_by_default", &client.approved_by_default},
                          std::pair{"enabled", &client.enabled}}) {
    *out = true;
    if (auto status = parse_bool_option(*options, key, *out); !status) return status.error();
  }
  client.key_id = normalize_key_id(options->get("key_id"));
  client.fingerprint = normalize_key_id(options->get("fingerprint"));
  if (auto status = parse_secret(*options, ini, section, client); !status) return status.error();
  const std::pair<const char*, std::chrono::microseconds*> durations[] = {
      {"timeout", &client.timeout},
      {"extended_timeout", &client.extended_timeout},
      {"interval", &client.interval},
      {"approval_delay", &client.approval_delay},
      {"approval_duration", &client.approval_duration}};
  for (auto [key, out] : durations) {
    if (auto status = parse_duration_option(*options, key, *out); !status) {
      return status.error();
    }
  }
  client.checker = options->get("checker");
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
  auto ini = IniFile::load(path, client_defaults(), /*missing_is_empty=*/true);
  if (!ini) return ini.error();
  return parse_client_configs(*ini);
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

}  // namespace mandos::server
