// Reading the state file (docs/state-format.md) with simdjson's On-Demand
// parser. A state of 10,000 clients is over 20 MB; a DOM of it (a small
// allocation per value) made restoring it the slowest part of a start.
// On-Demand reads each value straight into the structs below.
#include <fcntl.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <nlohmann/json.hpp>
#include <utility>
#include <variant>

#include "daemon/base64.hpp"
#include "daemon/state.hpp"
#include "mandos/fd.hpp"

namespace mandos::server {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using std::chrono::microseconds;

// Where a field of type T is stored.
template <class T>
using Member = std::variant<std::string T::*, std::string_view T::*, bool T::*, microseconds T::*, int T::*,
                            WallTime T::*, std::optional<WallTime> T::*>;

template <class T>
struct Field {
  std::string_view key;
  Member<T> member;
};

// Every field of a saved client; all are required.
constexpr Field<ClientData> kClientFields[] = {
    {"name", &ClientData::name},
    {"key_id", &ClientData::key_id},
    {"fingerprint", &ClientData::fingerprint},
    {"host", &ClientData::host},
    {"checker", &ClientData::checker},
    {"timeout_us", &ClientData::timeout},
    {"extended_timeout_us", &ClientData::extended_timeout},
    {"interval_us", &ClientData::interval},
    {"approval_delay_us", &ClientData::approval_delay},
    {"approval_duration_us", &ClientData::approval_duration},
    {"approved_by_default", &ClientData::approved_by_default},
    {"enabled", &ClientData::enabled},
    {"created", &ClientData::created},
    {"last_enabled", &ClientData::last_enabled},
    {"expires", &ClientData::expires},
    {"last_checked_ok", &ClientData::last_checked_ok},
    {"last_approval_request", &ClientData::last_approval_request},
    {"last_checker_status", &ClientData::last_checker_status},
    {"last_checker_signal", &ClientData::last_checker_signal},
};

// The clients.conf settings of the start that wrote the file.
constexpr Field<ClientConfig> kSettingsFields[] = {
    {"timeout_us", &ClientConfig::timeout},
    {"extended_timeout_us", &ClientConfig::extended_timeout},
    {"interval_us", &ClientConfig::interval},
    {"approval_delay_us", &ClientConfig::approval_delay},
    {"approval_duration_us", &ClientConfig::approval_duration},
    {"checker", &ClientConfig::checker},
    {"host", &ClientConfig::host},
    {"approved_by_default", &ClientConfig::approved_by_default},
    {"enabled", &ClientConfig::enabled},
    {"key_id", &ClientConfig::key_id},
    {"fingerprint", &ClientConfig::fingerprint},
};

// Views into the text being parsed (decoded before it goes away).
struct SecretFields {
  std::string_view algorithm;
  std::string_view nonce;
  std::string_view ciphertext;
};

constexpr Field<SecretFields> kSecretFields[] = {
    {"algorithm", &SecretFields::algorithm},
    {"nonce", &SecretFields::nonce},
    {"ciphertext", &SecretFields::ciphertext},
};

struct Header {
  std::string format;
  std::int64_t version = 0;
  bool has_version = false;
};

class StateParser {
 public:
  StateParser(simdjson::padded_string_view text, const std::string& path)
      : text_(text), path_(path) {}

  Result<SavedState> run() {
    od::document doc;
    if (auto code = parser_.iterate(text_).get(doc)) return syntax(code);
    if (auto status = check_header(doc); !status) return status.error();
    doc.rewind();
    SavedState state;
    if (auto status = read_body(doc, state); !status) return status.error();
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS) {
      return syntax(simdjson::TRAILING_CONTENT);
    }
    return state;
  }

 private:
  // simdjson's errors carry no position: nlohmann-json parses the text again
  // to say where it is broken (only on this path, so its cost does not matter).
  Error syntax(error_code code) const {
    try {
      [[maybe_unused]] auto parsed = nlohmann::json::parse(std::string_view(text_));
    } catch (const nlohmann::json::exception& e) {
      return fail(path_ + ": not valid JSON (truncated or corrupted?): " + e.what());
    }
    return fail(path_ + ": not valid JSON: " + simdjson::error_message(code));
  }

  Error expected(const std::string& where, std::string_view what) const {
    return fail(where + ": expected " + std::string(what));
  }

  // A key without escapes (all this server writes) is viewed in place;
  // simdjson unescapes others into its buffer, which lasts as long as the parse.
  Status key_of(od::field& field, std::string_view& key) {
    const char* begin = field.key().raw();
    const char* end = text_.data() + text_.size();
    const void* close = begin < end ? std::memchr(begin, '"', static_cast<size_t>(end - begin))
                                    : nullptr;
    if (close == nullptr) return syntax(simdjson::UNCLOSED_STRING);
    key = std::string_view(begin, static_cast<size_t>(static_cast<const char*>(close) - begin));
    if (key.find('\\') == std::string_view::npos) return {};
    if (auto code = field.unescaped_key().get(key)) return syntax(code);
    return {};
  }

