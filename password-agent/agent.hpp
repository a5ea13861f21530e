// The password agent proper (plugins.md §4): runs the Mandos client once,
// collects systemd's questions from the agent directory and answers each
// pending one with the client's output.
//
// One poll() loop watches a signalfd (SIGCHLD, SIGTERM, SIGINT), the
// inotify descriptor and the client's stdout; timers (NotAfter expiry,
// send retries) become poll() timeouts. Beyond the reference: SIGTERM and
// SIGINT stop the client before the agent dies by the signal, the client
// is stopped and reaped on every exit path, and a question whose asking
// process has died is dropped instead of being retried forever.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "locked_buffer.hpp"
#include "mandos/fd.hpp"
#include "options.hpp"
#include "question.hpp"

namespace mandos::agent {

// The client's output is a password; anything larger is an error.
inline constexpr size_t kMaxPasswordBytes = 1024 * 1024;
inline constexpr uint64_t kRetryIntervalUs = 1000000;

enum class SendResult { Sent, Retry, GiveUp };
// Sends "+PASSWORD\0" as one datagram to the question's socket. Errors the
// reference retries (and connect failures) give Retry; others GiveUp.
SendResult send_password(const Question& question, std::string_view password, bool report);

class Agent {
 public:
  explicit Agent(const AgentOptions& options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Runs to completion; returns the exit status (or dies by SIGTERM/SIGINT).
  int run();

 private:
  struct Pending {
    Question question;
    uint64_t next_attempt_us = 0;
    bool reported = false;  // a send failure was already logged
  };

  int setup();
  bool start_client();
  int watch_directory();
  int add_existing_questions(bool require_some);
  void consider_file(const std::string& name);
  void handle_inotify();
  int handle_signals();  // returns how many SIGTERM/SIGINT arrived
  bool read_client_output();
  void expire(uint64_t now);
  void answer(uint64_t now);
  int poll_timeout_ms(uint64_t now) const;
  bool password_ready() const;
  void stop_client();

  const AgentOptions& options_;
  UniqueFd signal_fd_;
  sigset_t original_mask_{};
  bool mask_changed_ = false;
  UniqueFd inotify_;
  pid_t client_pid_ = 0;
  bool client_reaped_ = true;
  int client_status_ = 0;
  UniqueFd client_out_;
  bool client_eof_ = false;
  LockedBuffer password_{kMaxPasswordBytes};
  std::map<std::string, Pending> pending_;  // by file name in the directory
  int termination_signal_ = 0;
};

}  // namespace mandos::agent
