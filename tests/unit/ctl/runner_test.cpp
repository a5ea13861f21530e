#include "runner.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "dbus_cpp_bus.hpp"

namespace mandos::ctl {
namespace {

Client client(const std::string& name, bool enabled) {
  Client c;
  c.path = "/clients/" + name;
  c.properties = {{"Name", name},
                  {"Enabled", enabled},
                  {"Timeout", std::uint64_t{300000}},
                  {"LastCheckedOK", std::string()}};
  return c;
}

// Records every call as a line; can fail the Nth call.
class FakeBus final : public MandosBus {
 public:
  std::vector<Client> listed = {client("foo", true), client("bar", false), client("baz", true)};
  std::optional<Error> list_error;
  std::optional<Error> call_error;  // returned by every action call
  std::vector<std::string> calls;

  Result<std::vector<Client>> clients() override {
    calls.push_back("GetManagedObjects");
    if (list_error) return *list_error;
    return listed;
  }
  Status set_property(const std::string& path, const std::string& property,
                      const SetValue& value) override {
    calls.push_back("Set " + path + " " + property + " " + debug_repr(value));
    if (call_error) return *call_error;
    return {};
  }
  Status approve(const std::string& path, bool approve) override {
    calls.push_back("Approve " + path + (approve ? " True" : " False"));
    if (call_error) return *call_error;
    return {};
  }
  Status remove_client(const std::string& path) override {
    calls.push_back("RemoveClient " + path);
    if (call_error) return *call_error;
    return {};
  }
};

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome run(FakeBus& bus, const Invocation& invocation) {
  std::ostringstream out;
  std::ostringstream err;
  const int status = run_invocation(
      invocation,
      [&bus](std::ostream*) -> Result<std::unique_ptr<MandosBus>> {
        // The runner owns what it gets; hand it a forwarding shell.
        struct Forward final : MandosBus {
          FakeBus& bus;
          explicit Forward(FakeBus& b) : bus(b) {}
          Result<std::vector<Client>> clients() override { return bus.clients(); }
          Status set_property(const std::string& p, const std::string& n,
                              const SetValue& v) override {
            return bus.set_property(p, n, v);
          }
          Status approve(const std::string& p, bool a) override { return bus.approve(p, a); }
          Status remove_client(const std::string& p) override { return bus.remove_client(p); }
        };
        return std::unique_ptr<MandosBus>(std::make_unique<Forward>(bus));
      },
      out, err);
  return {status, out.str(), err.str()};
}

Command command(CommandKind kind) {
  Command c;
  c.kind = kind;
  return c;
}

Invocation on(std::vector<std::string> clients, std::vector<Command> commands) {
  Invocation invocation;
  invocation.clients = std::move(clients);
  invocation.commands = std::move(commands);
  return invocation;
}

TEST(RunInvocation, PrintsTheTableOfAllClientsInServerOrder) {
  FakeBus bus;
  const Outcome outcome = run(bus, Invocation{});
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.out,
            "Name Enabled Timeout  Last Successful Check\n"
            "foo  Yes     00:05:00                      \n"
            "bar  No      00:05:00                      \n"
            "baz  Yes     00:05:00                      \n");
  EXPECT_EQ(outcome.err, "");
}

TEST(RunInvocation, SelectsNamedClientsInTheOrderGivenAndOnce) {
  FakeBus bus;
  const Outcome outcome = run(bus, on({"baz", "foo", "baz"}, {}));
  EXPECT_EQ(outcome.out,
            "Name Enabled Timeout  Last Successful Check\n"
            "baz  Yes     00:05:00                      \n"
            "foo  Yes     00:05:00                      \n");
}

TEST(RunInvocation, UnknownClientNameFailsBeforeAnyAction) {
  FakeBus bus;
  const Outcome outcome = run(bus, on({"foo", "it's"}, {command(CommandKind::kEnable)}));
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err, "Client not found on server: \"it's\"\n");
  EXPECT_EQ(bus.calls, (std::vector<std::string>{"GetManagedObjects"}));
}

