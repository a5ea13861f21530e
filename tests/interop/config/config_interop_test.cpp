// lib/'s config reader against the parser the reference server uses: Python
// 3's configparser.ConfigParser with default settings. Generated files mix
// valid and broken lines, every line ending, Unicode whitespace,
// continuation lines, comments and %-interpolation; both parsers must accept
// the same files, give the same sections and the same interpolated items,
// and fail on the same sections' items().
//
// Python comes with Debian's mandos package, which
// tests/interop/install-reference.sh installs (no services started).
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "mandos/config.hpp"
#include "mandos/test/support.hpp"

namespace mandos::test {
namespace {

using nlohmann::json;

constexpr const char* kPython = "/usr/bin/python3";

// For each file: {"error": CLASS} if reading fails, else {"sections":
// [[name, [[key, value], ...] or CLASS], ...]} with items() interpolated.
constexpr const char* kDumpScript = R"PY(
import configparser, json, sys
defaults = dict(json.loads(sys.argv[1]))
for path in sys.argv[2:]:
    parser = configparser.ConfigParser(defaults)
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except Exception as e:
        print(json.dumps({"error": type(e).__name__}))
        continue
    sections = []
    for name in parser.sections():
        try:
            sections.append([name, [list(item) for item in parser.items(name)]])
        except Exception as e:
            sections.append([name, type(e).__name__])
    print(json.dumps({"sections": sections}))
)PY";

const config::Defaults kDefaults = {
    {"timeout", "PT5M"}, {"checker", "fping -q -- %%(host)s"}, {"host", ""}};

// Random configuration files built from the kinds of line configparser
// distinguishes, mostly well-formed so that values get compared too.
class FileGenerator {
 public:
  explicit FileGenerator(unsigned seed) : random_(seed) {}

  // Wild files mix every kind of line; tidy ones (most) have unique section
  // and option names and no junk, so that they usually parse and their
  // values get compared.
  std::string next() {
    const bool tidy = chance(70);
    std::string text;
    if (chance(90)) text += (tidy ? "[first]" : pick(kHeaders)) + pick_ending();
    const int lines = 3 + static_cast<int>(random_() % 20);
    for (int i = 0; i < lines; ++i) text += (tidy ? tidy_line(i) : line()) + pick_ending();
    if (chance(20)) text += tidy ? tidy_line(lines) : line();  // no final line break
    return text;
  }

 private:
  std::string line() {
    const unsigned kind = random_() % 100;
    if (kind < 12) return pick(kHeaders);
    if (kind < 55) return pick(kKeys) + pick(kDelimiters) + pick(kValues);
    if (kind < 75) return continuation();
    if (kind < 85) return pick(kBlanks);
    if (kind < 95) return pick(kComments);
    return pick(kJunk);
  }
  std::string tidy_line(int number) {
    const unsigned kind = random_() % 100;
    const std::string unique = std::to_string(number);
    if (kind < 8) return "[s" + unique + "]";
    if (kind < 55) return pick(kKeys) + unique + pick(kDelimiters) + pick(kValues);
    if (kind < 80) return continuation();
    if (kind < 90) return pick(kBlanks);
    return pick(kComments);
  }
  std::string continuation() {
    return pick(kIndents) + pick(kValues) + (chance(20) ? pick(kIndents) : "");
  }
  std::string pick_ending() {
    const unsigned kind = random_() % 100;
    if (kind < 80) return "\n";
    if (kind < 92) return "\r\n";
    return "\r";
  }
  bool chance(unsigned percent) { return random_() % 100 < percent; }
  template <size_t N>
  std::string pick(const char* const (&choices)[N]) {
    return choices[random_() % N];
  }

