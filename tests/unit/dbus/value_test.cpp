#include "dbus/value.hpp"

#include <gtest/gtest.h>

namespace mandos::server::dbus {
namespace {

TEST(DbusValue, ScalarsHaveTheirOneLetterSignature) {
  EXPECT_EQ(Value::uint64(5).signature(), "t");
  EXPECT_EQ(Value::int16(-2).signature(), "n");
  EXPECT_EQ(Value::boolean(true).signature(), "b");
  EXPECT_EQ(Value::string("x").signature(), "s");
  EXPECT_EQ(Value::object_path("/").signature(), "o");
}

TEST(DbusValue, ContainersComposeTheirSignature) {
  DictBuilder dict;
  dict.add("Name", Value::variant(Value::string("foo")));
  Value props = std::move(dict).build();
  EXPECT_EQ(props.signature(), "a{sv}");
  Value entry = Value::dict_entry(Value::object_path("/clients/foo"), props);
  EXPECT_EQ(entry.signature(), "{oa{sv}}");
  EXPECT_EQ(Value::array("{oa{sv}}", {entry}).signature(), "a{oa{sv}}");
  EXPECT_EQ(Value::structure({Value::int32(1), Value::string("a")}).signature(), "(is)");
}

TEST(DbusValue, EmptyArraysKeepTheirElementType) {
  EXPECT_EQ(Value::array("s").signature(), "as");
  EXPECT_EQ(Value::array("{sv}").signature(), "a{sv}");
  EXPECT_TRUE(Value::array("s").children().empty());
}

TEST(DbusValue, ByteArraysAreStoredAsBytes) {
  Value bytes = Value::array("y", {Value::byte(1), Value::byte(255)});
  EXPECT_EQ(bytes.signature(), "ay");
  EXPECT_EQ(bytes.as_bytes().view(), std::string("\x01\xff", 2));
  EXPECT_EQ(Value::bytes(SecretBytes(std::string_view("ab"))),
            Value::array("y", {Value::byte('a'), Value::byte('b')}));
}

TEST(DbusValue, EveryIntegerTypeConvertsWhenItFits) {
  EXPECT_EQ(Value::int32(300000).as_uint64(), 300000u);
  EXPECT_EQ(Value::byte(7).as_int64(), 7);
  EXPECT_EQ(Value::uint16(65535).as_uint64(), 65535u);
  EXPECT_EQ(Value::int64(-1).as_uint64(), std::nullopt);
  EXPECT_EQ(Value::uint64(UINT64_MAX).as_int64(), std::nullopt);
  EXPECT_EQ(Value::string("5").as_int64(), std::nullopt);
  EXPECT_FALSE(Value::boolean(true).is_integer());
}

TEST(DbusValue, DescribesValuesForErrorMessages) {
  EXPECT_EQ(describe(Value::int32(-5)), "int32 -5");
  EXPECT_EQ(describe(Value::string("x")), "string");
  EXPECT_EQ(describe(Value::bytes(SecretBytes(std::string_view("abc")))), "array of 3 bytes");
  EXPECT_EQ(describe(Value::array("s")), "array of type 'as'");
}

}  // namespace
}  // namespace mandos::server::dbus
