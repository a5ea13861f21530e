// Tests for the configparser-compatible reader. Expected values were taken
// from Python 3.11's configparser.ConfigParser on the same input (noted
// "python:" where the behaviour is surprising); the tests do not run Python.
#include "mandos/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mandos::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;

IniFile parse_ok(std::string_view text, const Defaults& defaults = {}) {
  auto file = IniFile::parse(text, "clients.conf", defaults);
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
  if (!file.ok()) return std::move(IniFile::parse("", "empty").value());
  return std::move(file).value();
}

std::string parse_error(std::string_view text, const Defaults& defaults = {}) {
  auto file = IniFile::parse(text, "clients.conf", defaults);
  EXPECT_FALSE(file.ok()) << "parsed although it should not";
  return file.ok() ? "" : file.error().message;
}

std::string value(const IniFile& file, std::string_view section, std::string_view key) {
  auto got = file.get(section, key);
  EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.error().message);
  if (!got.ok() || !got->has_value()) return "<unset>";
  return **got;
}

std::string get_error(const IniFile& file, std::string_view section, std::string_view key) {
  auto got = file.get(section, key);
  EXPECT_FALSE(got.ok()) << "interpolated although it should not";
  return got.ok() ? "" : got.error().message;
}

// ---------------------------------------------------------------------------
// Syntax

TEST(ConfigSyntax, ReadsKeyEqualsValueAndKeyColonValue) {
  IniFile file = parse_ok("[s]\na = 1\nb: 2\nc=3\nd:4\n");
  EXPECT_EQ(value(file, "s", "a"), "1");
  EXPECT_EQ(value(file, "s", "b"), "2");
  EXPECT_EQ(value(file, "s", "c"), "3");
  EXPECT_EQ(value(file, "s", "d"), "4");
}

TEST(ConfigSyntax, SplitsAtTheFirstDelimiterSoValuesMayContainEqualsAndColons) {
  IniFile file = parse_ok("[s]\na:b=c\nd=e:f\nurl = http://x/?q=1\n");
  EXPECT_EQ(value(file, "s", "a"), "b=c");
  EXPECT_EQ(value(file, "s", "d"), "e:f");
  EXPECT_EQ(value(file, "s", "url"), "http://x/?q=1");
}

TEST(ConfigSyntax, StripsWhitespaceAroundKeysAndValues) {
  IniFile file = parse_ok("[s]\n  key \t =   some value  \t\n");
  EXPECT_EQ(value(file, "s", "key"), "some value");
  EXPECT_EQ(file.options("s"), std::vector<std::string>{"key"});
}

TEST(ConfigSyntax, LowercasesOptionNamesButKeepsSectionNamesCaseSensitive) {
  IniFile file = parse_ok("[Foo]\nHost = h\n");
  EXPECT_TRUE(file.has_section("Foo"));
  EXPECT_FALSE(file.has_section("foo"));
  EXPECT_EQ(file.options("Foo"), std::vector<std::string>{"host"});
  EXPECT_EQ(value(file, "Foo", "HOST"), "h");
  EXPECT_EQ(value(file, "Foo", "host"), "h");
  EXPECT_EQ(value(file, "foo", "host"), "<unset>");
}

TEST(ConfigSyntax, AcceptsAnEmptyValue) {
  IniFile file = parse_ok("[s]\nhost =\nport:\n");
  EXPECT_EQ(value(file, "s", "host"), "");
  EXPECT_EQ(value(file, "s", "port"), "");
  EXPECT_TRUE(file.has_option("s", "host"));
}

TEST(ConfigSyntax, KeepsSemicolonsAndHashesInsideAValue) {
  // No inline comments with default settings.
  IniFile file = parse_ok("[s]\nkey = a ; not comment # neither\n");
  EXPECT_EQ(value(file, "s", "key"), "a ; not comment # neither");
}

TEST(ConfigSyntax, SkipsFullLineCommentsEvenWhenIndented) {
  IniFile file = parse_ok("# top\n; top\n[s]\n# c\n  ; c\na = 1\n\t# c\n");
  EXPECT_EQ(file.options("s"), std::vector<std::string>{"a"});
  EXPECT_EQ(value(file, "s", "a"), "1");
}

TEST(ConfigSyntax, JoinsIndentedContinuationLinesWithNewlines) {
  IniFile file = parse_ok("[s]\nkey = first\n    second\n\tthird\nnext = x\n");
  EXPECT_EQ(value(file, "s", "key"), "first\nsecond\nthird");
  EXPECT_EQ(value(file, "s", "next"), "x");
}

TEST(ConfigSyntax, KeepsBlankLinesInsideAValueButDropsTrailingOnes) {
  IniFile file = parse_ok("[s]\nkey = a\n\n  b\n\n\nother = 1\n\n\n");
  EXPECT_EQ(value(file, "s", "key"), "a\n\nb");
  EXPECT_EQ(value(file, "s", "other"), "1");
  // python: a comment between blank lines is dropped, the blank lines are kept.
  EXPECT_EQ(value(parse_ok("[s]\na=1\n\n#c\n\n  b\n\n"), "s", "a"), "1\n\n\nb");
}

