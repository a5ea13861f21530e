// mandos-keygen: makes a Mandos client's key files, or encrypts a password
// to them and prints the server's clients.conf section (keygen.md).
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "interrupt.hpp"
#include "modes.hpp"
#include "options.hpp"

using namespace mandos::keygen;

namespace {

int run(int argc, char* argv[]) {
  const std::string argv0 = argc > 0 ? argv[0] : "mandos-keygen";
  auto command = parse_command_line(argc, argv);
  if (!command) {
    if (!command.error().message.empty()) {
      std::fprintf(stderr, "%s\n", command.error().message.c_str());
    }
    return 1;
  }
  switch (command->action) {
    case Action::kShowVersion:
      std::printf("%s %s\n", argv0.c_str(), kVersion);
      return 0;
    case Action::kShowHelp:
      std::fputs(help_text(argv0).c_str(), stdout);
      return 0;
    case Action::kRun:
      break;
  }

  const Settings& settings = command->settings;
  const std::string dir = settings.dir.value_or(default_key_dir());
  if (auto ok = check_key_dir(dir); !ok) {
    std::fprintf(stderr, "%s\n", ok.error().message.c_str());
    return 1;
  }
  const std::string name = settings.name.value_or(default_key_name());
  if (settings.mode == Mode::kGenerateKeys) {
    if (auto ok = check_keygen_settings(settings, dir, name); !ok) {
      std::fprintf(stderr, "%s\n", ok.error().message.c_str());
      return 1;
    }
  }
  // Key files and temporary files are for our eyes only.
  ::umask(077);
  switch (settings.mode) {
    case Mode::kGenerateKeys:
      return generate_keys(settings, dir, name);
    case Mode::kEncryptPassword:
      return encrypt_password(settings, dir, name);
  }
  return 1;
}

}  // namespace

int main(int argc, char* argv[]) {
  install_interrupt_handlers();
  int status = run(argc, argv);
  std::fflush(stdout);
  if (int sig = pending_interrupt(); sig != 0) die_of_signal(sig);
  if (std::ferror(stdout) != 0) return 1;
  return status;
}
