#include "plugin_table.hpp"

#include <gtest/gtest.h>

namespace mandos::runner {
namespace {

TEST(AddEnvironment, AppendsANewVariable) {
  std::vector<std::string> env{"A=1"};
  add_environment(env, "B=2", false);
  EXPECT_EQ(env, (std::vector<std::string>{"A=1", "B=2"}));
}

TEST(AddEnvironment, ReplacesTheSameVariableOnlyWhenAsked) {
  std::vector<std::string> env{"A=1", "AB=2"};
  add_environment(env, "A=new", false);
  EXPECT_EQ(env, (std::vector<std::string>{"A=1", "AB=2"}));
  add_environment(env, "A=new", true);
  EXPECT_EQ(env, (std::vector<std::string>{"A=new", "AB=2"}));
}

TEST(AddEnvironment, DoesNotConfuseAPrefixWithTheSameName) {
  std::vector<std::string> env{"ABC=1"};
  add_environment(env, "AB=2", true);
  EXPECT_EQ(env, (std::vector<std::string>{"ABC=1", "AB=2"}));
}

TEST(AddEnvironment, MatchesADefinitionWithoutEqualsSignOnlyExactly) {
  std::vector<std::string> env{"A=1"};
  add_environment(env, "A", true);
  EXPECT_EQ(env, (std::vector<std::string>{"A=1", "A"}));
  add_environment(env, "A", true);
  EXPECT_EQ(env.size(), 2u);
}

TEST(PluginTable, CreatesEntriesOnFirstMentionInOrder) {
  PluginTable table;
  table.get("b").disabled = true;
  table.get("a");
  EXPECT_TRUE(table.get("b").disabled);
  auto named = table.named();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0]->name, "b");
  EXPECT_EQ(named[1]->name, "a");
  EXPECT_LT(named[0]->created, named[1]->created);
  EXPECT_EQ(table.find("c"), nullptr);
}

TEST(PluginTable, KeepsReferencesValidWhileGrowing) {
  PluginTable table;
  PluginSpec& first = table.get("first");
  for (int i = 0; i < 1000; ++i) table.get("p" + std::to_string(i));
  first.args.push_back("still here");
  EXPECT_EQ(table.find("first")->args.front(), "still here");
}

TEST(PluginArgv, PutsTheNameThenPluginOptionsThenGlobalOptions) {
  PluginTable table;
  table.global().args = {"g1", ""};
  table.get("p").args = {"o1", "o2"};
  EXPECT_EQ(plugin_argv(table.get("p"), table.global()),
            (std::vector<std::string>{"p", "o1", "o2", "g1", ""}));
}

TEST(PluginEnvironment, PrefersPluginThenGlobalThenInheritedVariables) {
  PluginTable table;
  table.global().env = {"V=global", "W=global"};
  table.get("p").env = {"V=plugin"};
  const char* inherited[] = {"V=inherited", "W=inherited", "X=inherited", nullptr};
  EXPECT_EQ(plugin_environment(table.get("p"), table.global(), inherited),
            (std::vector<std::string>{"V=plugin", "W=global", "X=inherited"}));
}

}  // namespace
}  // namespace mandos::runner
