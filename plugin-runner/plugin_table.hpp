// The per-plugin settings collected from options: arguments, environment
// and the disabled flag, plus one global entry whose settings apply to every
// plugin. Entries are created on first mention (by an option or when the
// plugin is found in the directory), and their creation order is kept
// because the reference breaks ties between plugins that finish at the same
// moment in favour of the most recently created entry.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace mandos::runner {

struct PluginSpec {
  std::string name;               // empty for the global entry
  std::vector<std::string> args;  // options, without argv[0]
  std::vector<std::string> env;   // "VAR=value" definitions, in insertion order
  bool disabled = false;
  uint64_t created = 0;           // creation sequence number
};

// Adds def to env. An entry with the same variable name (the text up to and
// including the first '=', or the whole text when it has no '=') is replaced
// when replace is set and kept otherwise; a new name is appended.
void add_environment(std::vector<std::string>& env, std::string_view def, bool replace);

class PluginTable {
 public:
  PluginTable();

  PluginSpec& global() { return entries_.front(); }
  const PluginSpec& global() const { return entries_.front(); }
  // The entry for name, created (enabled, no settings) if it does not exist.
  PluginSpec& get(std::string_view name);
  // The entry for name, or nullptr.
  const PluginSpec* find(std::string_view name) const;
  // All named entries, in creation order (the global entry excluded).
  std::vector<const PluginSpec*> named() const;

 private:
  std::deque<PluginSpec> entries_;  // deque: references stay valid on growth
  uint64_t next_sequence_ = 0;
};

// argv for a plugin: its name, its own options in the order given, then the
// global options.
std::vector<std::string> plugin_argv(const PluginSpec& plugin, const PluginSpec& global);

// The complete environment for a plugin: its own variables, then global
// variables it does not set, then inherited variables neither sets.
std::vector<std::string> plugin_environment(const PluginSpec& plugin, const PluginSpec& global,
                                            const char* const* inherited);

}  // namespace mandos::runner
