// Network interface selection and bring-up (client.md §3).
//
// The rules work on an InterfaceSystem so tests can use a fake list; the
// real one reads /sys/class/net and asks the kernel with SIOCGIFFLAGS
// (both unprivileged). Changing flags (set_interface_up/down) needs root
// and is done only by the privileged helper (privsep.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mandos/result.hpp"

namespace mandos::client {

class InterfaceSystem {
 public:
  virtual ~InterfaceSystem() = default;
  // Entries of /sys/class/net, in any order.
  [[nodiscard]] virtual Result<std::vector<std::string>> list_names() const = 0;
  // Interface index, 0 if there is no such interface.
  virtual unsigned index(const std::string& name) const = 0;
  // IFF_* flags; nullopt if they cannot be read.
  virtual std::optional<unsigned> flags(const std::string& name) const = 0;
};

// The kernel's view: /sys/class/net, if_nametoindex, SIOCGIFFLAGS.
class SystemInterfaces final : public InterfaceSystem {
 public:
  explicit SystemInterfaces(std::string sysfs_dir = "/sys/class/net")
      : sysfs_dir_(std::move(sysfs_dir)) {}
  [[nodiscard]] Result<std::vector<std::string>> list_names() const override;
  unsigned index(const std::string& name) const override;
  std::optional<unsigned> flags(const std::string& name) const override;

 private:
  std::string sysfs_dir_;
};

// What the kernel accepts as a device name (dev_valid_name): 1..15 bytes,
// not "." or "..", no '/', ':' or whitespace.
bool valid_interface_name(std::string_view name);

// Drops names (other than "none") of interfaces that do not exist; each
// dropped name is appended to `dropped` for the caller to report.
std::vector<std::string> drop_nonexistent(const std::vector<std::string>& requested,
                                          const InterfaceSystem& system,
                                          std::vector<std::string>& dropped);

// Auto-detection rule for one interface: not loopback, and BROADCAST set
// with NOARP unset, or (with --connect only) POINTOPOINT.
bool eligible_for_auto(unsigned flags, bool connect_mode);

// Auto-detection: names in byte order, skipping those starting with '.',
// those whose flags cannot be read, and those not eligible.
[[nodiscard]] Result<std::vector<std::string>> detect_interfaces(const InterfaceSystem& system,
                                                                 bool connect_mode);

// The list after auto-detection, split: interfaces to bring up (those
// before the first "none") and interfaces in use (every name but "none").
struct InterfacePlan {
  std::vector<std::string> bring_up;
  std::vector<std::string> in_use;
};
InterfacePlan plan_interfaces(const std::vector<std::string>& list);

// Polls IFF_RUNNING on every named interface every `step` until all are
// running or `delay` has passed. `sleep` returns false when interrupted
// (then this returns early). Returns the names still not running.
std::vector<std::string> wait_until_running(
    const InterfaceSystem& system, const std::vector<std::string>& names,
    std::chrono::milliseconds delay, std::chrono::milliseconds step,
    const std::function<bool(std::chrono::milliseconds)>& sleep);

// Privileged (root only). Sets IFF_UP if it is not set, with the console
// log level lowered to 5 around the change so the kernel's link messages do
// not clutter a password prompt. Returns true if this call changed it.
[[nodiscard]] Result<bool> set_interface_up(const std::string& name);
// Clears IFF_UP.
[[nodiscard]] Status set_interface_down(const std::string& name);

}  // namespace mandos::client
