#include "self_test.hpp"

#include <functional>
#include <ostream>
#include <sstream>

#include "options.hpp"
#include "output.hpp"
#include "runner.hpp"
#include "text.hpp"

namespace mandos::ctl {
namespace {

// A failed check's description; empty when it passed.
using Check = std::function<std::string()>;

std::string expect_equal(const std::string& what, const std::string& got,
                         const std::string& expected) {
  if (got == expected) return "";
  return what + ": got " + python_repr(got) + ", expected " + python_repr(expected);
}

std::string time_check(const std::string& text, std::uint64_t expected_ms, bool warns) {
  const auto parsed = parse_command_line({"--timeout", text, "c"});
  if (parsed.action != ParseAction::kRun || parsed.invocation.commands.size() != 1) {
    return "TIME " + python_repr(text) + " was not accepted: " + parsed.error;
  }
  const std::uint64_t got = parsed.invocation.commands[0].milliseconds;
  if (got != expected_ms) {
    return "TIME " + python_repr(text) + " gave " + std::to_string(got) + " ms, expected " +
           std::to_string(expected_ms);
  }
  if (parsed.warnings.empty() == warns) {
    return "TIME " + python_repr(text) + (warns ? " gave no warning" : " gave a warning");
  }
  return "";
}

std::string usage_check(const std::vector<std::string>& args, const std::string& message) {
  const auto parsed = parse_command_line(args, [](const std::string&) -> Result<SecretBytes> {
    return SecretBytes("s");
  });
  if (parsed.action != ParseAction::kUsageError) return "no usage error for " + message;
  return expect_equal("usage error", parsed.error, message);
}

Client sample_client(const std::string& name, bool enabled, std::uint64_t timeout_ms) {
  Client client{"/clients/" + name, {}};
  for (const Column& column : kColumns) {
    client.properties.emplace_back(column.property, std::string());
  }
  const auto set = [&client](const std::string& key, PropertyValue value) {
    for (auto& [property, old] : client.properties) {
      if (property == key) old = std::move(value);
    }
  };
  set("Name", name);
  set("Enabled", enabled);
  set("Timeout", timeout_ms);
  set("LastCheckedOK", std::string("2019-02-03T00:00:00"));
  return client;
}

class ListOnlyBus final : public MandosBus {
 public:
  explicit ListOnlyBus(std::vector<Client> clients) : clients_(std::move(clients)) {}
  Result<std::vector<Client>> clients() override { return clients_; }
  Status set_property(const std::string&, const std::string&, const SetValue&) override {
    return fail("unexpected call");
  }
  Status approve(const std::string&, bool) override { return fail("unexpected call"); }
  Status remove_client(const std::string&) override { return fail("unexpected call"); }

 private:
  std::vector<Client> clients_;
};

std::string run_check(const Invocation& invocation, int expected_status,
                      const std::string& expected_out, const std::string& expected_err) {
  const std::vector<Client> clients = {sample_client("foo", true, 300000),
                                       sample_client("barbar", true, 93785000)};
  std::ostringstream out;
  std::ostringstream err;
  const int status = run_invocation(
      invocation,
      [&](std::ostream*) -> Result<std::unique_ptr<MandosBus>> {
        return std::unique_ptr<MandosBus>(std::make_unique<ListOnlyBus>(clients));
      },
      out, err);
  if (status != expected_status) return "exit status " + std::to_string(status);
  std::string problem = expect_equal("output", out.str(), expected_out);
  return problem.empty() ? expect_equal("messages", err.str(), expected_err) : problem;
}

std::vector<std::pair<std::string, Check>> checks() {
  return {
      {"RFC 3339 TIME", [] { return time_check("PT5M", 300000, false); }},
      {"RFC 3339 TIME with days", [] { return time_check("P1DT3M20S", 86600000, false); }},
      {"legacy TIME", [] { return time_check("5m 30s", 330000, true); }},
      {"legacy TIME ignores junk", [] { return time_check("2dxy7zz11y3m5m", 173280018, true); }},
      {"legacy TIME bare number is ms", [] { return time_check("3", 3, true); }},
      {"empty TIME", [] { return time_check("", 0, true); }},
      {"action needs clients",
       [] { return usage_check({"--enable"}, "Options require clients names or --all."); }},
      {"verbose alone",
       [] { return usage_check({"-v", "-e", "c"}, "--verbose can only be used alone."); }},
      {"dump-json alone",
       [] { return usage_check({"-j", "-e", "c"}, "--dump-json can only be used alone."); }},
      {"all needs action", [] { return usage_check({"--all"}, "--all requires an action."); }},
      {"is-enabled one client",
       [] { return usage_check({"-V", "a", "b"}, "--is-enabled requires exactly one client"); }},
      {"remove with deny only",
       [] { return usage_check({"-r", "-e", "c"}, "--remove can only be combined with --deny"); }},
      {"exclusive pair",
       [] {
         return usage_check({"-e", "-d", "c"},
                            "argument -d/--disable: not allowed with argument -e/--enable");
       }},
      {"deny moves before remove",
       [] {
         std::vector<Command> commands(3);
         commands[0].kind = CommandKind::kRemove;
         commands[1].kind = CommandKind::kEnable;
         commands[2].kind = CommandKind::kDeny;
         const auto ordered = order_commands(std::move(commands));
         return ordered[0].kind == CommandKind::kDeny && ordered[1].kind == CommandKind::kRemove
                    ? ""
                    : "wrong order";
       }},
      {"default table",
       [] {
         return run_check(Invocation{}, 0,
                          "Name   Enabled Timeout    Last Successful Check\n"
                          "foo    Yes     00:05:00   2019-02-03T00:00:00  \n"
                          "barbar Yes     1T02:03:05 2019-02-03T00:00:00  \n",
                          "");
       }},
      {"unknown client",
       [] {
         Invocation invocation;
         invocation.clients = {"nobody"};
         return run_check(invocation, 1, "", "Client not found on server: 'nobody'\n");
       }},
      {"JSON escaping",
       [] { return expect_equal("JSON", json_string("h\xc3\xb4st\"\xf0\x9f\x98\x80\n"),
                                "\"h\\u00f4st\\\"\\ud83d\\ude00\\n\""); }},
      {"repr quoting",
       [] { return expect_equal("repr", python_repr("it's"), "\"it's\""); }},
      {"zero clients table",
       [] {
         auto table = format_table({}, false);
         return expect_equal("table", table ? *table : table.error().message,
                             "Name Enabled Timeout Last Successful Check\n");
       }},
  };
}

}  // namespace

int run_self_tests(std::ostream& err) {
  int failures = 0;
  const auto all = checks();
  for (const auto& [name, check] : all) {
    const std::string problem = check();
    if (!problem.empty()) {
      ++failures;
      err << "FAIL: " << name << ": " << problem << "\n";
    }
  }
  err << "mandos-ctl self-test: " << all.size() << " checks, ";
  if (failures == 0) {
    err << "all passed\n";
    return kExitOk;
  }
  err << failures << " failed\n";
  return kExitFailure;
}

}  // namespace mandos::ctl
