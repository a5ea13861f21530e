// Helpers for the initramfs-tools tests: the image built by the CTest
// fixture (build_initrd.sh) and file facts inside it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace mandos::initramfs_test {

// The fixture's work directory (WORK_DIR of build_initrd.sh).
std::string image_work_dir();
// Its "status" file: "ok", "skip: ..." or "fail: ...", or "" if missing.
std::string image_status();
// The extracted image, and a path inside it ("usr/lib/mandos/...").
std::string tree_path(const std::string &relative = "");

struct FileFacts {
  mode_t mode = 0; // including the file type bits
  uid_t uid = 0;
  gid_t gid = 0;
};
// lstat() facts, or nullopt if the path does not exist.
std::optional<FileFacts> facts(const std::string &path);
bool exists(const std::string &path);
// Permission bits only (07777).
mode_t permissions(const FileFacts &facts);

std::vector<std::string> lines_of(const std::string &text);
bool contains_line(const std::string &text, const std::string &line);

// Runs "sh -c SCRIPT" with the given extra environment; stdout, stderr, exit.
struct ShellResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
ShellResult shell(const std::string &script,
                  const std::vector<std::string> &env_add = {});

} // namespace mandos::initramfs_test