  // The value's type, or the syntax error that stops us finding it.
  Result<od::json_type> type_of(od::value& value) const {
    od::json_type type{};
    if (auto code = value.type().get(type)) return syntax(code);
    return type;
  }

  Status check_header(od::document& doc) {
    od::object top;
    if (auto code = doc.get_object().get(top)) {
      if (code != simdjson::INCORRECT_TYPE) return syntax(code);
      return fail(path_ + ": not a state file (expected a JSON object)");
    }
    Header header;
    for (auto entry : top) {
      od::field field;
      std::string_view key;
      if (auto code = std::move(entry).get(field)) return syntax(code);
      if (auto status = key_of(field, key); !status) return status.error();
      od::value& value = field.value();
      auto type = type_of(value);
      if (!type) return type.error();
      if (key == "format" && *type == od::json_type::string) {
        std::string_view format;
        if (auto code = value.get_string().get(format)) return syntax(code);
        header.format = format;
      } else if (key == "version" && *type == od::json_type::number) {
        header.has_version = value.get_int64().get(header.version) == simdjson::SUCCESS;
      }
    }
    if (header.format != kStateFormatName) {
      return fail(path_ + ": not a state file (\"format\" is not \"" +
                  std::string(kStateFormatName) + "\")");
    }
    if (!header.has_version || header.version != kStateFormatVersion) {
      return fail(path_ + ": unsupported state file version (this server reads version " +
                  std::to_string(kStateFormatVersion) + ")");
    }
    return {};
  }

  Status read_body(od::document& doc, SavedState& state) {
    od::object top;
    if (auto code = doc.get_object().get(top)) return syntax(code);
    bool has_settings = false;
    bool has_clients = false;
    for (auto entry : top) {
      od::field field;
      std::string_view key;
      if (auto code = std::move(entry).get(field)) return syntax(code);
      if (auto status = key_of(field, key); !status) return status.error();
      if (key == "settings") {
        has_settings = true;
        if (auto status = read_settings(field.value(), state); !status) return status;
      } else if (key == "clients") {
        has_clients = true;
        if (auto status = read_clients(field.value(), state); !status) return status;
      } else if (auto type = type_of(field.value()); !type) {
        return type.error();  // skipped, but it must at least be JSON
      }
    }
    if (!has_settings) return fail(path_ + ": settings: expected an object");
    if (!has_clients) return fail(path_ + ": clients: expected an array");
    return {};
  }

  Status read_settings(od::value& value, SavedState& state) {
    od::object object;
    if (auto status = get_object(value, path_ + ": settings", object); !status) return status;
    for (auto entry : object) {
      od::field field;
      std::string_view key;
      if (auto code = std::move(entry).get(field)) return syntax(code);
      if (auto status = key_of(field, key); !status) return status.error();
      ClientConfig config;
      config.name = key;
      const std::string where = path_ + ": settings[\"" + config.name + "\"]";
      if (auto status = read_object(field.value(), where, kSettingsFields, config); !status) {
        return status;
      }
      state.settings.emplace(config.name, std::move(config));
    }
    return {};
  }

  Status read_clients(od::value& value, SavedState& state) {
    auto type = type_of(value);
    if (!type) return type.error();
    od::array array;
    if (*type != od::json_type::array || value.get_array().get(array) != simdjson::SUCCESS) {
      return fail(path_ + ": clients: expected an array");
    }
    size_t index = 0;
    for (auto element : array) {
      od::value item;
      if (auto code = std::move(element).get(item)) return syntax(code);
      const std::string where = path_ + ": clients[" + std::to_string(index++) + "]";
      SavedClient client;
      auto other = [&](std::string_view key, od::value& field) -> Status {
        if (key != "secret") return {};
        return read_secret(field, where + ".secret", client.secret);
      };
      if (auto status = read_object(item, where, kClientFields, client.data, other); !status) {
        return status;
      }
      state.clients.push_back(std::move(client));
    }
    return {};
  }

  Status read_secret(od::value& value, const std::string& where, EncryptedSecret& out) {
    auto type = type_of(value);
    if (!type) return type.error();
    if (*type == od::json_type::null) return {};
    SecretFields fields;
    if (auto status = read_object(value, where, kSecretFields, fields); !status) return status;
    if (fields.algorithm != "AES-256-GCM") {
      return fail(where + ".algorithm: unsupported \"" + std::string(fields.algorithm) + "\"");
    }
    auto nonce = base64_decode_strict(fields.nonce);
    auto ciphertext = base64_decode_strict(fields.ciphertext);
    if (!nonce || !ciphertext) return fail(where + ": invalid base64");
    out = EncryptedSecret{std::move(nonce).value(), std::move(ciphertext).value()};
    return {};
  }

