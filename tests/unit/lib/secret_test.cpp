#include "mandos/secret.hpp"

#include <gtest/gtest.h>

namespace mandos {
namespace {

TEST(SecretBytes, AppendsByteExactIncludingNulBytes) {
  SecretBytes secret;
  secret.append(std::string_view("a\0b", 3));
  secret.append("cd", 2);
  EXPECT_EQ(secret.view(), std::string_view("a\0bcd", 5));
}

TEST(SecretBytes, ManySmallAppendsKeepEveryByteInOrder) {
  SecretBytes secret;
  std::string expected;
  for (int i = 0; i < 10000; ++i) {
    char c = static_cast<char>(i % 251);
    secret.append(&c, 1);
    expected.push_back(c);
  }
  EXPECT_EQ(secret.view(), expected);
}

TEST(SecretBytes, EraseFrontDropsConsumedBytesAndWipesTheVacatedTail) {
  SecretBytes secret(std::string_view("headerPAYLOAD"));
  const char* storage = secret.data();
  secret.erase_front(6);
  EXPECT_EQ(secret.view(), "PAYLOAD");
  // The bytes past the new end (still our allocation) hold no leftovers.
  EXPECT_EQ(std::string(storage + 7, 6), std::string(6, '\0'));
  secret.erase_front(100);
  EXPECT_TRUE(secret.empty());
}

TEST(SecretBytes, ClearEmptiesAndCopiesAreIndependent) {
  SecretBytes original(std::string_view("secret"));
  SecretBytes copy = original;
  original.clear();
  EXPECT_TRUE(original.empty());
  EXPECT_EQ(copy.view(), "secret");
}

}  // namespace
}  // namespace mandos