TEST(ConfigSyntax, SkipsCommentLinesBetweenContinuationLines) {
  IniFile file = parse_ok("[s]\nkey = a\n# c\n  b\n  ;d\n  e\n");
  // python: an indented line starting with ';' or '#' is a comment, not value.
  EXPECT_EQ(value(file, "s", "key"), "a\nb\ne");
}

TEST(ConfigSyntax, StartsAValueWithANewlineWhenTheKeyLineHasNone) {
  IniFile file = parse_ok("[s]\nkey =\n  foo\n  bar\n");
  EXPECT_EQ(value(file, "s", "key"), "\nfoo\nbar");
  EXPECT_EQ(value(parse_ok("[s]\nkey = \n\n\n"), "s", "key"), "");
}

TEST(ConfigSyntax, ComparesIndentationWithTheLastKeyLine) {
  IniFile file = parse_ok("[s]\n  a = 1\n   b\n c = 2\n");
  EXPECT_EQ(value(file, "s", "a"), "1\nb");
  EXPECT_EQ(value(file, "s", "c"), "2");
}

TEST(ConfigSyntax, CountsIndentationInCharactersNotBytes) {
  // U+3000 is one (three-byte) whitespace character.
  IniFile file = parse_ok("[s]\n  a = 1\n\u3000b = 2\n");
  EXPECT_EQ(value(file, "s", "a"), "1");
  EXPECT_EQ(value(file, "s", "b"), "2");
  EXPECT_EQ(value(parse_ok("[s]\n  a = 1\n\u3000\u3000\u3000b\n"), "s", "a"), "1\nb");
}

TEST(ConfigSyntax, StripsUnicodeWhitespaceLikePython) {
  // python: str.strip() removes U+00A0, so "\u00a0b = 2" is a continuation.
  IniFile file = parse_ok("[s]\na = x\u00a0\n\u00a0b = 2\nc = \u2003y\u3000\n");
  EXPECT_EQ(value(file, "s", "a"), "x\nb = 2");
  EXPECT_EQ(value(file, "s", "c"), "y");
  EXPECT_EQ(value(parse_ok("[s]\na=1\n\x1c b\n\f\n"), "s", "a"), "1\nb");
}

TEST(ConfigSyntax, TreatsAnIndentedHeaderAfterAnOptionAsAContinuation) {
  IniFile file = parse_ok("[s]\na=1\n  [t]\n");
  EXPECT_EQ(value(file, "s", "a"), "1\n[t]");
  EXPECT_FALSE(file.has_section("t"));
}

TEST(ConfigSyntax, IgnoresTextAfterTheClosingBracketOfAHeader) {
  IniFile file = parse_ok("[foo] trailing words\na=1\n[bar]=x\n");
  EXPECT_THAT(file.sections(), ElementsAre("foo", "bar"));
}

TEST(ConfigSyntax, TakesTheSectionNameUpToTheLastClosingBracket) {
  EXPECT_THAT(parse_ok("[foo] x]\na=1\n").sections(), ElementsAre("foo] x"));
  EXPECT_THAT(parse_ok("[]]\na=1\n").sections(), ElementsAre("]"));
}

TEST(ConfigSyntax, KeepsSpacesInsideTheBracketsOfASectionName) {
  IniFile file = parse_ok("[ foo ]\na=1\n");
  EXPECT_THAT(file.sections(), ElementsAre(" foo "));
  EXPECT_FALSE(file.has_section("foo"));
}

TEST(ConfigSyntax, AcceptsAnOptionNamedWithBracketsInsideASection) {
  // python: "[]" is not a header (empty name), so "[]=x" is an option.
  IniFile file = parse_ok("[s]\n[]=x\n");
  EXPECT_EQ(value(file, "s", "[]"), "x");
}

TEST(ConfigSyntax, TreatsLowercaseDefaultAsAnOrdinarySection) {
  IniFile file = parse_ok("[default]\na=1\n[s]\n");
  EXPECT_THAT(file.sections(), ElementsAre("default", "s"));
  EXPECT_EQ(value(file, "s", "a"), "<unset>");
}

TEST(ConfigSyntax, MergesRepeatedDefaultSections) {
  // python: [DEFAULT] twice is not a duplicate section; only its keys must differ.
  IniFile file = parse_ok("[DEFAULT]\na=1\n[s]\n[DEFAULT]\nb=2\n");
  EXPECT_EQ(value(file, "s", "a"), "1");
  EXPECT_EQ(value(file, "s", "b"), "2");
  EXPECT_THAT(file.sections(), ElementsAre("s"));
}

TEST(ConfigSyntax, ListsSectionsInFileOrderWithoutDefault) {
  IniFile file = parse_ok("[zeta]\n[DEFAULT]\n[alpha]\n[mid]\n");
  EXPECT_THAT(file.sections(), ElementsAre("zeta", "alpha", "mid"));
  EXPECT_FALSE(file.has_section("DEFAULT"));
}

TEST(ConfigSyntax, AcceptsWindowsLineEnds) {
  IniFile file = parse_ok("[s]\r\na = 1 \r\n  b\r\n\r\nc = 2\r\n");
  EXPECT_EQ(value(file, "s", "a"), "1\nb");
  EXPECT_EQ(value(file, "s", "c"), "2");
  EXPECT_EQ(file.location("s", "c"), "clients.conf:5");
}

