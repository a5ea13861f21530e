#include "mandos/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mandos/fd.hpp"

namespace mandos {
namespace {

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Error os_error(const std::string& what, const std::string& path) {
  return fail(what + " " + path + ": " + std::strerror(errno), errno);
}

}  // namespace

Status write_file_atomically(const std::string& path, std::string_view content, mode_t mode) {
  const std::string directory = directory_of(path);
  std::string pattern = directory + "/." + base_of(path) + ".XXXXXX";
  std::vector<char> temp_name(pattern.begin(), pattern.end());
  temp_name.push_back('\0');

  UniqueFd fd(::mkostemp(temp_name.data(), O_CLOEXEC));
  if (!fd) return os_error("cannot create temporary file for", path);
  const std::string temp_path(temp_name.data());
  auto discard = [&](Error error) {
    ::unlink(temp_path.c_str());
    return error;
  };

  if (::fchmod(fd.get(), mode) != 0) return discard(os_error("cannot chmod", temp_path));
  if (auto written = write_all(fd.get(), content.data(), content.size()); !written) {
    return discard(fail("cannot write " + temp_path + ": " + written.error().message,
                        written.error().code));
  }
  if (::fsync(fd.get()) != 0) return discard(os_error("cannot fsync", temp_path));
  if (::close(fd.release()) != 0) return discard(os_error("cannot close", temp_path));
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    return discard(os_error("cannot rename temporary file over", path));
  }
  // The rename is durable only once the directory entry is on disk.
  UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir || ::fsync(dir.get()) != 0) return os_error("cannot fsync directory", directory);
  return {};
}

}  // namespace mandos
