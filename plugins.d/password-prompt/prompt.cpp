#include "prompt.hpp"

#include <cstdlib>

namespace mandos::plugins {

std::string compose_prompt(const char* prefix, const char* prompt, const char* source,
                           const char* target) {
  std::string text;
  if (prefix != nullptr) text.append(prefix).append(" ");
  if (prompt != nullptr) return text.append(prompt).append(": ");
  if (source == nullptr && target == nullptr) {
    return text.append("Enter passphrase to unlock the disk: ");
  }
  text.append("Unlocking the disk");
  if (source != nullptr) text.append(" ").append(source);
  if (target != nullptr) text.append(" (").append(target).append(")");
  return text.append("\nEnter passphrase: ");
}

std::string prompt_from_environment(const char* prefix, const char* prompt) {
  const char* source = std::getenv("CRYPTTAB_SOURCE");
  if (source == nullptr) source = std::getenv("cryptsource");  // before cryptsetup 1.1.0
  const char* target = std::getenv("CRYPTTAB_NAME");
  if (target == nullptr) target = std::getenv("crypttarget");
  return compose_prompt(prefix, prompt, source, target);
}

}  // namespace mandos::plugins
