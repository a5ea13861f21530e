// Finding plugins: directory entries in alphasort order whose names are not
// editor/package-manager leftovers.
#pragma once

#include <string>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::runner {

// The skip pattern name matches (fnmatch with FNM_PERIOD, so the leading
// dot is significant), or nullptr for a usable name. "." and ".." match ".*".
const char* skip_pattern(const char* name);

// Names in dir_fd that do not match a skip pattern, sorted with alphasort().
// When debug is set, each skipped name is reported on stderr.
Result<std::vector<std::string>> list_candidates(int dir_fd, bool debug);

}  // namespace mandos::runner
