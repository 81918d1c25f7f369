// Token file parsing: the format, and an exact message naming file and line for each mistake.
#include "common/security/token_file.h"

#include <gtest/gtest.h>

#include "common/security/crypto.h"
#include "common/util/files.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common {
namespace {

const std::string kHashA = Sha256Hex("token-a");
const std::string kHashB = Sha256Hex("token-b");

TEST(TokenFileTest, ParsesEntriesCommentsAndBlankLines) {
  const std::string text = "# ECG-Bench tokens\n\nalice submitter " + kHashA + "  # Alice's laptop\n" +
                           "\tworker-pool\tworker\t" + kHashB + "\r\n";
  auto entries = ParseTokenFile(text, "tokens.txt");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "alice");
  EXPECT_EQ((*entries)[0].role, Role::kSubmitter);
  EXPECT_EQ((*entries)[0].sha256_hex, kHashA);
  EXPECT_EQ((*entries)[1].name, "worker-pool");
  EXPECT_EQ((*entries)[1].role, Role::kWorker);
}

struct BadCase {
  std::string text;
  std::string message;
};

TEST(TokenFileTest, ErrorsNameFileAndLine) {
  const std::vector<BadCase> cases = {
      {"", "tokens.txt: no tokens (expected lines \"<name> <role> <sha256hex>\")"},
      {"# only a comment\n", "tokens.txt: no tokens (expected lines \"<name> <role> <sha256hex>\")"},
      {"\nalice admin\n", "tokens.txt:2: expected \"<name> <role> <sha256hex>\", got 2 fields"},
      {"alice\n", "tokens.txt:1: expected \"<name> <role> <sha256hex>\", got 1 field"},
      {"alice admin " + kHashA + " extra\n", "tokens.txt:1: expected \"<name> <role> <sha256hex>\", got 4 fields"},
      {"alice root " + kHashA + "\n",
       "tokens.txt:1: unknown role \"root\" (expected admin, submitter, viewer or worker)"},
      {"alice admin s3cret-token\n",
       "tokens.txt:1: the third field must be 64 lower-case hex digits (the SHA-256 of the token, not the token)"},
      {"alice admin " + std::string(64, 'A') + "\n",
       "tokens.txt:1: the third field must be 64 lower-case hex digits (the SHA-256 of the token, not the token)"},
      {"al/ice admin " + kHashA + "\n",
       "tokens.txt:1: name \"al/ice\" must be 1 to 128 letters, digits, '.', '_', '@' or '-'"},
      {"alice admin " + kHashA + "\nbob viewer " + kHashB + "\nalice viewer " + Sha256Hex("c") + "\n",
       "tokens.txt:3: duplicate name \"alice\" (first on line 1)"},
      {"alice admin " + kHashA + "\n# x\nbob viewer " + kHashA + "\n",
       "tokens.txt:3: duplicate token hash (first on line 1)"},
  };
  for (const BadCase& c : cases) {
    auto entries = ParseTokenFile(c.text, "tokens.txt");
    ASSERT_FALSE(entries.ok()) << c.text;
    EXPECT_TRUE(absl::IsInvalidArgument(entries.status()));
    EXPECT_EQ(entries.status().message(), c.message) << c.text;
  }
}

TEST(TokenFileTest, LoadsFromAFileAndNamesAMissingOne) {
  test_support::TempDir dir;
  const std::string path = dir.path() + "/tokens";
  ASSERT_TRUE(WriteFileAtomic(path, TokenFileLine("ops", Role::kAdmin, "token-a") + "\n").ok());
  auto entries = LoadTokenFile(path);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ((*entries)[0].sha256_hex, kHashA);
  EXPECT_EQ(TokenFileLine("ops", Role::kAdmin, "token-a"), "ops admin " + kHashA);
  auto missing = LoadTokenFile(dir.path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.path() + "/nope"), absl::string_view::npos) << missing.status();
}

TEST(TokenFileTest, Roles) {
  for (Role r : {Role::kAdmin, Role::kSubmitter, Role::kViewer, Role::kWorker}) EXPECT_EQ(*ParseRole(RoleName(r)), r);
  EXPECT_EQ(ParseRole("Admin").status().message(), "unknown role \"Admin\" (expected admin, submitter, viewer or worker)");
}

TEST(TokenFileTest, ClientTokenFiles) {
  test_support::TempDir dir;
  const std::string path = dir.path() + "/token";
  ASSERT_TRUE(WriteFileAtomic(path, "  ecgb_abc\n").ok());
  EXPECT_EQ(*ReadTokenFromFile(path), "ecgb_abc");
  ASSERT_TRUE(WriteFileAtomic(path, "\n \n").ok());
  EXPECT_EQ(ReadTokenFromFile(path).status().message(), path + ": the token file is empty");
  ASSERT_TRUE(WriteFileAtomic(path, "two words\n").ok());
  EXPECT_EQ(ReadTokenFromFile(path).status().message(), path + ": expected one token (printable, no spaces)");
}

}  // namespace
}  // namespace ecgbench::common
