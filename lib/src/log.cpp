#include "mandos/log.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>

#include "mandos/fd.hpp"

namespace mandos::log {
namespace {

struct State {
  std::mutex mutex;  // the server's D-Bus thread may log too
  Options options;
  UniqueFd syslog_fd;
};

State& state() {
  static State instance;
  return instance;
}

int syslog_severity(Level level) {
  switch (level) {
    case Level::Debug: return LOG_DEBUG;
    case Level::Info: return LOG_INFO;
    case Level::Warning: return LOG_WARNING;
    case Level::Error: return LOG_ERR;
    case Level::Critical: return LOG_CRIT;
  }
  return LOG_ERR;
}

UniqueFd connect_syslog(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fd;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return UniqueFd();
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return UniqueFd();
  }
  return fd;
}

// Sends one record; reconnects once if syslogd was restarted meanwhile.
void send_syslog(State& s, const std::string& record) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!s.syslog_fd) s.syslog_fd = connect_syslog(s.options.syslog_socket);
    if (!s.syslog_fd) return;
    if (::send(s.syslog_fd.get(), record.data(), record.size(), MSG_NOSIGNAL) >= 0) return;
    s.syslog_fd.reset();
  }
}

std::string stderr_timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                    now.time_since_epoch()).count() % 1000;
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char buffer[64];
  size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &local);
  char with_millis[80];
  std::snprintf(with_millis, sizeof with_millis, "%.*s,%03lld", static_cast<int>(length),
                buffer, static_cast<long long>(millis));
  return with_millis;
}

void write_stderr(const Options& options, Level level, std::string_view message) {
  std::string line;
  switch (options.stderr_style) {
    case StderrStyle::None:
      return;
    case StderrStyle::Timestamped:
      line = cat(stderr_timestamp(), ' ', options.stderr_name, " [", ::getpid(), "]: ",
                 level_name(level), ": ", message, '\n');
      break;
    case StderrStyle::Prefixed:
      line = cat(options.stderr_name, ": ", message, '\n');
      break;
  }
  // One write per line keeps lines from concurrent processes whole.
  (void)write_all(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

Result<Level> parse_level(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "DEBUG") return Level::Debug;
  if (upper == "INFO") return Level::Info;
  if (upper == "WARNING" || upper == "WARN") return Level::Warning;
  if (upper == "ERROR") return Level::Error;
  if (upper == "CRITICAL" || upper == "FATAL") return Level::Critical;
  return fail("invalid log level \"" + std::string(name) +
              "\": expected DEBUG, INFO, WARNING, ERROR or CRITICAL");
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug: return "DEBUG";
    case Level::Info: return "INFO";
    case Level::Warning: return "WARNING";
    case Level::Error: return "ERROR";
    case Level::Critical: return "CRITICAL";
  }
  return "ERROR";
}

std::string format_syslog_record(const Options& options, Level level, int pid,
                                 std::string_view message) {
  int priority = options.facility | syslog_severity(level);
  return cat('<', priority, '>', options.syslog_tag, " [", pid, "]: ", level_name(level), ": ",
             message);
}

void configure(Options options) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.options = std::move(options);
  s.syslog_fd.reset();
}

void set_syslog_tag(std::string tag) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.options.syslog_tag = std::move(tag);
}

bool enabled(Level level) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return static_cast<int>(level) >= static_cast<int>(s.options.threshold);
}

void write(Level level, std::string_view message) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (static_cast<int>(level) < static_cast<int>(s.options.threshold)) return;
  if (s.options.to_syslog) {
    send_syslog(s, format_syslog_record(s.options, level, ::getpid(), message));
  }
  write_stderr(s.options, level, message);
}

}  // namespace mandos::log