  Status get_object(od::value& value, const std::string& where, od::object& object) {
    auto type = type_of(value);
    if (!type) return type.error();
    if (*type != od::json_type::object) return expected(where, "an object");
    if (auto code = value.get_object().get(object)) return syntax(code);
    return {};
  }

  // Reads every field of `fields` (all required) into `out`; other keys go
  // to `other`, and are otherwise skipped.
  template <class T, size_t N, class Other>
  Status read_object(od::value& value, const std::string& where, const Field<T> (&fields)[N],
                     T& out, Other&& other) {
    static_assert(N <= 32);
    od::object object;
    if (auto status = get_object(value, where, object); !status) return status;
    std::uint32_t seen = 0;
    for (auto entry : object) {
      od::field field;
      std::string_view key;
      if (auto code = std::move(entry).get(field)) return syntax(code);
      if (auto status = key_of(field, key); !status) return status.error();
      size_t i = 0;
      while (i < N && fields[i].key != key) ++i;
      Status status = i < N ? read_member(field.value(), where + "." + std::string(key),
                                          fields[i].member, out)
                            : other(key, field.value());
      if (!status) return status;
      if (i < N) seen |= std::uint32_t{1} << i;
    }
    for (size_t i = 0; i < N; ++i) {
      if ((seen & (std::uint32_t{1} << i)) == 0) {
        return fail(where + "." + std::string(fields[i].key) + ": missing");
      }
    }
    return {};
  }

  template <class T, size_t N>
  Status read_object(od::value& value, const std::string& where, const Field<T> (&fields)[N],
                     T& out) {
    return read_object(value, where, fields, out,
                       [](std::string_view, od::value&) { return Status(); });
  }

  template <class T>
  Status read_member(od::value& value, const std::string& where, const Member<T>& member,
                     T& out) {
    return std::visit([&](auto pointer) { return read_value(value, where, out.*pointer); },
                      member);
  }

  // A string without escapes (all this server writes) is viewed where it
  // is; simdjson unescapes others into its own buffer. Either view lasts as
  // long as the parse.
  Status read_value(od::value& value, const std::string& where, std::string_view& out) {
    auto type = type_of(value);
    if (!type) return type.error();
    if (*type != od::json_type::string) return expected(where, "a string");
    const std::string_view token = value.raw_json_token();
    const size_t close = token.find('"', 1);
    if (close == std::string_view::npos) return syntax(simdjson::UNCLOSED_STRING);
    out = token.substr(1, close - 1);
    if (out.find('\\') == std::string_view::npos) return {};
    if (auto code = value.get_string().get(out)) return syntax(code);
    return {};
  }

  Status read_value(od::value& value, const std::string& where, std::string& out) {
    std::string_view text;
    if (auto status = read_value(value, where, text); !status) return status;
    out = text;
    return {};
  }

  Status read_value(od::value& value, const std::string& where, bool& out) {
    auto type = type_of(value);
    if (!type) return type.error();
    if (*type != od::json_type::boolean) return expected(where, "true or false");
    if (auto code = value.get_bool().get(out)) {
      if (code == simdjson::INCORRECT_TYPE) return expected(where, "true or false");
      return syntax(code);
    }
    return {};
  }

  Status read_value(od::value& value, const std::string& where, std::int64_t& out) {
    auto type = type_of(value);
    if (!type) return type.error();
    if (*type != od::json_type::number) return expected(where, "an integer");
    std::uint64_t large = 0;
    switch (value.get_int64().get(out)) {
      case simdjson::SUCCESS: return {};
      case simdjson::NUMBER_OUT_OF_RANGE: return fail(where + ": out of range");
      case simdjson::INCORRECT_TYPE:
        if (value.get_uint64().get(large) == simdjson::SUCCESS) {
          return fail(where + ": out of range");  // above INT64_MAX
        }
        return expected(where, "an integer");
      case simdjson::NUMBER_ERROR: return expected(where, "an integer");
      default: return syntax(simdjson::NUMBER_ERROR);
    }
  }

  Status read_value(od::value& value, const std::string& where, microseconds& out) {
    std::int64_t count = 0;
    if (auto status = read_value(value, where, count); !status) return status;
    out = microseconds(count);
    return {};
  }

  Status read_value(od::value& value, const std::string& where, int& out) {
    std::int64_t number = 0;
    if (auto status = read_value(value, where, number); !status) return status;
    if (number < -1000000 || number > 1000000) return fail(where + ": out of range");
    out = static_cast<int>(number);
    return {};
  }