TEST(ConfigSyntax, AcceptsOldMacLineEndsLikePythonsUniversalNewlines) {
  IniFile file = parse_ok("[s]\ra=1\rb=2\r");
  EXPECT_EQ(value(file, "s", "a"), "1");
  EXPECT_EQ(value(file, "s", "b"), "2");
  EXPECT_EQ(file.location("s", "b"), "clients.conf:3");
}

TEST(ConfigSyntax, ReadsALastLineWithoutLineEnd) {
  EXPECT_EQ(value(parse_ok("[s]\na = 1"), "s", "a"), "1");
}

TEST(ConfigSyntax, FindsNoSectionsInAnEmptyOrCommentOnlyFile) {
  EXPECT_TRUE(parse_ok("").sections().empty());
  EXPECT_TRUE(parse_ok("# nothing\n\n; here\n   \n").sections().empty());
}

TEST(ConfigSyntax, KeepsNonAsciiValuesByteForByte) {
  IniFile file = parse_ok("[s]\nname = Café \xE2\x82\xAC\n");
  EXPECT_EQ(value(file, "s", "name"), "Café \xE2\x82\xAC");
}

TEST(ConfigSyntax, ReadsTenThousandSections) {
  std::string text = "[DEFAULT]\nchecker = fping -q -- %%(host)s\n";
  for (int i = 0; i < 10000; ++i) {
    text += "[client" + std::to_string(i) + "]\nhost = h" + std::to_string(i) +
            "\nsecret =\n    AAAA\n    BBBB\n";
  }
  IniFile file = parse_ok(text);
  ASSERT_EQ(file.sections().size(), 10000u);
  EXPECT_EQ(file.sections()[9999], "client9999");
  EXPECT_EQ(value(file, "client4321", "host"), "h4321");
  EXPECT_EQ(value(file, "client4321", "secret"), "\nAAAA\nBBBB");
  EXPECT_EQ(file.location("client9999", "host"), "clients.conf:" + std::to_string(2 + 9999 * 5 + 2));
}

// ---------------------------------------------------------------------------
// Malformed input: every error names the file and line.

TEST(ConfigErrors, RejectsTextBeforeTheFirstHeaderNamingFileAndLine) {
  EXPECT_THAT(parse_error("# comment\n\nhost = x\n[s]\n"),
              StartsWith("clients.conf:3: text before the first [section] header: 'host = x'"));
}

TEST(ConfigErrors, RejectsAnEmptySectionHeader) {
  std::string message = parse_error("[]\na=1\n");
  EXPECT_THAT(message, StartsWith("clients.conf:1: text before the first [section] header"));
  EXPECT_THAT(message, HasSubstr("needs a non-empty name"));
}

TEST(ConfigErrors, RejectsADuplicateSectionNamingFileAndLine) {
  EXPECT_EQ(parse_error("# c\n[foo]\na=1\n[bar]\n\nb=2\n[foo]\n"),
            "clients.conf:7: duplicate section [foo] (first defined at line 2)");
}

TEST(ConfigErrors, RejectsADuplicateKeyIgnoringCase) {
  std::string message = parse_error("[s]\nHost = a\nhost = b\n");
  EXPECT_THAT(message, StartsWith("clients.conf:3: duplicate option 'host' in section [s]"));
  EXPECT_THAT(message, HasSubstr("first set at line 2"));
}

TEST(ConfigErrors, RejectsADuplicateKeyAcrossRepeatedDefaultSections) {
  EXPECT_THAT(parse_error("[DEFAULT]\na=1\n[s]\n[DEFAULT]\na=2\n"),
              StartsWith("clients.conf:5: duplicate option 'a' in section [DEFAULT]"));
}

TEST(ConfigErrors, AllowsTheSameKeyInDifferentSections) {
  IniFile file = parse_ok("[DEFAULT]\nhost=d\n[a]\nhost=1\n[b]\nhost=2\n");
  EXPECT_EQ(value(file, "a", "host"), "1");
  EXPECT_EQ(value(file, "b", "host"), "2");
}

TEST(ConfigErrors, RejectsALineWithoutADelimiterNamingFileAndLine) {
  std::string message = parse_error("[s]\n\n\n\n\n\n\na = 1\ngarbage\n");
  EXPECT_THAT(message, StartsWith("clients.conf:9: expected 'key = value' or 'key: value', "
                                  "got 'garbage'"));
  EXPECT_THAT(message, HasSubstr("continuation of option 'a' (line 8)"));
}

TEST(ConfigErrors, RejectsAnOptionWithoutAName) {
  EXPECT_THAT(parse_error("[s]\n= x\n"), StartsWith("clients.conf:2: option name missing"));
  EXPECT_THAT(parse_error("[s]\n: x\n"), StartsWith("clients.conf:2: option name missing"));
}

TEST(ConfigErrors, RejectsAnUnclosedSectionHeader) {
  std::string message = parse_error("[s]\na = 1\n[t\n");
  EXPECT_THAT(message, StartsWith("clients.conf:3: expected 'key = value' or 'key: value', got '[t'"));
  EXPECT_THAT(message, HasSubstr("section header"));
}

