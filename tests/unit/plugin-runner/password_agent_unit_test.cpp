// Unit tests for password-agent's question parsing, locked buffer and
// datagram answers.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "agent.hpp"
#include "locked_buffer.hpp"
#include "mandos/fd.hpp"
#include "mandos/test/support.hpp"
#include "question.hpp"

namespace mandos::agent {
namespace {

TEST(QuestionName, RequiresTheAskPrefixAndMore) {
  EXPECT_TRUE(is_question_name("ask.abc"));
  EXPECT_FALSE(is_question_name("ask."));
  EXPECT_FALSE(is_question_name("sck.abc"));
  EXPECT_FALSE(is_question_name("xask.abc"));
}

TEST(Question, ParsesSocketPidAndNotAfterIgnoringOtherKeys) {
  auto question = parse_question("/d/ask.1",
                                 "# comment\n[Ask]\nPID=123\nSocket=/run/systemd/ask-password/sck.1\n"
                                 "AcceptCached=1\nEcho=0\nNotAfter=987654321\n"
                                 "Message=Please enter passphrase for disk root\nIcon=drive\n");
  ASSERT_TRUE(question.ok()) << question.error().message;
  EXPECT_EQ(question->file, "/d/ask.1");
  EXPECT_EQ(question->pid, 123);
  EXPECT_EQ(question->socket_path, "/run/systemd/ask-password/sck.1");
  EXPECT_EQ(question->not_after, 987654321u);
}

TEST(Question, TreatsAMissingNotAfterAsNoLimit) {
  auto question = parse_question("/d/ask.1", "[Ask]\nPID=1\nSocket=/s\n");
  ASSERT_TRUE(question.ok());
  EXPECT_EQ(question->not_after, 0u);
}

TEST(Question, RejectsGarbageNamingTheFile) {
  auto question = parse_question("/d/ask.1", "garbage");
  ASSERT_FALSE(question.ok());
  EXPECT_NE(question.error().message.find("Failed to load question data from file \"/d/ask.1\": "),
            std::string::npos)
      << question.error().message;
}

TEST(Question, RequiresASocket) {
  auto question = parse_question("/d/ask.1", "[Ask]\nPID=1\n");
  ASSERT_FALSE(question.ok());
  EXPECT_NE(question.error().message.find("Question file \"/d/ask.1\" did not contain \"Socket\""),
            std::string::npos)
      << question.error().message;
}

TEST(Question, RejectsAnEmptySocket) {
  auto question = parse_question("/d/ask.1", "[Ask]\nPID=1\nSocket=\n");
  ASSERT_FALSE(question.ok());
  EXPECT_NE(question.error().message.find("contained empty \"Socket\""), std::string::npos);
}

TEST(Question, RejectsASocketPathTooLongForSockaddrUn) {
  const std::string path = "/" + std::string(sizeof(sockaddr_un{}.sun_path), 'x');
  auto question = parse_question("/d/ask.1", "[Ask]\nPID=1\nSocket=" + path + "\n");
  ASSERT_FALSE(question.ok());
  EXPECT_NE(question.error().message.find("contained too long \"Socket\""), std::string::npos);
}

TEST(Question, RequiresANumericPid) {
  for (const char* text : {"[Ask]\nSocket=/s\n", "[Ask]\nSocket=/s\nPID=abc\n"}) {
    auto question = parse_question("/d/ask.1", text);
    ASSERT_FALSE(question.ok()) << text;
    EXPECT_NE(question.error().message.find("Question file \"/d/ask.1\" contained bad \"PID\""),
              std::string::npos)
        << question.error().message;
  }
}

TEST(Question, RejectsABadNotAfter) {
  auto question = parse_question("/d/ask.1", "[Ask]\nSocket=/s\nPID=1\nNotAfter=soon\n");
  ASSERT_FALSE(question.ok());
  EXPECT_NE(question.error().message.find("contained bad \"NotAfter\""), std::string::npos);
}

TEST(Question, RejectsAnOversizedFile) {
  auto question = parse_question("/d/ask.1", std::string(kMaxQuestionFileBytes + 1, '#'));
  ASSERT_FALSE(question.ok());
  EXPECT_NE(question.error().message.find("is larger than"), std::string::npos);
}

TEST(Question, RequiresTheAskGroup) {
  auto question = parse_question("/d/ask.1", "[Other]\nPID=1\nSocket=/s\n");
  EXPECT_FALSE(question.ok());
}

TEST(LockedBuffer, GrowsKeepingItsBytesUpToTheLimit) {
  LockedBuffer buffer(100000);
  std::string expected;
  for (int i = 0; i < 50; ++i) expected += std::string(1000, static_cast<char>(i));
  ASSERT_TRUE(buffer.append(expected).ok());
  EXPECT_EQ(buffer.view(), expected);
  EXPECT_FALSE(buffer.append(std::string(60000, 'x')).ok());
  EXPECT_TRUE(buffer.full());
  buffer.release();
  EXPECT_EQ(buffer.size(), 0u);
}

class DatagramSocket {
 public:
  explicit DatagramSocket(const std::string& path) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  std::string receive() {
    std::string buffer(1 << 16, '\0');
    const ssize_t got = ::recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    return got < 0 ? std::string("<nothing>") : buffer.substr(0, static_cast<size_t>(got));
  }

 private:
  UniqueFd fd_;
};

TEST(SendPassword, SendsPlusPasswordAndNulInOneDatagram) {
  mandos::test::TempDir dir;
  DatagramSocket socket(dir.file("s"));
  Question question{dir.file("ask.1"), dir.file("s"), ::getpid(), 0};
  EXPECT_EQ(send_password(question, std::string("a\0b\n", 4), false), SendResult::Sent);
  EXPECT_EQ(socket.receive(), std::string("+a\0b\n\0", 6));
}

TEST(SendPassword, RetriesWhenTheSocketDoesNotExistYet) {
  mandos::test::TempDir dir;
  Question question{dir.file("ask.1"), dir.file("missing"), ::getpid(), 0};
  testing::internal::CaptureStderr();
  EXPECT_EQ(send_password(question, "pw", true), SendResult::Retry);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("Failed to connect socket to \"" +
                                                        dir.file("missing") + "\""),
            std::string::npos);
}

TEST(SendPassword, GivesUpOnADatagramTooLargeForTheSocket) {
  mandos::test::TempDir dir;
  DatagramSocket socket(dir.file("s"));
  Question question{dir.file("ask.1"), dir.file("s"), ::getpid(), 0};
  testing::internal::CaptureStderr();
  EXPECT_EQ(send_password(question, std::string(kMaxPasswordBytes, 'x'), false),
            SendResult::GiveUp);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("giving up"), std::string::npos);
}

}  // namespace
}  // namespace mandos::agent
