#include "dbus/paths.hpp"

#include <gtest/gtest.h>

namespace mandos::server::dbus {
namespace {

TEST(DbusPaths, AcceptsNamesWithDotsAndDashes) {
  EXPECT_TRUE(check_client_paths({"foo", "foo.example-1", "bar_2"}));
}

TEST(DbusPaths, RejectsNamesThatCollideNamingBothClients) {
  auto st = check_client_paths({"a.b", "x", "a-b"});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("\"a.b\" and \"a-b\""), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("/clients/a_b"), std::string::npos);
}

TEST(DbusPaths, RejectsIllegalCharactersNamingTheClient) {
  auto st = check_client_paths({"ok", "bad name", "tab\tname"});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("client \"bad name\""), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("client \"tab\tname\""), std::string::npos);
  EXPECT_EQ(st.error().message.find("\"ok\""), std::string::npos);
  EXPECT_NE(st.error().message.find("--no-dbus"), std::string::npos);
}

TEST(DbusPaths, RejectsAnEmptyName) {
  auto st = check_client_paths({""});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("client \"\""), std::string::npos);
}

TEST(DbusPaths, PathElementsAreAsciiLettersDigitsAndUnderscore) {
  EXPECT_TRUE(is_path_element("Abc_09"));
  EXPECT_FALSE(is_path_element(""));
  EXPECT_FALSE(is_path_element("a.b"));
  EXPECT_FALSE(is_path_element("\xc3\xa9"));
}

}  // namespace
}  // namespace mandos::server::dbus