TEST(ConfigErrors, DoesNotEchoAMisindentedSecretLine) {
  std::string message = parse_error("[s]\nsecret =\n    QUJD\nREVGR0hJSktMTU5P\n");
  EXPECT_THAT(message, StartsWith("clients.conf:4: expected 'key = value' or 'key: value'"));
  EXPECT_THAT(message, Not(HasSubstr("REVGR0hJSktMTU5P")));
  EXPECT_THAT(message, HasSubstr("indented"));
}

TEST(ConfigErrors, EscapesControlCharactersAndShortensLongLinesInMessages) {
  std::string message = parse_error("[s]\nbad\x01" + std::string(200, 'x') + "\n");
  EXPECT_THAT(message, HasSubstr("'bad\\x01xxx"));
  EXPECT_THAT(message, HasSubstr("...'"));
  EXPECT_LT(message.size(), 200u);
}

TEST(ConfigErrors, RejectsAUtf8ByteOrderMark) {
  // python: U+FEFF is not whitespace, so the first line is not a header.
  EXPECT_THAT(parse_error("\xEF\xBB\xBF[s]\na=1\n"),
              StartsWith("clients.conf:1: file starts with a UTF-8 byte order mark"));
}

TEST(ConfigErrors, RejectsInvalidUtf8NamingTheLine) {
  EXPECT_THAT(parse_error("[s]\r\na = 1\r\nb = \xFF\n"),
              StartsWith("clients.conf:3: not valid UTF-8 (byte 0xFF at byte 5 of the line)"));
  EXPECT_THAT(parse_error("[s]\nb = \xED\xA0\x80\n"), StartsWith("clients.conf:2: not valid UTF-8"));
  EXPECT_THAT(parse_error("[s]\nb = \xC0\xAF\n"), StartsWith("clients.conf:2: not valid UTF-8"));
  EXPECT_THAT(parse_error("[s]\nb = \xE2\x82"), StartsWith("clients.conf:2: not valid UTF-8"));
}

TEST(ConfigErrors, RejectsDuplicateBuiltInDefaults) {
  auto file = IniFile::parse("", "mandos.conf", {{"Port", ""}, {"port", "1"}});
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.error().message, HasSubstr("duplicate option 'port'"));
}

// ---------------------------------------------------------------------------
// [DEFAULT] and built-in defaults

const Defaults kBuiltIns = {{"Timeout", "PT5M"}, {"checker", "fping -q -- %%(host)s"},
                            {"enabled", "True"}};

TEST(ConfigDefaults, InheritsDefaultValuesInEverySection) {
  IniFile file = parse_ok("[DEFAULT]\ninterval = PT1M\n[a]\n[b]\n");
  EXPECT_EQ(value(file, "a", "interval"), "PT1M");
  EXPECT_EQ(value(file, "b", "interval"), "PT1M");
  EXPECT_TRUE(file.has_option("a", "INTERVAL"));
}

TEST(ConfigDefaults, LetsSectionValuesOverrideDefaults) {
  IniFile file = parse_ok("[DEFAULT]\ninterval = PT1M\n[a]\ninterval = PT9M\n[b]\n");
  EXPECT_EQ(value(file, "a", "interval"), "PT9M");
  EXPECT_EQ(value(file, "b", "interval"), "PT1M");
}

TEST(ConfigDefaults, TreatsBuiltInDefaultsLikeDefaultEntries) {
  IniFile file = parse_ok("[a]\n[b]\ntimeout = PT1H\n", kBuiltIns);
  EXPECT_EQ(value(file, "a", "timeout"), "PT5M");
  EXPECT_EQ(value(file, "b", "timeout"), "PT1H");
  EXPECT_EQ(value(file, "a", "checker"), "fping -q -- %(host)s");
  EXPECT_EQ(file.location("a", "timeout"), "built-in default");
  EXPECT_EQ(file.location("b", "timeout"), "clients.conf:3");
}

TEST(ConfigDefaults, LetsTheFilesDefaultOverrideBuiltInsOnce) {
  IniFile file = parse_ok("[DEFAULT]\nTIMEOUT = PT1M\n[a]\n", kBuiltIns);
  EXPECT_EQ(value(file, "a", "timeout"), "PT1M");
  EXPECT_EQ(file.location("a", "timeout"), "clients.conf:2");
  EXPECT_THAT(parse_error("[DEFAULT]\ntimeout = PT1M\ntimeout = PT2M\n", kBuiltIns),
              StartsWith("clients.conf:3: duplicate option 'timeout' in section [DEFAULT]"));
}

TEST(ConfigDefaults, ListsOptionsAsSectionKeysThenInheritedKeys) {
  Defaults builtins = {{"b", "1"}, {"a", "2"}};
  IniFile file = parse_ok("[DEFAULT]\nc = 3\na = 4\n[s]\nz=1\na=5\n", builtins);
  // python: cp.options("s") == ['z', 'a', 'b', 'c']
  EXPECT_THAT(file.options("s"), ElementsAre("z", "a", "b", "c"));
  EXPECT_THAT(file.options("DEFAULT"), ElementsAre("b", "a", "c"));
}