TEST(RunInvocation, RunsEachCommandOverAllSelectedClientsInCommandLineOrder) {
  FakeBus bus;
  Command timeout = command(CommandKind::kSetTimeout);
  timeout.milliseconds = 420000;
  Command host = command(CommandKind::kSetHost);
  host.text = "h";
  const Outcome outcome =
      run(bus, on({"foo", "bar"}, {command(CommandKind::kDisable), timeout, host,
                                   command(CommandKind::kBumpTimeout)}));
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(bus.calls, (std::vector<std::string>{
                           "GetManagedObjects",
                           "Set /clients/foo Enabled False",
                           "Set /clients/bar Enabled False",
                           "Set /clients/foo Timeout 420000",
                           "Set /clients/bar Timeout 420000",
                           "Set /clients/foo Host 'h'",
                           "Set /clients/bar Host 'h'",
                           "Set /clients/foo LastCheckedOK ''",
                           "Set /clients/bar LastCheckedOK ''",
                       }));
}

TEST(RunInvocation, SendsEveryPropertyWithTheServersType) {
  FakeBus bus;
  Command secret = command(CommandKind::kSetSecret);
  secret.secret = SecretBytes("abc");
  const Outcome outcome = run(
      bus, on({"foo"}, {command(CommandKind::kStartChecker), command(CommandKind::kStopChecker),
                        command(CommandKind::kApproveByDefault),
                        command(CommandKind::kDenyByDefault), secret,
                        command(CommandKind::kEnable)}));
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(bus.calls, (std::vector<std::string>{
                           "GetManagedObjects",
                           "Set /clients/foo CheckerRunning True",
                           "Set /clients/foo CheckerRunning False",
                           "Set /clients/foo ApprovedByDefault True",
                           "Set /clients/foo ApprovedByDefault False",
                           "Set /clients/foo Secret <3 bytes, not shown>",
                           "Set /clients/foo Enabled True",
                       }));
}

TEST(RunInvocation, DeniesBeforeRemoving) {
  FakeBus bus;
  const Outcome outcome =
      run(bus, on({"foo", "baz"}, {command(CommandKind::kRemove), command(CommandKind::kDeny)}));
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(bus.calls, (std::vector<std::string>{
                           "GetManagedObjects",
                           "Approve /clients/foo False",
                           "Approve /clients/baz False",
                           "RemoveClient /clients/foo",
                           "RemoveClient /clients/baz",
                       }));
}

TEST(RunInvocation, AllWithoutNamesActsOnEveryClient) {
  FakeBus bus;
  Invocation invocation = on({}, {command(CommandKind::kApprove)});
  invocation.all = true;
  EXPECT_EQ(run(bus, invocation).status, 0);
  EXPECT_EQ(bus.calls, (std::vector<std::string>{"GetManagedObjects", "Approve /clients/foo True",
                                                 "Approve /clients/bar True",
                                                 "Approve /clients/baz True"}));
}

TEST(RunInvocation, IsEnabledExitsWithTheClientsState) {
  FakeBus bus;
  EXPECT_EQ(run(bus, on({"foo"}, {command(CommandKind::kIsEnabled)})).status, 0);
  EXPECT_EQ(run(bus, on({"bar"}, {command(CommandKind::kIsEnabled)})).status, 1);
  // Commands after --is-enabled do not run, as in the reference.
  bus.calls.clear();
  EXPECT_EQ(run(bus, on({"bar"}, {command(CommandKind::kIsEnabled),
                                  command(CommandKind::kEnable)}))
                .status,
            1);
  EXPECT_EQ(bus.calls, (std::vector<std::string>{"GetManagedObjects"}));
}

TEST(RunInvocation, IsEnabledWithoutAnyClientFailsWithAMessage) {
  FakeBus bus;
  bus.listed.clear();
  Invocation invocation = on({}, {command(CommandKind::kIsEnabled)});
  invocation.all = true;
  const Outcome outcome = run(bus, invocation);
  EXPECT_EQ(outcome.status, 1);
  EXPECT_NE(outcome.err.find("no clients"), std::string::npos);
}

TEST(RunInvocation, DumpsJsonOfTheSelection) {
  FakeBus bus;
  for (Client& c : bus.listed) {
    for (const Column& column : kColumns) {
      if (c.find(column.property) == nullptr) c.properties.emplace_back(column.property, true);
    }
  }
  const Outcome outcome = run(bus, on({"bar"}, {command(CommandKind::kDumpJson)}));
  EXPECT_EQ(outcome.status, 0);
  EXPECT_TRUE(outcome.out.starts_with("{\n    \"bar\": {\n        \"Name\": \"bar\",\n"));
  EXPECT_EQ(outcome.out.find("foo"), std::string::npos);
}

