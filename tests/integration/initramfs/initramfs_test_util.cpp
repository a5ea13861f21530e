#include "initramfs_test_util.hpp"

#include <sys/stat.h>

#include <sstream>

#include "mandos/test/support.hpp"

namespace mandos::initramfs_test {

std::string image_work_dir() { return MANDOS_INITRAMFS_WORK_DIR; }

std::string image_status() {
  const std::string path = image_work_dir() + "/status";
  if (!exists(path))
    return "";
  std::string status = test::read_file(path);
  while (!status.empty() && status.back() == '\n')
    status.pop_back();
  return status;
}

std::string tree_path(const std::string &relative) {
  return image_work_dir() + "/tree/" + relative;
}

std::optional<FileFacts> facts(const std::string &path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return std::nullopt;
  return FileFacts{st.st_mode, st.st_uid, st.st_gid};
}

bool exists(const std::string &path) { return facts(path).has_value(); }

mode_t permissions(const FileFacts &file) { return file.mode & 07777; }

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);)
    lines.push_back(line);
  return lines;
}

bool contains_line(const std::string &text, const std::string &line) {
  for (const auto &candidate : lines_of(text)) {
    if (candidate == line)
      return true;
  }
  return false;
}

ShellResult shell(const std::string &script,
                  const std::vector<std::string> &env_add) {
  test::RunOptions options;
  options.env_add = env_add;
  options.timeout = std::chrono::seconds(120);
  const auto result = test::run({"/bin/sh", "-c", script}, options);
  return ShellResult{result.exited ? result.exit_code : -1, result.out,
                     result.err};
}

} // namespace mandos::initramfs_test
