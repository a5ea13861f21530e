#include "worker/startup.hpp"

#include <linux/capability.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/ipc.hpp"

namespace mandos::server::worker {
namespace {

// stdio, channel, listener, epoll, syslog socket, plus slack for getnameinfo.
constexpr size_t kReservedFds = 16;

Error errno_error(const std::string& what) {
  int saved = errno;
  return fail(what + ": " + std::strerror(saved), saved);
}

Result<int> socket_option(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0) {
    return errno_error("fd " + std::to_string(fd));
  }
  return value;
}

}  // namespace

void close_inherited_fds() {
  ::syscall(SYS_close_range, static_cast<unsigned>(ipc::kListenFd + 1), ~0U, 0U);
}

Status check_not_root() {
  uid_t ruid = 0, euid = 0, suid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0;
  if (::getresuid(&ruid, &euid, &suid) != 0) return errno_error("getresuid");
  if (::getresgid(&rgid, &egid, &sgid) != 0) return errno_error("getresgid");
  if (ruid == 0 || euid == 0 || suid == 0) {
    return fail("refusing to run as root: the mandos server must start this program as an "
                "unprivileged user (--allow-root is for tests only)");
  }
  if (rgid == 0 || egid == 0 || sgid == 0) {
    return fail("refusing to run with group root: the mandos server must start this program "
                "with an unprivileged group (--allow-root is for tests only)");
  }
  return {};
}

Status die_with_parent() {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return errno_error("PR_SET_PDEATHSIG");
  // The parent may have died before the setting took effect; then we were
  // re-parented to init (a subreaper is caught by the channel's EOF).
  if (::getppid() == 1) return fail("the parent process is gone");
  return {};
}

Status restrict_process() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno_error("PR_SET_NO_NEW_PRIVS");
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return errno_error("PR_SET_DUMPABLE");
  // Ambient capabilities survive exec for non-root users; none are needed.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return errno_error("PR_CAP_AMBIENT_CLEAR_ALL");
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, data) != 0) return errno_error("capset");
  return {};
}

Status check_inherited_fds() {
  auto channel_domain = socket_option(ipc::kWorkerChannelFd, SO_DOMAIN);
  if (!channel_domain) return fail("channel " + channel_domain.error().message);
  auto channel_type = socket_option(ipc::kWorkerChannelFd, SO_TYPE);
  if (!channel_type) return fail("channel " + channel_type.error().message);
  if (*channel_domain != AF_UNIX || *channel_type != SOCK_STREAM) {
    return fail("fd 3 is not a Unix stream socket (the channel to the mandos server)");
  }
  auto listening = socket_option(ipc::kListenFd, SO_ACCEPTCONN);
  if (!listening) return fail("listening socket " + listening.error().message);
  auto listen_domain = socket_option(ipc::kListenFd, SO_DOMAIN);
  if (!listen_domain) return fail("listening socket " + listen_domain.error().message);
  auto listen_type = socket_option(ipc::kListenFd, SO_TYPE);
  if (!listen_type) return fail("listening socket " + listen_type.error().message);
  if (*listening == 0 || *listen_type != SOCK_STREAM ||
      (*listen_domain != AF_INET && *listen_domain != AF_INET6)) {
    return fail("fd 4 is not a listening TCP socket");
  }
  return {};
}

size_t raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
  if (limit.rlim_cur <= kReservedFds) return 0;
  return static_cast<size_t>(limit.rlim_cur - kReservedFds);
}

}  // namespace mandos::server::worker
