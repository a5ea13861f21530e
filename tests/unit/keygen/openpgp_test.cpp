#include "openpgp.hpp"

#include <gtest/gtest.h>

namespace mandos::keygen {
namespace {

TEST(GenkeyParameterBlock, HasTheReferenceKeyLayout) {
  OpenPgpKeyParameters p{"RSA", "4096", "RSA", "2048", "client.example", "", "", "0"};
  EXPECT_EQ(genkey_parameter_block(p),
            "<GnupgKeyParms format=\"internal\">\n"
            "Key-Type: RSA\n"
            "Key-Length: 4096\n"
            "Key-Usage: sign,auth\n"
            "Subkey-Type: RSA\n"
            "Subkey-Length: 2048\n"
            "Subkey-Usage: encrypt\n"
            "Name-Real: client.example\n"
            "Expire-Date: 0\n"
            "%no-protection\n"
            "</GnupgKeyParms>\n");
}

TEST(GenkeyParameterBlock, AddsCommentAndEmailOnlyWhenGiven) {
  OpenPgpKeyParameters p{"DSA", "2048", "ELG-E", "2048", "n", "my comment", "a@b.c", "2y"};
  const std::string block = genkey_parameter_block(p);
  EXPECT_NE(block.find("Name-Real: n\nName-Comment: my comment\nName-Email: a@b.c\n"
                       "Expire-Date: 2y\n"),
            std::string::npos);
  p.comment.clear();
  EXPECT_EQ(genkey_parameter_block(p).find("Name-Comment"), std::string::npos);
}

TEST(KeyFileComment, NamesTheClientThenCommentThenEmail) {
  EXPECT_EQ(key_file_comment("h", "", ""), "Mandos client key for h");
  EXPECT_EQ(key_file_comment("h", "c", ""), "Mandos client key for h (c)");
  EXPECT_EQ(key_file_comment("h", "", "e@x"), "Mandos client key for h <e@x>");
  EXPECT_EQ(key_file_comment("h", "c", "e@x"), "Mandos client key for h (c) <e@x>");
}

}  // namespace
}  // namespace mandos::keygen
