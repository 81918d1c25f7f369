// Python str.split()/strip() whitespace (ASCII and Unicode), UTF-8 validation, and the answer
// normalization of accuracy.
#include "common/eval/text_normalize.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ecgbench::common::eval {
namespace {

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string_view> t;
  SplitPython(text, &t);
  return std::vector<std::string>(t.begin(), t.end());
}

TEST(TextNormalizeTest, SplitsOnPythonWhitespace) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Split("  a b\t\tc\n"), (V{"a", "b", "c"}));
  EXPECT_EQ(Split(""), V{});
  EXPECT_EQ(Split(" \x0b\x0c\r "), V{});
  // U+00A0, U+3000, U+2009, U+0085, U+001C are whitespace to Python; U+200B is not.
  EXPECT_EQ(Split("a\xc2\xa0" "b\xe3\x80\x80" "c\xe2\x80\x89" "d\xc2\x85" "e\x1c" "f"), (V{"a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(Split("a\xe2\x80\x8b" "b"), V{"a\xe2\x80\x8b" "b"});
  EXPECT_EQ(Split("\xc3\xa9t\xc3\xa9 \xd0\xad\xd0\x9a\xd0\x93"), (V{"\xc3\xa9t\xc3\xa9", "\xd0\xad\xd0\x9a\xd0\x93"}));
}

TEST(TextNormalizeTest, StripsPythonWhitespace) {
  EXPECT_EQ(StripPython("  a b \n"), "a b");
  EXPECT_EQ(StripPython("\xe3\x80\x80" "x" "\xc2\xa0"), "x");
  EXPECT_EQ(StripPython(" \t "), "");
  EXPECT_EQ(StripPython("\xc3\xa0"), "\xc3\xa0");  // U+00E0 (C3 A0) is not U+00A0 (C2 A0)
}

TEST(TextNormalizeTest, FindsInvalidUtf8) {
  EXPECT_EQ(FindInvalidUtf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(FindInvalidUtf8("a\xc3"), 1u);                // truncated
  EXPECT_EQ(FindInvalidUtf8("\xc0\xaf"), 0u);             // overlong
  EXPECT_EQ(FindInvalidUtf8("x\xed\xa0\x80"), 1u);        // surrogate U+D800
  EXPECT_EQ(FindInvalidUtf8("\xf4\x90\x80\x80"), 0u);     // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\xe2\x28\xa1"), 0u);         // bad continuation
}

TEST(TextNormalizeTest, NormalizesAnswers) {
  EXPECT_EQ(NormalizeAnswer("  Sinus  Rhythm. "), "sinus rhythm");
  EXPECT_EQ(NormalizeAnswer("ST-elevation, (lead II)!"), "st elevation lead ii");
  EXPECT_EQ(NormalizeAnswer("Yes"), "yes");
  EXPECT_EQ(NormalizeAnswer("...?"), "");
  EXPECT_EQ(NormalizeAnswer("\xc3\x89" "CG\xc2\xa0" "ok"), "\xc3\x89" "cg ok");  // non-ASCII kept as is
}

}  // namespace
}  // namespace ecgbench::common::eval
