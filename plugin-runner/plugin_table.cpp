#include "plugin_table.hpp"

#include <iterator>

namespace mandos::runner {

namespace {

// The part of a definition that identifies the variable: "NAME=" or, for a
// definition without '=', the whole text (as the reference compares them).
std::string_view variable_key(std::string_view def) {
  const size_t equals = def.find('=');
  return equals == std::string_view::npos ? def : def.substr(0, equals + 1);
}

bool same_variable(std::string_view existing, std::string_view key) {
  // A key without '=' only matches an identical entry.
  if (key.empty() || key.back() != '=') return existing == key;
  return existing.substr(0, key.size()) == key;
}

}  // namespace

void add_environment(std::vector<std::string>& env, std::string_view def, bool replace) {
  const std::string_view key = variable_key(def);
  for (auto& existing : env) {
    if (same_variable(existing, key)) {
      if (replace) existing.assign(def);
      return;
    }
  }
  env.emplace_back(def);
}

PluginTable::PluginTable() {
  entries_.push_back(PluginSpec{});
  entries_.front().created = next_sequence_++;
}

PluginSpec& PluginTable::get(std::string_view name) {
  for (auto it = std::next(entries_.begin()); it != entries_.end(); ++it) {
    if (it->name == name) return *it;
  }
  PluginSpec& spec = entries_.emplace_back();
  spec.name.assign(name);
  spec.created = next_sequence_++;
  return spec;
}

const PluginSpec* PluginTable::find(std::string_view name) const {
  for (auto it = std::next(entries_.begin()); it != entries_.end(); ++it) {
    if (it->name == name) return &*it;
  }
  return nullptr;
}

std::vector<const PluginSpec*> PluginTable::named() const {
  std::vector<const PluginSpec*> result;
  for (auto it = std::next(entries_.begin()); it != entries_.end(); ++it) result.push_back(&*it);
  return result;
}

std::vector<std::string> plugin_argv(const PluginSpec& plugin, const PluginSpec& global) {
  std::vector<std::string> argv;
  argv.reserve(1 + plugin.args.size() + global.args.size());
  argv.push_back(plugin.name);
  argv.insert(argv.end(), plugin.args.begin(), plugin.args.end());
  argv.insert(argv.end(), global.args.begin(), global.args.end());
  return argv;
}

std::vector<std::string> plugin_environment(const PluginSpec& plugin, const PluginSpec& global,
                                            const char* const* inherited) {
  std::vector<std::string> env = plugin.env;
  for (const auto& def : global.env) add_environment(env, def, false);
  for (const char* const* var = inherited; var != nullptr && *var != nullptr; ++var) {
    add_environment(env, *var, false);
  }
  return env;
}

}  // namespace mandos::runner
