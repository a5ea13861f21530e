// The prompt text of password-prompt (plugins.md §1 step 4).
#pragma once

#include <string>

namespace mandos::plugins {

// prefix and prompt come from --prefix / --prompt (nullptr when absent);
// source and target are the device and mapping names from the environment
// (nullptr when unset). The result ends with ": " and is printed before each
// read.
std::string compose_prompt(const char* prefix, const char* prompt, const char* source,
                           const char* target);

// The environment lookup of the reference: CRYPTTAB_SOURCE / CRYPTTAB_NAME,
// each falling back to the older cryptsource / crypttarget.
std::string prompt_from_environment(const char* prefix, const char* prompt);

}  // namespace mandos::plugins
