#include "daemon/self_check.hpp"

#include <functional>
#include <vector>

#include "daemon/base64.hpp"
#include "daemon/checker_command.hpp"
#include "daemon/client_config.hpp"
#include "daemon/state.hpp"
#include "daemon/worker_pool.hpp"
#include "mandos/duration.hpp"

namespace mandos::server {
namespace {

using namespace std::chrono_literals;

struct Check {
  std::string name;
  std::function<Status()> run;
};

Status expect(bool condition, const std::string& what) {
  if (condition) return {};
  return fail(what);
}

ClientData fixture_client() {
  ClientData d;
  d.name = "foo.example";
  d.host = "host name";
  d.key_id = "AB12";
  d.checker = "fping -q -- %(host)s";
  d.timeout = 5min;
  d.interval = 2min;
  d.created = WallTime(std::chrono::seconds(1672628645) + 120000us);  // 2023-01-02 03:04:05.12
  d.secret = SecretBytes("runtime secret");
  return d;
}

std::vector<Check> built_in_checks() {
  return {
      {"durations parse as the reference does",
       [] {
         auto a = parse_duration("PT5M");
         auto b = parse_duration("1d 2h");
         auto c = parse_duration("1d2h");
         return expect(a && *a == 5min && b && *b == 26h && !c, "duration parsing");
       }},
      {"base64 secrets decode leniently and refuse bad padding",
       [] {
         auto good = decode_python_base64("aGVs\n  bG8=");
         auto bad = decode_python_base64("aGVsbG8");
         return expect(good && good->view() == "hello" && !bad, "base64 decoding");
       }},
      {"checker commands expand with shell quoting",
       [] {
         ClientData d = fixture_client();
         d.checker = "check %(host)s %(name)s %(timeout)s %(created)s %(expires)s %%";
         auto command = expand_checker_command(d, false);
         return expect(command && *command ==
                                      "check 'host name' foo.example 0:05:00 "
                                      "'2023-01-02 03:04:05.120000' None %",
                       "expansion gave: " + (command ? *command : command.error().message));
       }},
      {"unknown checker keys are refused",
       [] {
         ClientData d = fixture_client();
         d.checker = "ping %(nosuchkey)s";
         return expect(!expand_checker_command(d, false), "unknown key accepted");
       }},
      {"state survives a JSON round trip with its secret",
       []() -> Status {
         ClientData d = fixture_client();
         ClientConfig config;
         config.name = d.name;
         config.secret = SecretBytes("config secret");
         auto text = serialize_state({&d}, {config}, d.created);
         if (!text) return text.error();
         auto parsed = parse_state(*text, "fixture");
         if (!parsed) return parsed.error();
         if (parsed->clients.size() != 1) return fail("client count");
         auto secret = decrypt_secret(parsed->clients[0].secret, config.secret, d.name);
         auto wrong = decrypt_secret(parsed->clients[0].secret, SecretBytes("other"), d.name);
         return expect(secret && secret->view() == "runtime secret" && !wrong &&
                           parsed->clients[0].data.created == d.created,
                       "round trip mismatch");
       }},
      {"truncated state files are refused",
       [] {
         return expect(!parse_state("{\"format\": \"mandos-server-state\", \"vers", "t"),
                       "truncated state accepted");
       }},
  };
}

}  // namespace

int run_self_check(const ServerSettings& settings, const std::string& config_error,
                   std::ostream& out) {
  int failures = 0;
  auto report = [&](const std::string& name, const Status& status) {
    if (status) {
      out << "ok - " << name << "\n";
    } else {
      ++failures;
      out << "FAIL - " << name << ": " << status.error().message << "\n";
    }
  };
  for (const Check& check : built_in_checks()) report(check.name, check.run());

  // The configuration this server would run with.
  report(settings.configdir + "/mandos.conf is valid",
         config_error.empty() ? Status() : Status(fail(config_error)));
  auto clients = load_client_configs(settings.configdir + "/clients.conf");
  if (!clients) {
    report(settings.configdir + "/clients.conf is valid", clients.error());
  } else {
    report(settings.configdir + "/clients.conf is valid (" + std::to_string(clients->size()) +
               " clients)",
           Status());
    report("every secfile is readable", read_secret_files(*clients));
  }
  report("mandos-tls-worker is installed",
         find_worker_program().empty() ? Status(fail("not found")) : Status());
  out << (failures == 0 ? "All checks passed\n" : std::to_string(failures) + " checks failed\n");
  return failures == 0 ? 0 : 1;
}

}  // namespace mandos::server
