#include "daemon/state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "fakes.hpp"
#include "mandos/test/support.hpp"

namespace mandos::server::test {
namespace {

ClientConfig config_for(const std::string& name, const std::string& secret = "config secret") {
  ClientConfig c;
  c.name = name;
  c.timeout = 5min;
  c.extended_timeout = 15min;
  c.interval = 2min;
  c.approval_duration = 1s;
  c.checker = "fping -q -- %(host)s";
  c.host = "h-" + name;
  c.key_id = kKeyA;
  c.secret = SecretBytes(secret);
  return c;
}

ClientData runtime_for(const ClientConfig& c, WallTime now) {
  ClientData d = client_from_config(c, now);
  d.last_checked_ok = now - 1min;
  d.last_checker_status = 0;
  d.expires = now + 4min;
  return d;
}

SavedState round_trip(const std::vector<const ClientData*>& clients,
                      const std::vector<ClientConfig>& settings, WallTime now) {
  auto text = serialize_state(clients, settings, now);
  EXPECT_TRUE(text) << text.error().message;
  auto parsed = parse_state(text ? *text : "", "clients.json");
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? std::move(parsed).value() : SavedState{};
}

const WallTime kNow = WallTime(std::chrono::seconds(1'700'000'000) + 123456us);

TEST(StateFile, RoundTripKeepsEveryAttribute) {
  ClientConfig config = config_for("foo");
  ClientData d = runtime_for(config, kNow);
  d.fingerprint = "0123";
  d.enabled = false;
  d.last_enabled.reset();
  d.last_approval_request = kNow - 5s;
  d.last_checker_status = -1;
  d.last_checker_signal = 9;
  d.approval_delay = 3s;
  d.approved_by_default = false;
  SavedState state = round_trip({&d}, {config}, kNow);
  ASSERT_EQ(state.clients.size(), 1u);
  const ClientData& r = state.clients[0].data;
  EXPECT_EQ(r.name, d.name);
  EXPECT_EQ(r.key_id, d.key_id);
  EXPECT_EQ(r.fingerprint, d.fingerprint);
  EXPECT_EQ(r.host, d.host);
  EXPECT_EQ(r.checker, d.checker);
  EXPECT_EQ(r.timeout, d.timeout);
  EXPECT_EQ(r.extended_timeout, d.extended_timeout);
  EXPECT_EQ(r.interval, d.interval);
  EXPECT_EQ(r.approval_delay, d.approval_delay);
  EXPECT_EQ(r.approval_duration, d.approval_duration);
  EXPECT_EQ(r.approved_by_default, d.approved_by_default);
  EXPECT_EQ(r.enabled, d.enabled);
  EXPECT_EQ(r.created, d.created);
  EXPECT_EQ(r.last_enabled, d.last_enabled);
  EXPECT_EQ(r.expires, d.expires);
  EXPECT_EQ(r.last_checked_ok, d.last_checked_ok);
  EXPECT_EQ(r.last_approval_request, d.last_approval_request);
  EXPECT_EQ(r.last_checker_status, -1);
  EXPECT_EQ(r.last_checker_signal, 9);
  EXPECT_TRUE(r.secret.empty());  // only in encrypted form
  ASSERT_EQ(state.settings.count("foo"), 1u);
  EXPECT_TRUE(state.settings.at("foo").same_settings(config));
}

TEST(StateFile, TextIsTheCanonicalIndentedJsonOfTheDocument) {
  // Streamed client by client, the text must still be exactly what one
  // json::dump(1) of the whole document gives (docs/state-format.md).
  ClientConfig a = config_for("b-second"), b = config_for("a-first", "other");
  ClientData da = runtime_for(a, kNow), db = runtime_for(b, kNow), orphan = runtime_for(a, kNow);
  orphan.name = "removed";  // no settings entry: saved without a secret
  // Strings that need escapes, UTF-8, DEL, and bytes that are not UTF-8.
  orphan.host = "q\"b\\c\x01\x7f caf\xc3\xa9 \xff\xfe end";
  da.checker = "tab\there\nnewline";
  for (auto clients : {std::vector<const ClientData*>{&da, &db, &orphan},
                       std::vector<const ClientData*>{}}) {
    auto text = serialize_state(clients, {a, b}, kNow);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, nlohmann::json::parse(*text).dump(1) + "\n");
  }
  auto empty = serialize_state({}, {}, kNow);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, nlohmann::json::parse(*empty).dump(1) + "\n");
  EXPECT_NE(empty->find("\"settings\": {}"), std::string::npos) << *empty;
}

TEST(StateFile, HostThatIsNotUtf8IsSavedWithAReplacementCharacter) {
  ClientConfig config = config_for("foo");
  config.host = "caf\xe9";
  ClientData d = runtime_for(config, kNow);
  auto text = serialize_state({&d}, {config}, kNow);
  ASSERT_TRUE(text) << text.error().message;
  SavedState state = round_trip({&d}, {config}, kNow);
  ASSERT_EQ(state.clients.size(), 1u);
  EXPECT_EQ(state.clients[0].data.host, "caf\xef\xbf\xbd");
}

TEST(StateFile, SecretIsNotStoredInTheClear) {
  ClientConfig config = config_for("foo");
  ClientData d = runtime_for(config, kNow);
  d.secret = SecretBytes("plaintext-runtime-secret");
  auto text = serialize_state({&d}, {config}, kNow);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find("plaintext-runtime-secret"), std::string::npos);
  EXPECT_EQ(text->find("config secret"), std::string::npos);
}

TEST(StateFile, EveryTruncationIsAClearErrorNotACrash) {
  ClientConfig config = config_for("foo");
  ClientData d = runtime_for(config, kNow);
  auto text = serialize_state({&d}, {config}, kNow);
  ASSERT_TRUE(text);
  for (size_t length = 1; length + 2 < text->size(); ++length) {
    auto parsed = parse_state(std::string_view(*text).substr(0, length), "/s/clients.json");
    ASSERT_FALSE(parsed) << "accepted a truncation at " << length;
    EXPECT_EQ(parsed.error().message.rfind("/s/clients.json: ", 0), 0u);
  }
}

TEST(StateFile, GarbageIsRefusedNamingTheFile) {
  auto parsed = parse_state("\x80garbage", "/s/clients.json");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("/s/clients.json: not valid JSON"), std::string::npos);
}

