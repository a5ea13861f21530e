#include "discovery.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "mandos/fd.hpp"
#include "mandos/test/support.hpp"
#include "output_buffer.hpp"

namespace mandos::runner {
namespace {

TEST(SkipPattern, MatchesEditorAndPackageManagerLeftovers) {
  EXPECT_STREQ(skip_pattern(".hidden"), ".*");
  EXPECT_STREQ(skip_pattern("."), ".*");
  EXPECT_STREQ(skip_pattern("#plugin#"), "#*#");
  EXPECT_STREQ(skip_pattern("plugin~"), "*~");
  EXPECT_STREQ(skip_pattern("plugin.dpkg-new"), "*.dpkg-new");
  EXPECT_STREQ(skip_pattern("plugin.dpkg-old"), "*.dpkg-old");
  EXPECT_STREQ(skip_pattern("plugin.dpkg-bak"), "*.dpkg-bak");
  EXPECT_STREQ(skip_pattern("plugin.dpkg-divert"), "*.dpkg-divert");
}

TEST(SkipPattern, AcceptsOrdinaryNames) {
  for (const char* name : {"mandos-client", "password-prompt", "a.b", "#only-start", "x.dpkg",
                           "~tilde-first", "dpkg-new"}) {
    EXPECT_EQ(skip_pattern(name), nullptr) << name;
  }
}

TEST(ListCandidates, ReturnsGoodNamesInAlphasortOrder) {
  mandos::test::TempDir dir;
  for (const char* name : {"b", "a", "C", ".x", "y~", "B"}) {
    mandos::test::write_file(dir.file(name), "");
  }
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto names = list_candidates(fd.get(), false);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"B", "C", "a", "b"}));
}

TEST(ListCandidates, FailsForANonDirectory) {
  mandos::test::TempDir dir;
  mandos::test::write_file(dir.file("file"), "");
  UniqueFd fd(::open(dir.file("file").c_str(), O_RDONLY | O_CLOEXEC));
  auto names = list_candidates(fd.get(), false);
  ASSERT_FALSE(names.ok());
  EXPECT_NE(names.error().message.find("Could not scan plugin dir"), std::string::npos);
}

TEST(OutputBuffer, GrowsAndKeepsBytesUpToItsLimit) {
  OutputBuffer buffer(10000);
  std::string expected;
  for (char fill = 'a'; !buffer.full(); ++fill) {
    auto [space, room] = buffer.reserve(3000);
    ASSERT_GT(room, 0u);
    for (size_t i = 0; i < room; ++i) space[i] = fill;
    buffer.commit(room);
    expected.append(room, fill);
  }
  EXPECT_TRUE(buffer.full());
  EXPECT_EQ(buffer.size(), 10000u);
  EXPECT_EQ(buffer.view(), expected.substr(0, 10000));
  EXPECT_EQ(buffer.reserve(1).second, 0u);
  buffer.reset();
  EXPECT_EQ(buffer.size(), 0u);
}

}  // namespace
}  // namespace mandos::runner
