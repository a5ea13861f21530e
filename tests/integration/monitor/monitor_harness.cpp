#include "monitor_harness.hpp"

#include <stdexcept>

namespace mandos::monitor::harness {
namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

TmuxSession::TmuxSession(const std::string& dir, const std::vector<std::string>& environment,
                         const std::string& shell_command, int cols, int rows)
    : socket_(dir + "/tmux.sock") {
  // The option must hold before the program can end, hence the config file.
  const std::string config = dir + "/tmux.conf";
  test::write_file(config, "set -g remain-on-exit on\nset -g default-terminal tmux-256color\n");
  std::vector<std::string> arguments = {"-f",         config,       "new-session", "-d",
                                        "-s",         name_,        "-x",          std::to_string(cols),
                                        "-y",         std::to_string(rows)};
  for (const std::string& variable : environment) {
    arguments.push_back("-e");
    arguments.push_back(variable);
  }
  arguments.push_back(shell_command);
  auto result = tmux(arguments);
  check(result.exit_code == 0, "tmux new-session failed: " + result.err);
}

TmuxSession::~TmuxSession() { tmux({"kill-server"}); }

test::RunResult TmuxSession::tmux(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), {"/usr/bin/tmux", "-S", socket_});
  test::RunOptions options;
  options.timeout = 20s;
  return test::run(arguments, options);
}

std::vector<std::string> TmuxSession::rows() {
  return split_lines(tmux({"capture-pane", "-p", "-t", name_}).out);
}

std::string TmuxSession::screen() {
  std::string text;
  for (const std::string& row : rows()) text += row + "\n";
  return text;
}

std::vector<std::string> TmuxSession::rows_with_attributes() {
  return split_lines(tmux({"capture-pane", "-p", "-e", "-t", name_}).out);
}

void TmuxSession::send_keys(const std::vector<std::string>& keys) {
  std::vector<std::string> arguments = {"send-keys", "-t", name_, "--"};
  arguments.insert(arguments.end(), keys.begin(), keys.end());
  auto result = tmux(arguments);
  check(result.exit_code == 0, "tmux send-keys failed: " + result.err);
}

void TmuxSession::resize(int cols, int rows) {
  auto result = tmux({"resize-window", "-t", name_, "-x", std::to_string(cols), "-y",
                      std::to_string(rows)});
  check(result.exit_code == 0, "tmux resize-window failed: " + result.err);
}

std::string TmuxSession::pane_format(const std::string& format) {
  std::string out = tmux({"display-message", "-p", "-t", name_, format}).out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool TmuxSession::wait_for(const std::function<bool(const std::vector<std::string>&)>& condition,
                           std::chrono::milliseconds timeout) {
  return test::wait_until([&] { return condition(rows()); }, timeout, 100ms);
}

bool TmuxSession::wait_for_text(const std::string& text, std::chrono::milliseconds timeout) {
  return wait_for([&](const std::vector<std::string>& rows) { return row_with(rows, text) >= 0; },
                  timeout);
}

std::string wrapped_command(const std::string& program, const std::string& pid_file) {
  // The inner shell writes its pid and becomes the monitor (exec), so the
  // pid is the monitor's and the monitor owns the terminal's foreground.
  // The outer shell traps SIGINT (Ctrl-C reaches the whole foreground
  // group) rather than ignoring it, which the monitor would inherit. It
  // stays alive afterwards: tmux hides the cursor of a dead pane and may
  // lose its last lines.
  const std::string inner = "echo $$ > " + quoted(pid_file) + "; exec " + quoted(program);
  const std::string script =
      "trap : INT; before=$(stty -g); sh -c " + quoted(inner) +
      "; status=$?; after=$(stty -g); "
      "if [ \"$before\" = \"$after\" ]; then echo 'tty restored'; else echo 'tty changed'; fi; "
      "echo \"exit status $status\"; exec sleep 3600";
  return "sh -c " + quoted(script);
}

int row_with(const std::vector<std::string>& rows, const std::string& text) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].find(text) != std::string::npos) return static_cast<int>(i);
  }
  return -1;
}

int divider_row(const std::vector<std::string>& rows, int cols, bool unicode) {
  std::string divider;
  for (int i = 0; i < cols; ++i) divider += unicode ? "\u2500" : "_";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] == divider) return static_cast<int>(i);
  }
  return -1;
}

std::string monitor_program() { return test::build_path("monitor/mandos-monitor"); }

}  // namespace mandos::monitor::harness
