// Crash-safe file replacement: write a temporary file in the same directory,
// fsync it, rename it over the target and fsync the directory. A crash at any
// point leaves either the old or the new content, never a torn file.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "mandos/result.hpp"

namespace mandos {

Status write_file_atomically(const std::string& path, std::string_view content, mode_t mode);

}  // namespace mandos
