#include "daemon/listener.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mandos::server {
namespace {

TEST(Listener, BindsToTheGivenAddressAndAnEphemeralPort) {
  auto fd = create_listen_socket(ListenOptions{true, "", "::1", 0, false});
  ASSERT_TRUE(fd) << fd.error().message;
  ASSERT_TRUE(start_listening(fd->get()));
  EXPECT_GT(listening_port(fd->get()), 0);
  EXPECT_NE(describe_listening(fd->get()).find("address '::1', port "), std::string::npos);
}

TEST(Listener, UsesIpv4WithoutIpv6) {
  auto fd = create_listen_socket(ListenOptions{false, "", "127.0.0.1", 0, false});
  ASSERT_TRUE(fd) << fd.error().message;
  ASSERT_TRUE(start_listening(fd->get()));
  EXPECT_EQ(describe_listening(fd->get()).rfind("address '127.0.0.1', port ", 0), 0u);
}

TEST(Listener, LeavesTheSocketUnboundWithoutAddressOrPort) {
  auto fd = create_listen_socket(ListenOptions{true, "", "", 0, false});
  ASSERT_TRUE(fd);
  EXPECT_EQ(listening_port(fd->get()), 0);
  ASSERT_TRUE(start_listening(fd->get()));  // the kernel picks a port
  EXPECT_GT(listening_port(fd->get()), 0);
}

TEST(Listener, UnusableAddressIsAnErrorNamingIt) {
  auto fd = create_listen_socket(ListenOptions{true, "", "not an address!", 0, false});
  ASSERT_FALSE(fd);
  EXPECT_NE(fd.error().message.find("not an address!"), std::string::npos);
}

TEST(Listener, MissingInterfaceIsOnlyLogged) {
  auto fd = create_listen_socket(ListenOptions{true, "nosuchif0", "::1", 0, false});
  EXPECT_TRUE(fd) << fd.error().message;
}

TEST(Listener, AdoptsAnInheritedStreamSocket) {
  int raw = ::socket(AF_INET6, SOCK_STREAM, 0);
  ASSERT_GE(raw, 0);
  auto fd = adopt_listen_socket(raw);
  ASSERT_TRUE(fd);
  EXPECT_EQ(fd->get(), raw);
}

TEST(Listener, RefusesToAdoptADatagramSocketOrANonSocket) {
  int udp = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto a = adopt_listen_socket(udp);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("not a stream socket"), std::string::npos);
  ::close(udp);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  auto b = adopt_listen_socket(pipe_fds[0]);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("not a socket"), std::string::npos);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  int unix_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_FALSE(adopt_listen_socket(unix_fd));
  ::close(unix_fd);
}

}  // namespace
}  // namespace mandos::server
