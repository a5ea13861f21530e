#include "question.hpp"

#include <glib.h>
#include <sys/un.h>
#include <time.h>

#include <memory>

namespace mandos::agent {
namespace {

struct KeyFileDeleter {
  void operator()(GKeyFile* file) const { g_key_file_free(file); }
};
struct ErrorDeleter {
  void operator()(GError* error) const { g_error_free(error); }
};
struct StringDeleter {
  void operator()(gchar* text) const { g_free(text); }
};
using KeyFile = std::unique_ptr<GKeyFile, KeyFileDeleter>;
using ErrorPtr = std::unique_ptr<GError, ErrorDeleter>;
using OwnedString = std::unique_ptr<gchar, StringDeleter>;

constexpr const char* kGroup = "Ask";

std::string quoted(const std::string& path) { return "\"" + path + "\""; }

}  // namespace

bool is_question_name(std::string_view name) {
  return name.size() > 4 && name.substr(0, 4) == "ask.";
}

Result<Question> parse_question(const std::string& path, std::string_view content) {
  if (content.size() > kMaxQuestionFileBytes) {
    return fail("Question file " + quoted(path) + " is larger than " +
                std::to_string(kMaxQuestionFileBytes) + " bytes");
  }
  KeyFile keys(g_key_file_new());
  GError* raw = nullptr;
  if (!g_key_file_load_from_data(keys.get(), content.data(), content.size(), G_KEY_FILE_NONE,
                                 &raw)) {
    ErrorPtr error(raw);
    return fail("Failed to load question data from file " + quoted(path) + ": " + error->message);
  }
  Question question;
  question.file = path;

  // Socket: required, non-empty, and must fit a sockaddr_un.
  OwnedString socket(g_key_file_get_string(keys.get(), kGroup, "Socket", &raw));
  if (!socket) {
    ErrorPtr error(raw);
    return fail("Question file " + quoted(path) + " did not contain \"Socket\": " +
                error->message);
  }
  question.socket_path = socket.get();
  if (question.socket_path.empty()) {
    return fail("Question file " + quoted(path) + " contained empty \"Socket\"");
  }
  if (question.socket_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return fail("Question file " + quoted(path) + " contained too long \"Socket\": " +
                question.socket_path);
  }

  // PID: required; whether it is alive is checked by the caller.
  const gint pid = g_key_file_get_integer(keys.get(), kGroup, "PID", &raw);
  if (raw != nullptr) {
    ErrorPtr error(raw);
    return fail("Question file " + quoted(path) + " contained bad \"PID\": " + error->message);
  }
  question.pid = static_cast<pid_t>(pid);

  // NotAfter: optional.
  if (g_key_file_has_key(keys.get(), kGroup, "NotAfter", nullptr)) {
    const guint64 not_after = g_key_file_get_uint64(keys.get(), kGroup, "NotAfter", &raw);
    if (raw != nullptr) {
      ErrorPtr error(raw);
      return fail("Question file " + quoted(path) + " contained bad \"NotAfter\": " +
                  error->message);
    }
    question.not_after = not_after;
  }
  return question;
}

uint64_t monotonic_now_us() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace mandos::agent