TEST(RunInvocation, ZeroClientsGiveAHeaderOnlyTable) {
  FakeBus bus;
  bus.listed.clear();
  const Outcome outcome = run(bus, Invocation{});
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.out, "Name Enabled Timeout Last Successful Check\n");
}

TEST(RunInvocation, ReportsConnectionFailuresLikeTheReference) {
  FakeBus bus;
  bus.list_error = fail("The name se.recompile.Mandos was not provided by any .service files",
                        static_cast<int>(BusErrorKind::kNoServer));
  Outcome outcome = run(bus, Invocation{});
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err,
            "Could not connect to Mandos server: The name se.recompile.Mandos was not provided "
            "by any .service files\n");
  bus.list_error = fail("Something broke", static_cast<int>(BusErrorKind::kFailed));
  outcome = run(bus, Invocation{});
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err, "Failed to access Mandos server through D-Bus:\nSomething broke\n");
}

TEST(RunInvocation, ReportsPermissionDeniedOnOneLine) {
  FakeBus bus;
  bus.list_error = fail("Rejected send message, 2 matched rules; type=\"method_call\"",
                        static_cast<int>(BusErrorKind::kAccessDenied));
  const Outcome outcome = run(bus, Invocation{});
  EXPECT_EQ(outcome.status, 1);
  EXPECT_TRUE(outcome.err.starts_with("Could not connect to Mandos server: permission denied"));
  EXPECT_EQ(outcome.err.find('\n'), outcome.err.size() - 1);
}

TEST(RunInvocation, ConnectFailureStopsEverything) {
  std::ostringstream out;
  std::ostringstream err;
  const int status = run_invocation(
      Invocation{},
      [](std::ostream*) -> Result<std::unique_ptr<MandosBus>> {
        return fail("Failed to connect to socket /x: No such file or directory",
                    static_cast<int>(BusErrorKind::kNoBus));
      },
      out, err);
  EXPECT_EQ(status, 1);
  EXPECT_EQ(err.str(),
            "Could not connect to Mandos server: Failed to connect to socket /x: No such file "
            "or directory\n");
}

TEST(RunInvocation, StopsAtTheFirstFailedActionNamingClientAndProperty) {
  FakeBus bus;
  bus.call_error = fail(
      "Traceback (most recent call last):\n  File \"x\", line 1\nOverflowError: too big\n",
      static_cast<int>(BusErrorKind::kFailed));
  Command timeout = command(CommandKind::kSetTimeout);
  timeout.milliseconds = 1ull << 33;
  const Outcome outcome =
      run(bus, on({"foo", "bar"}, {timeout, command(CommandKind::kEnable)}));
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err, "Failed to set Timeout of client 'foo': OverflowError: too big\n");
  EXPECT_EQ(bus.calls.size(), 2u);
}

TEST(OrderCommands, MovesEveryDenyAfterTheFirstRemoveToJustBeforeIt) {
  std::vector<Command> commands;
  for (CommandKind kind : {CommandKind::kEnable, CommandKind::kRemove, CommandKind::kDisable,
                           CommandKind::kDeny, CommandKind::kRemove, CommandKind::kDeny}) {
    commands.push_back(command(kind));
  }
  std::vector<CommandKind> kinds;
  for (const Command& c : order_commands(std::move(commands))) kinds.push_back(c.kind);
  EXPECT_EQ(kinds, (std::vector<CommandKind>{CommandKind::kEnable, CommandKind::kDeny,
                                             CommandKind::kDeny, CommandKind::kRemove,
                                             CommandKind::kDisable, CommandKind::kRemove}));
}

TEST(OrderCommands, LeavesCommandsWithoutRemoveAlone) {
  std::vector<Command> commands;
  for (CommandKind kind : {CommandKind::kDeny, CommandKind::kEnable, CommandKind::kDeny}) {
    commands.push_back(command(kind));
  }
  const auto ordered = order_commands(std::move(commands));
  ASSERT_EQ(ordered.size(), 3u);
  EXPECT_EQ(ordered[1].kind, CommandKind::kEnable);
}

TEST(SummarizeBusMessage, KeepsPlainMessagesAndShortensTracebacks) {
  EXPECT_EQ(summarize_bus_message("No such client"), "No such client");
  EXPECT_EQ(summarize_bus_message("Traceback (most recent call last):\n  x\nKeyError: 'a'\n\n"),
            "KeyError: 'a'");
}

}  // namespace
}  // namespace mandos::ctl
