// Expected texts were produced by the reference mandos-ctl 1.8.16's own
// table class and json.dumps() call, fed the same property dicts.
#include "output.hpp"

#include <gtest/gtest.h>

namespace mandos::ctl {
namespace {

Client make_client(const std::string& name, bool enabled, std::uint64_t timeout,
                   const std::string& checked, const std::string& host,
                   const std::string& checker, std::int64_t status, const std::string& expires,
                   std::uint64_t interval = 120000, std::uint64_t extended = 900000) {
  Client client;
  client.path = "/clients/" + name;
  client.properties = {
      {"ApprovalDelay", std::uint64_t{0}},  // server order differs from column order
      {"ApprovalDuration", std::uint64_t{1000}},
      {"ApprovalPending", true},
      {"ApprovedByDefault", false},
      {"Checker", checker},
      {"CheckerRunning", false},
      {"Created", std::string("2019-01-02T03:04:05.678901")},
      {"Enabled", enabled},
      {"Expires", expires},
      {"ExtendedTimeout", extended},
      {"Fingerprint", std::string("778827225BA7DE539C5A7CFA59CFF7CDBD9A5920")},
      {"Host", host},
      {"Interval", interval},
      {"KeyID",
       std::string("F33FCBED11ED5E03073F6A55B86FFE92AF0E24C045FB6E3B40547B3DC0C030ED")},
      {"LastApprovalRequest", std::string()},
      {"LastCheckedOK", checked},
      {"LastCheckerStatus", status},
      {"LastEnabled", std::string("2019-01-02T03:04:05")},
      {"Name", name},
      {"ObjectPath", std::string("/clients/" + name)},
      {"Timeout", timeout},
  };
  return client;
}

std::vector<Client> sample_clients() {
  return {make_client("foo", true, 300000, "2019-02-03T00:00:00", "foo.example.org",
                      "fping -q -- %%(host)s", 0, "2019-02-04T00:00:00.123456"),
          make_client("hôst-ü", false, 93785000, "", "hôst-ü.example", "echo \"ü€😀\"", -2, "",
                      86400000, 1000ull * 86400 * 400 + 999)};
}

TEST(FormatTable, DefaultTableMatchesTheReferenceIncludingTrailingSpaces) {
  auto table = format_table(sample_clients(), false);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(*table,
            "Name   Enabled Timeout    Last Successful Check\n"
            "foo    Yes     00:05:00   2019-02-03T00:00:00  \n"
            "hôst-ü No      1T02:03:05                      \n");
}

TEST(FormatTable, VerboseTableHasAllTwentyColumnsInOrder) {
  auto table = format_table(sample_clients(), true);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(
      *table,
      "Name   Enabled Timeout    Last Successful Check Created                    Interval   "
      "Host            Key ID                                                           "
      "Fingerprint                              Check Is Running Last Enabled        Approval "
      "Is Pending Approved By Default Last Approval Request Approval Delay Approval Duration "
      "Checker               Extended Timeout Expires                    Last Checker Status\n"
      "foo    Yes     00:05:00   2019-02-03T00:00:00   2019-01-02T03:04:05.678901 00:02:00   "
      "foo.example.org F33FCBED11ED5E03073F6A55B86FFE92AF0E24C045FB6E3B40547B3DC0C030ED "
      "778827225BA7DE539C5A7CFA59CFF7CDBD9A5920 No               2019-01-02T03:04:05 Yes       "
      "          No                                        00:00:00       00:00:01          "
      "fping -q -- %%(host)s 00:15:00         2019-02-04T00:00:00.123456 0                  \n"
      "hôst-ü No      1T02:03:05                       2019-01-02T03:04:05.678901 1T00:00:00 "
      "hôst-ü.example  F33FCBED11ED5E03073F6A55B86FFE92AF0E24C045FB6E3B40547B3DC0C030ED "
      "778827225BA7DE539C5A7CFA59CFF7CDBD9A5920 No               2019-01-02T03:04:05 Yes       "
      "          No                                        00:00:00       00:00:01          "
      "echo \"ü€😀\"            400T00:00:00                                -2                 \n");
}

TEST(FormatTable, WithoutClientsPrintsOnlyTheHeader) {
  auto table = format_table({}, false);
  ASSERT_TRUE(table);
  EXPECT_EQ(*table, "Name Enabled Timeout Last Successful Check\n");
  auto verbose = format_table({}, true);
  ASSERT_TRUE(verbose);
  EXPECT_EQ(verbose->find('\n'), verbose->size() - 1);
  EXPECT_TRUE(verbose->starts_with("Name Enabled Timeout Last Successful Check Created "));
  EXPECT_TRUE(verbose->ends_with(" Expires Last Checker Status\n"));
}

TEST(FormatTable, WidensAColumnToItsLongestCellCountedInCharacters) {
  std::vector<Client> clients = sample_clients();
  clients.resize(1);
  clients[0].properties.back().second = std::uint64_t{1000ull * 86400 * 12345};  // Timeout
  auto table = format_table(clients, false);
  ASSERT_TRUE(table);
  EXPECT_EQ(*table,
            "Name Enabled Timeout        Last Successful Check\n"
            "foo  Yes     12345T00:00:00 2019-02-03T00:00:00  \n");
}

TEST(FormatTable, FailsNamingTheClientAndTheMissingProperty) {
  std::vector<Client> clients = sample_clients();
  clients[1].properties.erase(clients[1].properties.begin() + 15);  // LastCheckedOK
  auto table = format_table(clients, false);
  ASSERT_FALSE(table);
  EXPECT_NE(table.error().message.find("/clients/hôst-ü"), std::string::npos);
  EXPECT_NE(table.error().message.find("LastCheckedOK"), std::string::npos);
}

TEST(CellText, ShowsBooleansDurationsAndNumbersAsTheReference) {
  EXPECT_EQ(cell_text("Enabled", true), "Yes");
  EXPECT_EQ(cell_text("CheckerRunning", false), "No");
  EXPECT_EQ(cell_text("Interval", std::uint64_t{120000}), "00:02:00");
  EXPECT_EQ(cell_text("ApprovalDuration", std::uint64_t{1999}), "00:00:01");
  EXPECT_EQ(cell_text("ExtendedTimeout", std::uint64_t{86400000}), "1T00:00:00");
  EXPECT_EQ(cell_text("Timeout", std::int64_t{3723000}), "01:02:03");
  EXPECT_EQ(cell_text("LastCheckerStatus", std::int64_t{-2}), "-2");
  EXPECT_EQ(cell_text("Host", std::string("x y")), "x y");
}

TEST(FormatJson, MatchesPythonJsonDumpsWithIndentFour) {
  auto json = format_json(sample_clients());
  ASSERT_TRUE(json) << json.error().message;
  EXPECT_EQ(*json, R"({
    "foo": {
        "Name": "foo",
        "Enabled": true,
        "Timeout": 300000,
        "LastCheckedOK": "2019-02-03T00:00:00",
        "Created": "2019-01-02T03:04:05.678901",
        "Interval": 120000,
        "Host": "foo.example.org",
        "KeyID": "F33FCBED11ED5E03073F6A55B86FFE92AF0E24C045FB6E3B40547B3DC0C030ED",
        "Fingerprint": "778827225BA7DE539C5A7CFA59CFF7CDBD9A5920",
        "CheckerRunning": false,
        "LastEnabled": "2019-01-02T03:04:05",
        "ApprovalPending": true,
        "ApprovedByDefault": false,
        "LastApprovalRequest": "",
        "ApprovalDelay": 0,
        "ApprovalDuration": 1000,
        "Checker": "fping -q -- %%(host)s",
        "ExtendedTimeout": 900000,
        "Expires": "2019-02-04T00:00:00.123456",
        "LastCheckerStatus": 0
    },
    "h\u00f4st-\u00fc": {
        "Name": "h\u00f4st-\u00fc",
        "Enabled": false,
        "Timeout": 93785000,
        "LastCheckedOK": "",
        "Created": "2019-01-02T03:04:05.678901",
        "Interval": 86400000,
        "Host": "h\u00f4st-\u00fc.example",
        "KeyID": "F33FCBED11ED5E03073F6A55B86FFE92AF0E24C045FB6E3B40547B3DC0C030ED",
        "Fingerprint": "778827225BA7DE539C5A7CFA59CFF7CDBD9A5920",
        "CheckerRunning": false,
        "LastEnabled": "2019-01-02T03:04:05",
        "ApprovalPending": true,
        "ApprovedByDefault": false,
        "LastApprovalRequest": "",
        "ApprovalDelay": 0,
        "ApprovalDuration": 1000,
        "Checker": "echo \"\u00fc\u20ac\ud83d\ude00\"",
        "ExtendedTimeout": 34560000999,
        "Expires": "",
        "LastCheckerStatus": -2
    }
}
)");
}

TEST(FormatJson, WithoutClientsPrintsAnEmptyObject) {
  auto json = format_json({});
  ASSERT_TRUE(json);
  EXPECT_EQ(*json, "{}\n");
}

TEST(FormatJson, FailsWhenAPropertyIsMissing) {
  std::vector<Client> clients = sample_clients();
  clients[0].properties.erase(clients[0].properties.begin());  // ApprovalDelay
  auto json = format_json(clients);
  ASSERT_FALSE(json);
  EXPECT_NE(json.error().message.find("ApprovalDelay"), std::string::npos);
}

}  // namespace
}  // namespace mandos::ctl