TEST(ConfigDefaults, ListsItemsInheritedFirstLikeConfigparser) {
  Defaults builtins = {{"b", "1"}, {"a", "2"}};
  IniFile file = parse_ok("[DEFAULT]\nc = 3\na = 4\n[s]\nz=1\na=5\n", builtins);
  auto items = file.items("s");
  ASSERT_TRUE(items.ok()) << items.error().message;
  // python: cp.items("s") == [('b','1'), ('a','5'), ('c','3'), ('z','1')]
  EXPECT_THAT(*items, ElementsAre(Pair("b", "1"), Pair("a", "5"), Pair("c", "3"), Pair("z", "1")));
}

TEST(ConfigDefaults, ReturnsRawValuesWithoutInterpolation) {
  IniFile file = parse_ok("[s]\nhost = h\nchecker = ping %(host)s 100%%\n");
  EXPECT_EQ(file.raw("s", "Checker"), "ping %(host)s 100%%");
  EXPECT_EQ(value(file, "s", "checker"), "ping h 100%");
  EXPECT_EQ(file.raw("s", "missing"), std::nullopt);
}

TEST(ConfigDefaults, AnswersQueriesOnTheDefaultSectionItself) {
  IniFile file = parse_ok("[DEFAULT]\nport = 1234\ndebug = Yes\n[s]\nport = 1\n", kBuiltIns);
  EXPECT_EQ(value(file, "DEFAULT", "port"), "1234");
  EXPECT_EQ(value(file, "DEFAULT", "timeout"), "PT5M");
  auto debug = file.get_bool("DEFAULT", "debug", false);
  ASSERT_TRUE(debug.ok());
  EXPECT_TRUE(*debug);
}

TEST(ConfigDefaults, GivesAnUnknownSectionOnlyTheDefaults) {
  IniFile file = parse_ok("[DEFAULT]\na = 1\n[s]\nb = 2\n");
  EXPECT_EQ(value(file, "nosuch", "a"), "1");
  EXPECT_EQ(value(file, "nosuch", "b"), "<unset>");
  EXPECT_FALSE(file.has_option("nosuch", "b"));
  EXPECT_EQ(file.location("s", "nosuch"), "");
}

// ---------------------------------------------------------------------------
// %-interpolation

TEST(ConfigInterpolation, ExpandsANameFromTheSameSection) {
  IniFile file = parse_ok("[s]\nhost = example.org\nchecker = ping -c1 %(host)s\n");
  EXPECT_EQ(value(file, "s", "checker"), "ping -c1 example.org");
}

TEST(ConfigInterpolation, ExpandsANameFromDefaultsAndBuiltIns) {
  IniFile file = parse_ok("[DEFAULT]\ndomain = example.org\n[s]\nhost = a.%(domain)s:%(timeout)s\n",
                          kBuiltIns);
  EXPECT_EQ(value(file, "s", "host"), "a.example.org:PT5M");
}

TEST(ConfigInterpolation, ResolvesNamesInADefaultValueAgainstTheReadingSection) {
  IniFile file = parse_ok("[DEFAULT]\nhost = none\nx = <%(host)s>\n[a]\nhost = A\n[b]\n");
  EXPECT_EQ(value(file, "a", "x"), "<A>");
  EXPECT_EQ(value(file, "b", "x"), "<none>");
  EXPECT_EQ(value(file, "DEFAULT", "x"), "<none>");
}

TEST(ConfigInterpolation, LowercasesInterpolationNames) {
  IniFile file = parse_ok("[s]\nHost = h\nx = %(HOST)s %(hOsT)s\n");
  EXPECT_EQ(value(file, "s", "x"), "h h");
}

TEST(ConfigInterpolation, TurnsDoublePercentIntoALiteralPercent) {
  IniFile file = parse_ok("[s]\nchecker = fping -q -- %%(host)s\nload = 100%%\n");
  EXPECT_EQ(value(file, "s", "checker"), "fping -q -- %(host)s");
  EXPECT_EQ(value(file, "s", "load"), "100%");
}

TEST(ConfigInterpolation, ExpandsReferencedValuesRecursively) {
  IniFile file = parse_ok("[s]\na = 100%%\nb = %(a)s\nc = [%(b)s]\n");
  EXPECT_EQ(value(file, "s", "b"), "100%");
  EXPECT_EQ(value(file, "s", "c"), "[100%]");
}

TEST(ConfigInterpolation, AcceptsAnyNameCharacterExceptClosingParenthesis) {
  // python: %(a(b)s looks up option "a(b".
  IniFile file = parse_ok("[s]\na(b = 3\nv = %(a(b)s\n");
  EXPECT_EQ(value(file, "s", "v"), "3");
}

TEST(ConfigInterpolation, RejectsALonePercentNamingFileLineSectionAndOption) {
  IniFile file = parse_ok("[s]\n\nsale = 50% off\nend = 5%\n");
  std::string message = get_error(file, "s", "sale");
  EXPECT_THAT(message, StartsWith("clients.conf:3: in section [s], option 'sale': '%' must be "
                                  "followed by '%' or '(', found '% '"));
  EXPECT_THAT(get_error(file, "s", "end"), HasSubstr("found '%'"));
}

