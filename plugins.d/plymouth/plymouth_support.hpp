// Pieces of the plymouth plugin (plugins.md §3) that do not run programs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mandos::plugins {

inline constexpr const char* kPlymouthPath = "/bin/plymouth";
inline constexpr const char* kPlymouthdPath = "/sbin/plymouthd";

// The default question: "Unlocking the disk[ SOURCE][ (TARGET)]\nEnter
// passphrase" from cryptsource / crypttarget (nullptr when unset).
std::string plymouth_prompt(const char* source, const char* target);

// The PID in a plymouth PID file's text as fscanf("%ju") reads it; 0 when
// there is none or it does not fit a pid_t.
pid_t parse_pid_text(std::string_view text);

// plymouthd's PID: from the first PID file that can be opened, else the
// last (in alphasort order) process whose /proc/PID/exe is a root-owned link
// to exactly /sbin/plymouthd; 0 when not found.
pid_t find_plymouthd(const std::vector<std::string>& pid_files, const std::string& proc_dir);

// The command line of process pid, for restarting plymouthd as it was.
std::optional<std::vector<std::string>> process_argv(pid_t pid, const std::string& proc_dir);

}  // namespace mandos::plugins
