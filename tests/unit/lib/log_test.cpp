#include "mandos/log.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <gtest/gtest.h>

#include "mandos/fd.hpp"
#include "mandos/test/support.hpp"

namespace mandos::log {
namespace {

// A datagram socket standing in for /dev/log.
class FakeSyslog {
 public:
  explicit FakeSyslog(const std::string& path) : path_(path) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_TRUE(set_nonblocking(fd_.get(), true).ok());
  }
  std::vector<std::string> received() {
    std::vector<std::string> records;
    char buffer[4096];
    ssize_t got;
    while ((got = ::recv(fd_.get(), buffer, sizeof buffer, 0)) > 0) {
      records.emplace_back(buffer, static_cast<size_t>(got));
    }
    return records;
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

TEST(Log, ParsesPythonLevelNamesInAnyCase) {
  EXPECT_EQ(parse_level("debug").value(), Level::Debug);
  EXPECT_EQ(parse_level("Info").value(), Level::Info);
  EXPECT_EQ(parse_level("WARNING").value(), Level::Warning);
  EXPECT_EQ(parse_level("warn").value(), Level::Warning);
  EXPECT_EQ(parse_level("error").value(), Level::Error);
  EXPECT_EQ(parse_level("CRITICAL").value(), Level::Critical);
}

TEST(Log, RejectsUnknownLevelNamingItAndTheChoices) {
  auto parsed = parse_level("loud");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("\"loud\""), std::string::npos);
  EXPECT_NE(parsed.error().message.find("WARNING"), std::string::npos);
}

TEST(Log, FormatsSyslogRecordsLikeTheReferenceServer) {
  Options options;
  options.syslog_tag = "Mandos";
  EXPECT_EQ(format_syslog_record(options, Level::Info, 42, "Sending secret to foo"),
            "<30>Mandos [42]: INFO: Sending secret to foo");
  options.syslog_tag = "Mandos (Mandos #2)";
  EXPECT_EQ(format_syslog_record(options, Level::Critical, 7, "x"),
            "<26>Mandos (Mandos #2) [7]: CRITICAL: x");
}

TEST(Log, SendsRecordsAtOrAboveTheThresholdToTheSyslogSocket) {
  test::TempDir dir;
  FakeSyslog syslog(dir.file("log"));
  Options options;
  options.to_syslog = true;
  options.syslog_socket = dir.file("log");
  options.threshold = Level::Warning;
  configure(options);
  info("not sent");
  warning("client ", "foo", " timed out");
  auto records = syslog.received();
  configure(Options{});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], "<28>Mandos [" + std::to_string(::getpid()) +
                            "]: WARNING: client foo timed out");
}

TEST(Log, RenamedTagAppliesToLaterRecords) {
  test::TempDir dir;
  FakeSyslog syslog(dir.file("log"));
  Options options;
  options.to_syslog = true;
  options.syslog_socket = dir.file("log");
  configure(options);
  set_syslog_tag("Mandos (Other)");
  error("boom");
  auto records = syslog.received();
  configure(Options{});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].find("Mandos (Other) ["), std::string::npos);
}

// Runs body with stderr redirected into a pipe and returns what it wrote.
template <class Body>
std::string capture_stderr(Body body) {
  auto pipe = make_pipe();
  EXPECT_TRUE(pipe.ok());
  int saved = ::dup(STDERR_FILENO);
  ::dup2(pipe->write.get(), STDERR_FILENO);
  body();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  pipe->write.reset();
  return read_all(pipe->read.get(), 1 << 20).value();
}

TEST(Log, StillWritesStderrWhenTheSyslogSocketIsMissing) {
  Options options;
  options.to_syslog = true;
  options.syslog_socket = "/nonexistent/dev-log";
  options.stderr_style = StderrStyle::Prefixed;
  options.stderr_name = "Mandos plugin mandos-client";
  std::string written = capture_stderr([&] {
    configure(options);
    error("nobody listens");
  });
  configure(Options{});
  EXPECT_EQ(written, "Mandos plugin mandos-client: nobody listens\n");
}

TEST(Log, TimestampedStderrLinesCarryNamePidAndLevel) {
  Options options;
  options.threshold = Level::Debug;
  options.stderr_style = StderrStyle::Timestamped;
  std::string written = capture_stderr([&] {
    configure(options);
    debug("hello");
  });
  configure(Options{});
  // "YYYY-MM-DD HH:MM:SS,mmm mandos [PID]: DEBUG: hello"
  ASSERT_GT(written.size(), 24u);
  EXPECT_EQ(written[4], '-');
  EXPECT_EQ(written[19], ',');
  EXPECT_EQ(written.substr(23), " mandos [" + std::to_string(::getpid()) + "]: DEBUG: hello\n");
}

}  // namespace
}  // namespace mandos::log
