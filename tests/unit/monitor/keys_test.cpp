#include "keys.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "fake_bus.hpp"

namespace mandos::monitor {
namespace {

KeyPress ch(char32_t c) { return KeyPress{c, Special::None, false}; }
KeyPress meta(char32_t c) { return KeyPress{c, Special::None, true}; }
KeyPress special(Special s) { return KeyPress{0, s, false}; }
constexpr char32_t ctrl(char letter) { return static_cast<char32_t>(letter - 'a' + 1); }

TEST(KeyBindings, MapEveryKeyOfTheReference) {
  const std::vector<std::pair<KeyPress, Command>> table = {
      {ch('q'), Command::Quit},          {ch('Q'), Command::Quit},
      {ch(ctrl('l')), Command::Redraw},  {ch('?'), Command::Help},
      {special(Special::F1), Command::Help}, {ch(27), Command::Help},
      {ch('l'), Command::ToggleLog},     {ch('D'), Command::ToggleLog},
      {ch('\t'), Command::SwitchPane},   {ch('w'), Command::ToggleWrap},
      {ch('i'), Command::ToggleWrap},    {ch('v'), Command::ToggleVerbose},
      {special(Special::Up), Command::Up}, {ch(ctrl('p')), Command::Up},
      {ch('k'), Command::Up},            {special(Special::Down), Command::Down},
      {ch(ctrl('n')), Command::Down},    {ch('j'), Command::Down},
      {special(Special::PageUp), Command::PageUp}, {meta('v'), Command::PageUp},
      {ch('b'), Command::PageUp},        {special(Special::PageDown), Command::PageDown},
      {ch(ctrl('v')), Command::PageDown}, {ch(' '), Command::PageDown},
      {ch('f'), Command::PageDown},      {special(Special::Resize), Command::Resize},
      {ch('+'), Command::Enable},        {ch('-'), Command::Disable},
      {ch('a'), Command::Approve},       {ch('d'), Command::Deny},
      {ch('R'), Command::Remove},        {ch('_'), Command::Remove},
      {ch(ctrl('k')), Command::Remove},  {ch('s'), Command::StartChecker},
      {ch('S'), Command::StopChecker},   {ch('C'), Command::CheckedOk},
  };
  for (const auto& [key, command] : table) {
    EXPECT_EQ(command_for(key), command)
        << "key " << static_cast<unsigned>(key.character) << " special "
        << static_cast<int>(key.special) << " meta " << key.meta;
  }
}

TEST(KeyBindings, IgnoreUnboundKeysAndOtherMetaKeys) {
  EXPECT_EQ(command_for(ch('x')), Command::None);
  EXPECT_EQ(command_for(ch('A')), Command::None);
  EXPECT_EQ(command_for(meta('q')), Command::None);
  EXPECT_EQ(command_for(ch(U'\u00e5')), Command::None);
}

TEST(ClientCommands, MakeTheReferencesDBusCalls) {
  fake::FakeBus bus;
  const std::string path = "/clients/foo";
  for (Command command : {Command::Enable, Command::Disable, Command::Approve, Command::Deny,
                          Command::Remove, Command::StartChecker, Command::StopChecker,
                          Command::CheckedOk}) {
    EXPECT_TRUE(send_client_command(command, path, bus));
  }
  EXPECT_EQ(bus.calls, (std::vector<std::string>{
                           "Set /clients/foo Enabled true",
                           "Set /clients/foo Enabled false",
                           "Approve /clients/foo true",
                           "Approve /clients/foo false",
                           "RemoveClient /clients/foo",
                           "Set /clients/foo CheckerRunning true",
                           "Set /clients/foo CheckerRunning false",
                           "CheckedOK /clients/foo",
                       }));
}

TEST(ClientCommands, OtherCommandsMakeNoCall) {
  fake::FakeBus bus;
  EXPECT_FALSE(send_client_command(Command::Quit, "/clients/foo", bus));
  EXPECT_FALSE(send_client_command(Command::Help, "/clients/foo", bus));
  EXPECT_FALSE(send_client_command(Command::Down, "/clients/foo", bus));
  EXPECT_TRUE(bus.calls.empty());
}

}  // namespace
}  // namespace mandos::monitor