  static constexpr const char* kHeaders[] = {
      "[alpha]", "[beta]", "[DEFAULT]", "[ spaced name ]", "[a]b]", "[]", "[unclosed",
      "  [indented]", "[gamma] trailing", "[default]", "[Alpha]"};
  static constexpr const char* kKeys[] = {
      "host", "Host", "key", "a b", "x", "secret", "checker", "timeout", "\xc3\xbcn\xc3\xaf",
      "  host", "\tkey", "k\xe3\x80\x80", "x:y"};
  static constexpr const char* kDelimiters[] = {" = ", "=", ": ", ":", " =", "= ", "\t=\t"};
  static constexpr const char* kValues[] = {
      "", "plain", "%(host)s", "100%%", "bad%", "%(nope)s", "%(x)s", "caf\xc3\xa9",
      "a = b", "  spaced  ", "tab\tin", "%(key)s and %(host)s", "%(HOST)s", "%(",
      "%(x)", "trail\xc2\xa0", "\xe2\x80\x83lead", "v\x0b", "%%(host)s", "ab\x1c"};
  static constexpr const char* kIndents[] = {" ", "  ", "\t", "\xe3\x80\x80", "\xc2\xa0",
                                             "    ", "\x0c", " \t "};
  static constexpr const char* kBlanks[] = {"", "   ", "\t", "\xc2\xa0"};
  static constexpr const char* kComments[] = {"#c", ";c", "  # indented", "#", "\t;x"};
  static constexpr const char* kJunk[] = {"noequals", "=value", "  =x", ": y"};

  std::mt19937 random_;
};

RunOptions within(std::chrono::milliseconds timeout) {
  RunOptions options;
  options.timeout = timeout;
  return options;
}

json ours(const std::string& text) {
  auto ini = config::IniFile::parse(text, "generated.conf", kDefaults);
  if (!ini) return json{{"error", ini.error().message}};
  json sections = json::array();
  for (const std::string& name : ini->sections()) {
    auto items = ini->items(name);
    if (!items) {
      sections.push_back({name, items.error().message});
      continue;
    }
    json list = json::array();
    for (const auto& [key, value] : *items) list.push_back({key, value});
    sections.push_back({name, list});
  }
  return json{{"sections", sections}};
}

// Errors are compared by kind only: both must fail at the same place.
bool same(const json& mine, const json& python) {
  if (mine.contains("error") || python.contains("error")) {
    return mine.contains("error") && python.contains("error");
  }
  const json& a = mine["sections"];
  const json& b = python["sections"];
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i][0] != b[i][0]) return false;
    if (a[i][1].is_string() || b[i][1].is_string()) {
      if (a[i][1].is_string() != b[i][1].is_string()) return false;
      continue;
    }
    if (a[i][1] != b[i][1]) return false;
  }
  return true;
}

class ConfigInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    auto install = run({"/bin/sh", source_path("tests/interop/install-reference.sh")},
                       within(std::chrono::minutes(10)));
    if (install.exit_code != 0) GTEST_SKIP() << "install-reference.sh failed: " << install.err;
    if (::access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " missing";
  }
};

TEST_F(ConfigInterop, GeneratedFilesParseAsConfigparserParsesThem) {
  constexpr int kFiles = 600;
  TempDir dir("mandos-config-interop");
  FileGenerator generator(20261123);
  std::vector<std::string> texts;
  std::vector<std::string> argv = {kPython, "-c", kDumpScript};
  json defaults = json::array();
  for (const auto& [key, value] : kDefaults) defaults.push_back({key, value});
  argv.push_back(defaults.dump());
  for (int i = 0; i < kFiles; ++i) {
    texts.push_back(generator.next());
    argv.push_back(dir.file("f" + std::to_string(i) + ".conf"));
    write_file(argv.back(), texts.back());
  }
  auto python = run(argv, within(std::chrono::minutes(2)));
  ASSERT_EQ(python.exit_code, 0) << python.err;
  std::istringstream lines(python.out);
  int compared = 0;
  int accepted = 0;
  for (const std::string& text : texts) {
    std::string line;
    ASSERT_TRUE(std::getline(lines, line)) << "python printed " << compared << " results";
    const json theirs = json::parse(line);
    const json mine = ours(text);
    EXPECT_TRUE(same(mine, theirs)) << "file:\n"
                                    << json(text).dump() << "\nconfigparser: " << theirs.dump()
                                    << "\nours: " << mine.dump();
    if (!theirs.contains("error")) ++accepted;
    ++compared;
  }
  EXPECT_EQ(compared, kFiles);
  // The generator must exercise both outcomes, not only errors.
  EXPECT_GT(accepted, kFiles / 5) << "too few valid files to compare values";
  EXPECT_LT(accepted, kFiles) << "no invalid files";
}

}  // namespace
}  // namespace mandos::test