TEST(ConfigInterpolation, RejectsAReferenceWithoutTheTrailingS) {
  IniFile file = parse_ok("[s]\nx = 1\na = %(x)d\nb = %(x)\nc = %(x\nd = %()s\n");
  EXPECT_THAT(get_error(file, "s", "a"),
              StartsWith("clients.conf:3: in section [s], option 'a': bad interpolation reference "
                         "'%(x)d', expected '%(name)s'"));
  EXPECT_THAT(get_error(file, "s", "b"), StartsWith("clients.conf:4:"));
  EXPECT_THAT(get_error(file, "s", "c"), StartsWith("clients.conf:5:"));
  EXPECT_THAT(get_error(file, "s", "d"), HasSubstr("bad interpolation reference '%()s'"));
}

TEST(ConfigInterpolation, RejectsAnUnknownNameNamingFileLineSectionAndOption) {
  IniFile file = parse_ok("[DEFAULT]\n\n\n\n\n\n\n\n\n\n[foo]\nchecker = ping %(hots)s\n");
  EXPECT_EQ(get_error(file, "foo", "checker"),
            "clients.conf:12: in section [foo], option 'checker': unknown interpolation name "
            "'hots' in '%(hots)s'");
}

TEST(ConfigInterpolation, NamesTheReferencedOptionWhenTheFaultIsThere) {
  IniFile file = parse_ok("[DEFAULT]\nx = %(nope)s\n[foo]\nchecker = run %(x)s\n");
  EXPECT_EQ(get_error(file, "foo", "checker"),
            "clients.conf:2: in section [foo], option 'checker' (through option 'x'): unknown "
            "interpolation name 'nope' in '%(nope)s'");
}

TEST(ConfigInterpolation, RejectsASelfReferenceAsALoop) {
  IniFile file = parse_ok("[s]\n\na = %(b)s\nb = x%(a)s\n");
  std::string message = get_error(file, "s", "a");
  EXPECT_THAT(message, StartsWith("clients.conf:3: in section [s], option 'a': interpolation "
                                  "loop or depth over 10"));
  EXPECT_THAT(message, HasSubstr("a -> b -> a"));
}

// A chain a0 -> a1 -> ... -> aN whose last value is `last`.
IniFile chain(int n, const std::string& last) {
  std::string text = "[s]\n";
  for (int i = 0; i < n; ++i) {
    text += "a" + std::to_string(i) + " = x%(a" + std::to_string(i + 1) + ")s\n";
  }
  text += "a" + std::to_string(n) + " = " + last + "\n";
  return parse_ok(text);
}

TEST(ConfigInterpolation, AllowsTenLevelsOfNestingLikeConfigparser) {
  // python: n=10 with a plain last value works; a last value that itself
  // needs expanding (or n=11) raises InterpolationDepthError.
  EXPECT_EQ(value(chain(10, "end"), "s", "a0"), "xxxxxxxxxxend");
  EXPECT_EQ(value(chain(9, "end%%"), "s", "a0"), "xxxxxxxxxend%");
  EXPECT_THAT(get_error(chain(10, "end%%"), "s", "a0"), HasSubstr("depth over 10"));
  EXPECT_THAT(get_error(chain(11, "end"), "s", "a0"), HasSubstr("depth over 10"));
}

TEST(ConfigInterpolation, StopsAnExponentialExpansionAtTheSizeLimit) {
  std::string text = "[s]\nl0 = xxxxxxxxxxxxxxxx\n";
  for (int level = 1; level <= 8; ++level) {
    text += "l" + std::to_string(level) + " = ";
    for (int i = 0; i < 10; ++i) text += "%(l" + std::to_string(level - 1) + ")s";
    text += "\n";
  }
  IniFile file = parse_ok(text);
  EXPECT_EQ(value(file, "s", "l2").size(), 1600u);
  EXPECT_THAT(get_error(file, "s", "l8"), HasSubstr("interpolated value would be larger than"));
}

TEST(ConfigInterpolation, ItemsFailsOnABadOptionTheServerDoesNotUse) {
  IniFile file = parse_ok("[DEFAULT]\nnote = 5% done\n[foo]\nhost = h\n");
  auto items = file.items("foo");
  ASSERT_FALSE(items.ok());
  EXPECT_THAT(items.error().message,
              StartsWith("clients.conf:2: in section [foo], option 'note': '%' must be followed"));
  EXPECT_EQ(value(file, "foo", "host"), "h");
}

TEST(ConfigInterpolation, DoesNotEchoTheSecretInErrors) {
  IniFile file = parse_ok("[s]\nsecret =\n    QUJDRE%VGR0hJ\n    S0xNTk9Q\nother = %(secret)s\n");
  std::string message = get_error(file, "s", "secret");
  EXPECT_THAT(message, StartsWith("clients.conf:2: in section [s], option 'secret':"));
  EXPECT_THAT(message, Not(HasSubstr("VGR")));
  EXPECT_THAT(message, Not(HasSubstr("%V")));
  EXPECT_THAT(get_error(file, "s", "other"), Not(HasSubstr("%V")));
}