TEST(StateFile, WrongTypesNameTheField) {
  ClientConfig config = config_for("foo");
  ClientData d = runtime_for(config, kNow);
  auto text = serialize_state({&d}, {config}, kNow);
  ASSERT_TRUE(text);
  std::string broken = *text;
  auto at = broken.find("\"enabled\": true");
  ASSERT_NE(at, std::string::npos);
  broken.replace(at, 15, "\"enabled\": \"yes\"");
  auto parsed = parse_state(broken, "clients.json");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find(".enabled: expected true or false"), std::string::npos)
      << parsed.error().message;
}

// The state text of one client "foo", as the server saves it.
std::string one_client_state() {
  ClientConfig config = config_for("foo");
  ClientData d = runtime_for(config, kNow);
  auto text = serialize_state({&d}, {config}, kNow);
  EXPECT_TRUE(text) << text.error().message;
  return text ? *text : std::string();
}

TEST(StateFile, EscapedStringsAndNamesReadBackExactly) {
  // The reader views unescaped strings in place and unescapes the others:
  // both paths must give the bytes that were saved.
  ClientConfig config = config_for("quote\"back\\slash-\x01-\xc3\xa9");
  ClientData d = runtime_for(config, kNow);
  d.host = "tab\there \"quoted\" \\ end";
  d.checker = "plain";
  SavedState state = round_trip({&d}, {config}, kNow);
  ASSERT_EQ(state.clients.size(), 1u);
  EXPECT_EQ(state.clients[0].data.name, config.name);
  EXPECT_EQ(state.clients[0].data.host, d.host);
  EXPECT_EQ(state.clients[0].data.checker, "plain");
  EXPECT_EQ(state.settings.count(config.name), 1u);
  auto secret = decrypt_secret(state.clients[0].secret, config.secret, config.name);
  ASSERT_TRUE(secret) << secret.error().message;
  EXPECT_EQ(secret->view(), d.secret.view());
}

TEST(StateFile, UnknownFieldsAreSkippedAndMissingOnesNamed) {
  const std::string text = one_client_state();
  nlohmann::json doc = nlohmann::json::parse(text);
  doc["clients"][0]["added_later"] = {{"nested", {1, 2, nullptr}}};
  doc["also_later"] = "x";
  auto extra = parse_state(doc.dump(), "f");
  ASSERT_TRUE(extra) << extra.error().message;
  EXPECT_EQ(extra->clients.size(), 1u);
  doc["clients"][0].erase("interval_us");
  auto missing = parse_state(doc.dump(), "f");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "f: clients[0].interval_us: missing");
  doc = nlohmann::json::parse(text);
  doc["settings"]["foo"].erase("checker");
  missing = parse_state(doc.dump(), "f");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "f: settings[\"foo\"].checker: missing");
}

