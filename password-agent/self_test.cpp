#include "self_test.hpp"

#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "agent.hpp"
#include "locked_buffer.hpp"
#include "mandos/fd.hpp"
#include "question.hpp"

namespace mandos::agent {
namespace {

bool parses_a_complete_question() {
  auto question = parse_question("/q/ask.1",
                                 "[Ask]\nPID=42\nSocket=/run/s\nNotAfter=7\nMessage=x\n");
  return question && question->pid == 42 && question->socket_path == "/run/s" &&
         question->not_after == 7;
}

bool rejects_a_question_without_socket() {
  auto question = parse_question("/q/ask.1", "[Ask]\nPID=42\n");
  return !question && question.error().message.find("\"Socket\"") != std::string::npos;
}

bool rejects_a_question_with_a_bad_pid() {
  auto question = parse_question("/q/ask.1", "[Ask]\nPID=x\nSocket=/s\n");
  return !question && question.error().message.find("\"PID\"") != std::string::npos;
}

bool keeps_bytes_in_locked_memory() {
  LockedBuffer buffer(1 << 20);
  std::string bytes(100000, 'x');
  bytes[5] = '\0';
  return buffer.append(bytes) && buffer.view() == bytes && !buffer.lock_failed();
}

bool answers_on_a_datagram_socket() {
  char dir_template[] = "/tmp/password-agent-test.XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) return false;
  const std::string dir = dir_template;
  const std::string path = dir + "/socket";
  bool ok = false;
  {
    UniqueFd socket(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    if (socket &&
        ::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
      Question question{dir + "/ask.x", path, ::getpid(), 0};
      const std::string password("pass\0word", 9);
      if (send_password(question, password, true) == SendResult::Sent) {
        char received[64];
        const ssize_t got = ::recv(socket.get(), received, sizeof received, MSG_DONTWAIT);
        ok = got == 11 && std::memcmp(received, "+pass\0word\0", 11) == 0;
      }
    }
  }
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
  return ok;
}

bool can_watch_a_directory() {
  UniqueFd inotify(::inotify_init1(IN_CLOEXEC));
  return inotify && ::inotify_add_watch(inotify.get(), "/tmp", IN_CLOSE_WRITE) >= 0;
}

}  // namespace

int run_self_tests() {
  const std::vector<std::pair<const char*, std::function<bool()>>> checks = {
      {"parses a complete question", parses_a_complete_question},
      {"rejects a question without Socket", rejects_a_question_without_socket},
      {"rejects a question with a bad PID", rejects_a_question_with_a_bad_pid},
      {"keeps bytes in locked memory", keeps_bytes_in_locked_memory},
      {"answers on a datagram socket", answers_on_a_datagram_socket},
      {"can watch a directory", can_watch_a_directory},
  };
  std::printf("1..%zu\n", checks.size());
  int failures = 0;
  int number = 0;
  for (const auto& [name, check] : checks) {
    const bool passed = check();
    failures += passed ? 0 : 1;
    std::printf("%s %d - %s\n", passed ? "ok" : "not ok", ++number, name);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace mandos::agent