// ---------------------------------------------------------------------------
// Booleans

TEST(ConfigBool, AcceptsConfigparserTrueWordsInAnyCase) {
  for (const char* word : {"1", "yes", "YES", "true", "True", "on", "oN"}) {
    auto parsed = parse_bool(word);
    ASSERT_TRUE(parsed.ok()) << word;
    EXPECT_TRUE(*parsed) << word;
  }
}

TEST(ConfigBool, AcceptsConfigparserFalseWordsInAnyCase) {
  for (const char* word : {"0", "no", "No", "false", "FALSE", "off", "Off"}) {
    auto parsed = parse_bool(word);
    ASSERT_TRUE(parsed.ok()) << word;
    EXPECT_FALSE(*parsed) << word;
  }
}

TEST(ConfigBool, RejectsOtherWordsAndSurroundingSpace) {
  for (const char* word : {"", " yes", "yes ", "y", "n", "2", "enabled", "truee", "\nyes"}) {
    auto parsed = parse_bool(word);
    EXPECT_FALSE(parsed.ok()) << "'" << word << "'";
  }
  auto parsed = parse_bool("maybe");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message, HasSubstr("1/yes/true/on or 0/no/false/off"));
}

TEST(ConfigBool, InterpolatesBeforeParsing) {
  IniFile file = parse_ok("[DEFAULT]\nflag = off\n[s]\nenabled = %(flag)s\n");
  auto enabled = file.get_bool("s", "enabled", true);
  ASSERT_TRUE(enabled.ok());
  EXPECT_FALSE(*enabled);
}

TEST(ConfigBool, ReturnsTheFallbackWhenUnset) {
  IniFile file = parse_ok("[s]\n");
  auto absent = file.get_bool("s", "enabled", true);
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(*absent);
  auto built_in = parse_ok("[s]\n", kBuiltIns).get_bool("s", "enabled", false);
  ASSERT_TRUE(built_in.ok());
  EXPECT_TRUE(*built_in);
}

TEST(ConfigBool, NamesFileLineSectionAndOptionOnABadValue) {
  IniFile file = parse_ok("[s]\n\nEnabled = maybe\ncont = yes\n  no\n");
  auto enabled = file.get_bool("s", "enabled", true);
  ASSERT_FALSE(enabled.ok());
  EXPECT_THAT(enabled.error().message,
              StartsWith("clients.conf:3: in section [s], option 'enabled': expected a boolean"));
  EXPECT_THAT(enabled.error().message, HasSubstr("got 'maybe'"));
  // A continuation line makes it "yes\nno", which is not a boolean.
  EXPECT_FALSE(file.get_bool("s", "cont", true).ok());
}

// ---------------------------------------------------------------------------
// Files

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mandos-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (const std::string& path : created_) ::unlink(path.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    created_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> created_;
};

TEST_F(ConfigFile, LoadsAFileAndNamesItsPathInLocations) {
  std::string path = write("mandos.conf", "[DEFAULT]\nport = 1234\n");
  auto file = IniFile::load(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->raw("DEFAULT", "port"), "1234");
  EXPECT_EQ(file->location("DEFAULT", "port"), path + ":2");
  EXPECT_EQ(file->filename(), path);
}

TEST_F(ConfigFile, NamesThePathInParseErrors) {
  std::string path = write("clients.conf", "[a]\n[a]\n");
  auto file = IniFile::load(path);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().message, path + ":2: duplicate section [a] (first defined at line 1)");
}

TEST_F(ConfigFile, TreatsAMissingFileAsEmptyWithBuiltInDefaults) {
  auto file = IniFile::load(dir_ + "/absent.conf", kBuiltIns);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_TRUE(file->sections().empty());
  EXPECT_EQ(file->raw("DEFAULT", "timeout"), "PT5M");
}

TEST_F(ConfigFile, ReportsAMissingFileWhenOneIsRequired) {
  auto file = IniFile::load(dir_ + "/absent.conf", {}, false);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.error().message, HasSubstr(dir_ + "/absent.conf"));
  EXPECT_THAT(file.error().message, HasSubstr("No such file"));
}

TEST_F(ConfigFile, ReportsAnUnreadableFileWithItsPath) {
  // A directory opens but cannot be read (EISDIR), even for root.
  auto file = IniFile::load(dir_);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.error().message, StartsWith(dir_ + ": cannot read"));
}

TEST_F(ConfigFile, RefusesAFileLargerThanTheLimit) {
  std::string path = write("huge.conf", "");
  // Sparse: costs no disk space, reads as zero bytes.
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(kMaxFileBytes + 1)), 0);
  auto file = IniFile::load(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.error().message, HasSubstr("larger than"));
}

// ---------------------------------------------------------------------------
// A clients.conf as mandos-keygen writes it, with the server's built-in
// defaults; expected values from Python's configparser on the same file.

constexpr std::string_view kKeygenClientsConf = R"(# Mandos clients.conf
[DEFAULT]
timeout = PT5M
interval = PT2M
checker = fping -q -- %%(host)s

