#include "interfaces.hpp"

#include <dirent.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "mandos/fd.hpp"

namespace mandos::client {
namespace {

// klogctl(2) actions (not in glibc's headers).
constexpr int kSyslogActionConsoleOn = 7;
constexpr int kSyslogActionConsoleLevel = 8;
constexpr int kQuietConsoleLevel = 5;

Error os_error(const std::string& what) {
  return fail(what + ": " + std::strerror(errno), errno);
}

// Any datagram socket will do for the interface ioctls; IPv4 or IPv6 may
// be missing from the kernel, so try both.
UniqueFd ioctl_socket() {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) fd.reset(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  return fd;
}

Result<ifreq> make_ifreq(const std::string& name) {
  if (!valid_interface_name(name)) return fail("invalid interface name \"" + name + "\"", EINVAL);
  ifreq request{};
  std::memcpy(request.ifr_name, name.c_str(), name.size() + 1);
  return request;
}

Result<short> get_flags(int fd, const std::string& name) {
  auto request = make_ifreq(name);
  if (!request) return request.error();
  if (::ioctl(fd, SIOCGIFFLAGS, &*request) != 0) {
    return os_error("SIOCGIFFLAGS on " + name);
  }
  return request->ifr_flags;
}

Status set_flags(int fd, const std::string& name, short flags) {
  auto request = make_ifreq(name);
  if (!request) return request.error();
  request->ifr_flags = flags;
  if (::ioctl(fd, SIOCSIFFLAGS, &*request) != 0) return os_error("SIOCSIFFLAGS on " + name);
  return {};
}

// The current console log level: first field of /proc/sys/kernel/printk.
std::optional<int> console_level() {
  std::ifstream printk("/proc/sys/kernel/printk");
  int level = 0;
  if (printk >> level) return level;
  return std::nullopt;
}

// Lowers the console log level for its lifetime, restoring it afterwards.
class QuietConsole {
 public:
  QuietConsole() {
    previous_ = console_level();
    if (previous_ && *previous_ <= kQuietConsoleLevel) return;  // already quiet enough
    lowered_ = ::klogctl(kSyslogActionConsoleLevel, nullptr, kQuietConsoleLevel) == 0;
  }
  ~QuietConsole() {
    if (!lowered_) return;
    if (previous_) {
      (void)::klogctl(kSyslogActionConsoleLevel, nullptr, *previous_);
    } else {
      (void)::klogctl(kSyslogActionConsoleOn, nullptr, 0);
    }
  }
  QuietConsole(const QuietConsole&) = delete;
  QuietConsole& operator=(const QuietConsole&) = delete;

 private:
  std::optional<int> previous_;
  bool lowered_ = false;
};

}  // namespace

Result<std::vector<std::string>> SystemInterfaces::list_names() const {
  DIR* dir = ::opendir(sysfs_dir_.c_str());
  if (dir == nullptr) return os_error(sysfs_dir_);
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name(entry->d_name);
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  return names;
}

unsigned SystemInterfaces::index(const std::string& name) const {
  if (!valid_interface_name(name)) return 0;
  return ::if_nametoindex(name.c_str());
}

std::optional<unsigned> SystemInterfaces::flags(const std::string& name) const {
  UniqueFd fd = ioctl_socket();
  if (!fd) return std::nullopt;
  auto flags = get_flags(fd.get(), name);
  if (!flags) return std::nullopt;
  return static_cast<unsigned short>(*flags);
}

bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c));
  });
}

std::vector<std::string> drop_nonexistent(const std::vector<std::string>& requested,
                                          const InterfaceSystem& system,
                                          std::vector<std::string>& dropped) {
  std::vector<std::string> kept;
  for (const auto& name : requested) {
    if (name == "none" || system.index(name) != 0) {
      kept.push_back(name);
    } else {
      dropped.push_back(name);
    }
  }
  return kept;
}

bool eligible_for_auto(unsigned flags, bool connect_mode) {
  if ((flags & IFF_LOOPBACK) != 0) return false;
  if (connect_mode && (flags & IFF_POINTOPOINT) != 0) return true;
  return (flags & IFF_BROADCAST) != 0 && (flags & IFF_NOARP) == 0;
}

Result<std::vector<std::string>> detect_interfaces(const InterfaceSystem& system,
                                                   bool connect_mode) {
  auto names = system.list_names();
  if (!names) return names.error();
  std::sort(names->begin(), names->end());
  std::vector<std::string> chosen;
  for (const auto& name : *names) {
    if (name.empty() || name.front() == '.') continue;
    auto flags = system.flags(name);
    if (flags && eligible_for_auto(*flags, connect_mode)) chosen.push_back(name);
  }
  return chosen;
}

InterfacePlan plan_interfaces(const std::vector<std::string>& list) {
  InterfacePlan plan;
  bool bringing_up = true;
  for (const auto& name : list) {
    if (name == "none") {
      bringing_up = false;
      continue;
    }
    if (bringing_up) plan.bring_up.push_back(name);
    plan.in_use.push_back(name);
  }
  return plan;
}

std::vector<std::string> wait_until_running(
    const InterfaceSystem& system, const std::vector<std::string>& names,
    std::chrono::milliseconds delay, std::chrono::milliseconds step,
    const std::function<bool(std::chrono::milliseconds)>& sleep) {
  std::vector<std::string> waiting = names;
  std::chrono::milliseconds waited{0};
  for (;;) {
    std::erase_if(waiting, [&](const std::string& name) {
      auto flags = system.flags(name);
      return flags && (*flags & IFF_RUNNING) != 0;
    });
    if (waiting.empty() || waited >= delay) return waiting;
    auto nap = std::min(step, delay - waited);
    if (!sleep(nap)) return waiting;
    waited += nap;
  }
}

Result<bool> set_interface_up(const std::string& name) {
  UniqueFd fd = ioctl_socket();
  if (!fd) return os_error("socket");
  auto flags = get_flags(fd.get(), name);
  if (!flags) return flags.error();
  if ((*flags & IFF_UP) != 0) return false;
  QuietConsole quiet;
  if (Status ok = set_flags(fd.get(), name, static_cast<short>(*flags | IFF_UP)); !ok) {
    return ok.error();
  }
  return true;
}

Status set_interface_down(const std::string& name) {
  UniqueFd fd = ioctl_socket();
  if (!fd) return os_error("socket");
  auto flags = get_flags(fd.get(), name);
  if (!flags) return flags.error();
  if ((*flags & IFF_UP) == 0) return {};
  QuietConsole quiet;
  return set_flags(fd.get(), name, static_cast<short>(*flags & ~IFF_UP));
}

}  // namespace mandos::client