TEST(StateFile, NumbersOutOfRangeOrNotIntegersAreRefused) {
  const std::string text = one_client_state();
  const std::pair<nlohmann::json, std::string> cases[] = {
      {nlohmann::json::parse("18446744073709551615"), "f: clients[0].timeout_us: out of range"},
      {1.5, "f: clients[0].timeout_us: expected an integer"},
      {"300000000", "f: clients[0].timeout_us: expected an integer"},
      {nullptr, "f: clients[0].timeout_us: expected an integer"},
  };
  for (const auto& [value, message] : cases) {
    nlohmann::json doc = nlohmann::json::parse(text);
    doc["clients"][0]["timeout_us"] = value;
    auto parsed = parse_state(doc.dump(), "f");
    ASSERT_FALSE(parsed) << value.dump();
    EXPECT_EQ(parsed.error().message, message);
  }
  nlohmann::json doc = nlohmann::json::parse(text);
  doc["clients"][0]["last_checker_status"] = 2000000;
  auto parsed = parse_state(doc.dump(), "f");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "f: clients[0].last_checker_status: out of range");
}

TEST(StateFile, TrailingTextAndBrokenSyntaxAreRefusedWithAPosition) {
  const std::string text = one_client_state();
  for (const std::string& broken :
       {text + "{}", text + "x", "[" + text + "]",
        std::string(text).replace(text.find("\"enabled\": true"), 15, "\"enabled\": tru "),
        std::string(text).replace(text.find(",\n \"format\""), 1, " ")}) {
    auto parsed = parse_state(broken, "/s/clients.json");
    ASSERT_FALSE(parsed) << broken;
    EXPECT_EQ(parsed.error().message.rfind("/s/clients.json: ", 0), 0u) << parsed.error().message;
  }
  auto parsed = parse_state(text + "x", "/s/clients.json");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("not valid JSON (truncated or corrupted?)"),
            std::string::npos)
      << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("line"), std::string::npos) << parsed.error().message;
}

TEST(StateFile, OtherFormatsAndVersionsAreRefused) {
  EXPECT_FALSE(parse_state("{}", "f"));
  EXPECT_FALSE(parse_state("[]", "f"));
  auto future = parse_state(
      R"({"format":"mandos-server-state","version":99,"settings":{},"clients":[]})", "f");
  ASSERT_FALSE(future);
  EXPECT_NE(future.error().message.find("version"), std::string::npos);
}

TEST(StateFile, LoadsFilesEndingAnywhereInAPage) {
  // The file is mapped and followed by zeroed memory for the parser's
  // padding: that must hold when the file ends exactly on a page boundary
  // and when its last page leaves less room than the padding.
  const std::string text = one_client_state();
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  mandos::test::TempDir dir;
  for (size_t room : {size_t{0}, size_t{1}, size_t{10}, size_t{63}, size_t{64}, page / 2}) {
    const size_t size = (text.size() / page + 1) * page - room;
    mandos::test::write_file(dir.file("clients.json"), text + std::string(size - text.size(), ' '));
    auto loaded = load_state_file(dir.file("clients.json"));
    ASSERT_TRUE(loaded) << "room " << room << ": " << loaded.error().message;
    EXPECT_EQ(loaded->status, StateLoad::Loaded);
    ASSERT_EQ(loaded->state.clients.size(), 1u);
    EXPECT_EQ(loaded->state.clients[0].data.name, "foo");
  }
}

TEST(StateFile, LoadingMissingEmptyAndCorruptFiles) {
  mandos::test::TempDir dir;
  auto missing = load_state_file(dir.file("clients.json"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, StateLoad::Missing);
  mandos::test::write_file(dir.file("clients.json"), "");
  auto empty = load_state_file(dir.file("clients.json"));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, StateLoad::Empty);
  mandos::test::write_file(dir.file("clients.json"), "{\"format\": \"mandos-ser");
  auto corrupt = load_state_file(dir.file("clients.json"));
  ASSERT_FALSE(corrupt);
  // Nothing lost: the file is left as it was.
  EXPECT_EQ(mandos::test::read_file(dir.file("clients.json")), "{\"format\": \"mandos-ser");
}

TEST(SecretEncryption, DecryptsOnlyWithTheSameConfigSecretAndName) {
  auto encrypted = encrypt_secret(SecretBytes("runtime"), SecretBytes("config"), "foo");
  ASSERT_TRUE(encrypted);
  auto good = decrypt_secret(*encrypted, SecretBytes("config"), "foo");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->view(), "runtime");
  EXPECT_FALSE(decrypt_secret(*encrypted, SecretBytes("changed"), "foo"));
  EXPECT_FALSE(decrypt_secret(*encrypted, SecretBytes("config"), "bar"));
  EncryptedSecret tampered = *encrypted;
  tampered.ciphertext[0] ^= 1;
  EXPECT_FALSE(decrypt_secret(tampered, SecretBytes("config"), "foo"));
}