[foo.example.org]
host = foo.example.org
key_id = 3b5c0b3c2e4b8e9b6f0e0b7f6f0a6e3e8a3d2b1c0f9e8d7c6b5a4f3e2d1c0b9a
fingerprint = 6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B
secret =
    hQIMA1xlrOqf7EezAQ/+KJc3G1vOZfNwe1fz4HU2B4PjIxzAx/w0qgPs7Q7pLJrY
    dYm5bS9lUv8r3vU1v4n2q5Xc9hQpL0tq2Z3f8j5kz3m1XUeJv2Yq6xB7n8c3aW0R
    9t1u2v3w4x5y6z7A8B9C0D1E2F3G4H5I6J7K8L9M0N1O2P3Q4R5S6T7U8V9W0X1Y
    =
checker = ssh-keyscan -t ecdsa-sha2-nistp256 %%(host)s 2>/dev/null | grep --fixed-strings --line-regexp --quiet --regexp=%%(host)s" %(ssh_fingerprint)s"
ssh_fingerprint = ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEz

[bar]
host = 192.0.2.7
fingerprint = 0123456789ABCDEF0123456789ABCDEF01234567
secfile = /etc/mandos/bar.secret
enabled = no
timeout = PT1H
)";

const Defaults kServerClientDefaults = {
    {"timeout", "PT5M"},          {"extended_timeout", "PT15M"},
    {"interval", "PT2M"},         {"checker", "fping -q -- %%(host)s"},
    {"host", ""},                 {"approval_delay", "PT0S"},
    {"approval_duration", "PT1S"}, {"approved_by_default", "True"},
    {"enabled", "True"}};

TEST(ConfigRealWorld, ReadsAClientsConfWrittenByMandosKeygen) {
  IniFile file = parse_ok(kKeygenClientsConf, kServerClientDefaults);
  EXPECT_THAT(file.sections(), ElementsAre("foo.example.org", "bar"));
  EXPECT_THAT(file.options("foo.example.org"),
              ElementsAre("host", "key_id", "fingerprint", "secret", "checker", "ssh_fingerprint",
                          "timeout", "extended_timeout", "interval", "approval_delay",
                          "approval_duration", "approved_by_default", "enabled"));
  auto items = file.items("foo.example.org");
  ASSERT_TRUE(items.ok()) << items.error().message;
  EXPECT_THAT(
      *items,
      ElementsAre(
          Pair("timeout", "PT5M"), Pair("extended_timeout", "PT15M"), Pair("interval", "PT2M"),
          Pair("checker",
               "ssh-keyscan -t ecdsa-sha2-nistp256 %(host)s 2>/dev/null | grep --fixed-strings "
               "--line-regexp --quiet --regexp=%(host)s\" ecdsa-sha2-nistp256 "
               "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEz\""),
          Pair("host", "foo.example.org"), Pair("approval_delay", "PT0S"),
          Pair("approval_duration", "PT1S"), Pair("approved_by_default", "True"),
          Pair("enabled", "True"),
          Pair("key_id", "3b5c0b3c2e4b8e9b6f0e0b7f6f0a6e3e8a3d2b1c0f9e8d7c6b5a4f3e2d1c0b9a"),
          Pair("fingerprint", "6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B"),
          Pair("secret",
               "\nhQIMA1xlrOqf7EezAQ/+KJc3G1vOZfNwe1fz4HU2B4PjIxzAx/w0qgPs7Q7pLJrY"
               "\ndYm5bS9lUv8r3vU1v4n2q5Xc9hQpL0tq2Z3f8j5kz3m1XUeJv2Yq6xB7n8c3aW0R"
               "\n9t1u2v3w4x5y6z7A8B9C0D1E2F3G4H5I6J7K8L9M0N1O2P3Q4R5S6T7U8V9W0X1Y\n="),
          Pair("ssh_fingerprint",
               "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEz")));
  EXPECT_EQ(file.location("foo.example.org", "secret"), "clients.conf:11");
  EXPECT_EQ(file.location("foo.example.org", "interval"), "clients.conf:4");
}

TEST(ConfigRealWorld, AppliesDefaultsAndOverridesToASecondClient) {
  IniFile file = parse_ok(kKeygenClientsConf, kServerClientDefaults);
  EXPECT_EQ(value(file, "bar", "checker"), "fping -q -- %(host)s");
  EXPECT_EQ(value(file, "bar", "timeout"), "PT1H");
  EXPECT_EQ(value(file, "bar", "extended_timeout"), "PT15M");
  EXPECT_FALSE(file.has_option("bar", "secret"));
  auto enabled = file.get_bool("bar", "enabled", true);
  ASSERT_TRUE(enabled.ok());
  EXPECT_FALSE(*enabled);
  auto approved = file.get_bool("bar", "approved_by_default", false);
  ASSERT_TRUE(approved.ok());
  EXPECT_TRUE(*approved);
  EXPECT_THAT(file.options("bar"),
              ElementsAre("host", "fingerprint", "secfile", "enabled", "timeout",
                          "extended_timeout", "interval", "checker", "approval_delay",
                          "approval_duration", "approved_by_default"));
}

}  // namespace
}  // namespace mandos::config
