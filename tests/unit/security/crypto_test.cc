// SHA-256, constant-time comparison, random tokens and private files.
#include "common/security/crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "common/util/files.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common {
namespace {

TEST(CryptoTest, Sha256HexKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abcdef", "abcdef"));
  EXPECT_FALSE(ConstantTimeEquals("abcdef", "abcdeg"));
  EXPECT_FALSE(ConstantTimeEquals("abcdef", "xbcdef"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  const std::string with_nul("a\0b", 3);
  EXPECT_FALSE(ConstantTimeEquals(with_nul, std::string("a\0c", 3)));
  EXPECT_TRUE(ConstantTimeEquals(with_nul, std::string("a\0b", 3)));
}

TEST(CryptoTest, RandomTokensAreFreshAndWellFormed) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto t = NewRandomToken();
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_EQ(t->size(), 69u) << *t;
    EXPECT_EQ(t->substr(0, 5), "ecgb_");
    EXPECT_EQ(t->find_first_not_of("0123456789abcdef", 5), std::string::npos) << *t;
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(CryptoTest, PrivateFilesAreOwnerOnly) {
  test_support::TempDir dir;
  const std::string path = dir.path() + "/secret";
  ASSERT_TRUE(WriteFileAtomic(path, "old").ok());
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(WritePrivateFile(path, "new secret\n").ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*ReadFile(path), "new secret\n");
  auto bad = WritePrivateFile(dir.path() + "/missing/secret", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), dir.path() + "/missing/secret: cannot create: No such file or directory");
}

}  // namespace
}  // namespace ecgbench::common