// --- Merge rules (server.md §9) ----------------------------------------------

TEST(StateMerge, Rule1ClientsGoneFromTheConfigAreDropped) {
  ClientConfig a = config_for("a"), b = config_for("b");
  ClientData da = runtime_for(a, kNow), db = runtime_for(b, kNow);
  SavedState saved = round_trip({&da, &db}, {a, b}, kNow);
  auto merged = merge_state(saved, {b}, kNow);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].name, "b");
}

TEST(StateMerge, Rule2ChangedSettingsWinAndUnchangedOnesKeepRuntimeValues) {
  ClientConfig old_config = config_for("foo");
  ClientData runtime = runtime_for(old_config, kNow);
  runtime.host = "set-over-dbus";       // changed at run time
  runtime.interval = 7min;              // changed at run time
  SavedState saved = round_trip({&runtime}, {old_config}, kNow);
  ClientConfig new_config = old_config;
  new_config.interval = 3min;           // changed in clients.conf too: config wins
  auto merged = merge_state(saved, {new_config}, kNow);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].host, "set-over-dbus");
  EXPECT_EQ(merged[0].interval, 3min);
  EXPECT_EQ(merged[0].created, runtime.created);
  EXPECT_EQ(merged[0].last_checked_ok, runtime.last_checked_ok);
}

TEST(StateMerge, Rule2EnabledInTheConfigOverridesARuntimeDisableOnlyWhenChanged) {
  ClientConfig config = config_for("foo");
  ClientData runtime = runtime_for(config, kNow);
  runtime.enabled = false;
  runtime.expires.reset();
  SavedState saved = round_trip({&runtime}, {config}, kNow);
  EXPECT_FALSE(merge_state(saved, {config}, kNow)[0].enabled);
  ClientConfig disabled_then = config;
  disabled_then.enabled = false;
  SavedState saved2 = round_trip({&runtime}, {disabled_then}, kNow);
  EXPECT_TRUE(merge_state(saved2, {config}, kNow)[0].enabled);
}

TEST(StateMerge, Rule3ExpiredClientStaysEnabledOnlyAfterASuccessfulChecker) {
  ClientConfig config = config_for("foo");
  ClientData ok = runtime_for(config, kNow);
  ok.expires = kNow - 1s;
  SavedState saved = round_trip({&ok}, {config}, kNow);
  auto kept = merge_state(saved, {config}, kNow);
  EXPECT_TRUE(kept[0].enabled);

  ClientData failed = ok;
  failed.last_checker_status = 1;
  SavedState saved_failed = round_trip({&failed}, {config}, kNow);
  EXPECT_FALSE(merge_state(saved_failed, {config}, kNow)[0].enabled);

  ClientData never = ok;
  never.last_checked_ok.reset();
  SavedState saved_never = round_trip({&never}, {config}, kNow);
  EXPECT_FALSE(merge_state(saved_never, {config}, kNow)[0].enabled);
}

TEST(StateMerge, Rule4RuntimeSecretSurvivesUntilTheConfigSecretChanges) {
  ClientConfig config = config_for("foo", "config v1");
  ClientData runtime = runtime_for(config, kNow);
  runtime.secret = SecretBytes("set over D-Bus");
  SavedState saved = round_trip({&runtime}, {config}, kNow);
  EXPECT_EQ(merge_state(saved, {config}, kNow)[0].secret.view(), "set over D-Bus");
  ClientConfig changed = config_for("foo", "config v2");
  EXPECT_EQ(merge_state(saved, {changed}, kNow)[0].secret.view(), "config v2");
}

TEST(StateMerge, Rule5NewClientsAreCreatedFromTheConfigAfterRestoredOnes) {
  ClientConfig a = config_for("a"), b = config_for("b");
  ClientData db = runtime_for(b, kNow);
  SavedState saved = round_trip({&db}, {b}, kNow);
  auto merged = merge_state(saved, {a, b}, kNow + 1h);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].name, "b");
  EXPECT_EQ(merged[1].name, "a");
  EXPECT_EQ(merged[1].created, kNow + 1h);
  EXPECT_EQ(merged[1].secret.view(), "config secret");
}

TEST(StateMerge, Rule6ClientsRemovedAtRunTimeAreNotRecreated) {
  ClientConfig a = config_for("a"), b = config_for("b");
  ClientData db = runtime_for(b, kNow);
  SavedState saved = round_trip({&db}, {a, b}, kNow);  // "a" was removed at run time
  auto merged = merge_state(saved, {a, b}, kNow);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].name, "b");
  EXPECT_EQ(merge_state(std::nullopt, {a, b}, kNow).size(), 2u);  // --no-restore
}

}  // namespace
}  // namespace mandos::server::test