  Status read_value(od::value& value, const std::string& where, WallTime& out) {
    std::string_view text;
    if (auto status = read_value(value, where, text); !status) return status;
    auto parsed = parse_timestamp(text);
    if (!parsed) return fail(where + ": " + parsed.error().message);
    out = *parsed;
    return {};
  }

  Status read_value(od::value& value, const std::string& where, std::optional<WallTime>& out) {
    auto type = type_of(value);
    if (!type) return type.error();
    if (*type == od::json_type::null) {
      out.reset();
      return {};
    }
    WallTime time{};
    if (auto status = read_value(value, where, time); !status) return status;
    out = time;
    return {};
  }

  simdjson::padded_string_view text_;
  const std::string& path_;
  od::parser parser_;
};

// The whole file in one allocation of its size plus simdjson's padding (a
// large state is tens of MB; growing a string by chunks copies it over and
// over, and a padded copy would be another such buffer).
Result<std::string> read_state_text(int fd, const std::string& path, size_t size) {
  std::string text;
  text.reserve(size + simdjson::SIMDJSON_PADDING);
  text.resize(size);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t got = ::read(fd, text.data() + done, text.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fail(path + ": read: " + std::strerror(errno), errno);
    if (got == 0) break;  // shrank meanwhile: parse what is there
    done += static_cast<size_t>(got);
  }
  text.resize(done);
  // Grew meanwhile: the rest, within the limit.
  auto rest = read_all(fd, kMaxStateFileBytes - done);
  if (!rest) return fail(path + ": " + rest.error().message, rest.error().code);
  text += *rest;
  return text;
}

// The file mapped read-only (its page-cache pages: nothing copied, no fresh
// memory, which is most of what a large start costs), followed by zeroed
// memory for simdjson's padding. The server replaces the file only by
// rename, so the mapped file never shrinks under the parse; only someone
// truncating it in place during those milliseconds could (SIGBUS).
class MappedText {
 public:
  // nullopt if the file cannot be mapped (the caller reads it instead).
  static std::optional<MappedText> map(int fd, size_t size) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t file_length = (size + page - 1) / page * page;
    const size_t length = (size + simdjson::SIMDJSON_PADDING + page - 1) / page * page;
    void* base = ::mmap(nullptr, length, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return std::nullopt;
    MappedText mapped(base, length, size);
    // Over the start of the zeroed range. Beyond the end of the file, its
    // last page reads as zeros too.
    if (::mmap(base, file_length, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0) ==
        MAP_FAILED) {
      return std::nullopt;
    }
    return mapped;
  }
  MappedText(MappedText&& other) noexcept
      : base_(std::exchange(other.base_, nullptr)), length_(other.length_), size_(other.size_) {}
  MappedText(const MappedText&) = delete;
  MappedText& operator=(const MappedText&) = delete;
  MappedText& operator=(MappedText&&) = delete;
  ~MappedText() {
    if (base_ != nullptr) ::munmap(base_, length_);
  }
  simdjson::padded_string_view view() const {
    return simdjson::padded_string_view(static_cast<const char*>(base_), size_, length_);
  }

 private:
  MappedText(void* base, size_t length, size_t size) : base_(base), length_(length), size_(size) {}
  void* base_;
  size_t length_;
  size_t size_;
};

Result<SavedState> parse_padded(std::string& text, const std::string& path) {
  if (text.capacity() - text.size() < simdjson::SIMDJSON_PADDING) {
    text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  }
  return StateParser(simdjson::padded_string_view(text.data(), text.size(), text.capacity()),
                     path)
      .run();
}

}  // namespace

Result<SavedState> parse_state(std::string_view text, const std::string& path) {
  std::string copy(text);
  return parse_padded(copy, path);
}

Result<LoadedState> load_state_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd && errno == ENOENT) return LoadedState{StateLoad::Missing, {}};
  if (!fd) return fail(path + ": " + std::strerror(errno), errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(path + ": " + std::strerror(errno), errno);
  if (!S_ISREG(st.st_mode)) return fail(path + ": not a regular file", EINVAL);
  const auto size = static_cast<size_t>(st.st_size);
  if (size > kMaxStateFileBytes) {
    return fail(path + ": larger than " + std::to_string(kMaxStateFileBytes) + " bytes", EFBIG);
  }
  if (size == 0) return LoadedState{StateLoad::Empty, {}};
  Result<SavedState> state = fail("not parsed");
  if (auto mapped = MappedText::map(fd.get(), size)) {
    state = StateParser(mapped->view(), path).run();
  } else {
    auto text = read_state_text(fd.get(), path, size);
    if (!text) return text.error();
    if (text->empty()) return LoadedState{StateLoad::Empty, {}};
    state = parse_padded(*text, path);
  }
  if (!state) return state.error();
  return LoadedState{StateLoad::Loaded, std::move(state).value()};
}

}  // namespace mandos::server
