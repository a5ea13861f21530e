#include "dbus/bus_connection.hpp"

#include <gtest/gtest.h>

namespace mandos::server::dbus {
namespace {

TEST(DbusStrings, ValidUtf8PassesUnchanged) {
  EXPECT_EQ(to_dbus_string("fping -q -- %(host)s"), "fping -q -- %(host)s");
  EXPECT_EQ(to_dbus_string("r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s"), "r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s");
  EXPECT_EQ(to_dbus_string(""), "");
}

TEST(DbusStrings, InvalidBytesBecomeTheReplacementCharacter) {
  // Latin-1 "ä" from a clients.conf in another encoding.
  EXPECT_EQ(to_dbus_string("h\xe4st"), "h\xef\xbf\xbdst");
  EXPECT_EQ(to_dbus_string("\xff\xfe"), "\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(DbusStrings, NulBytesAreDropped) {
  EXPECT_EQ(to_dbus_string(std::string_view("a\0b", 3)), "ab");
}

}  // namespace
}  // namespace mandos::server::dbus
