// Unicode helpers of the tokenizers: general categories and White_Space, strict UTF-8 decoding with
// the offending offset, lossy decoding like Rust's from_utf8_lossy, and NFC (composition,
// reordering, Hangul, exclusions).
#include "common/text/tokenizers/unicode.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ecgbench::common::text {
namespace {

std::string Nfc(const std::string& s) {
  std::string out;
  AppendNfc(s, &out);
  return out;
}

std::string Lossy(const std::string& s) {
  std::string out;
  AppendUtf8Lossy(s, &out);
  return out;
}

TEST(UnicodeTest, TablesAreUnicode14) { EXPECT_STREQ(UnicodeVersion(), "14.0.0"); }

TEST(UnicodeTest, Categories) {
  for (char32_t c : {U'a', U'Z', U'\u00e9', U'\u4e2d', U'\u0627', U'\u05d0', U'\uac00', U'\u02b0', U'\U00020000'}) {
    EXPECT_TRUE(IsLetter(c)) << std::hex << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'0', U'9', U'\u0663', U'\uff11', U'\u00bd', U'\u2167', U'\u2460', U'\u00b2'}) {
    EXPECT_TRUE(IsNumber(c)) << std::hex << static_cast<uint32_t>(c);
    EXPECT_FALSE(IsLetter(c));
  }
  for (char32_t c : {U'\'', U'.', U'\u0301', U'\U0001F600', U'\u200d', U'\ufeff', U'_', U'\u00b0'}) {
    EXPECT_FALSE(IsLetter(c) || IsNumber(c) || IsWhitespace(c)) << std::hex << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U' ', U'\t', U'\n', U'\v', U'\f', U'\r', U'\u0085', U'\u00a0', U'\u1680', U'\u2000', U'\u200a',
                     U'\u2028', U'\u2029', U'\u202f', U'\u205f', U'\u3000'}) {
    EXPECT_TRUE(IsWhitespace(c)) << std::hex << static_cast<uint32_t>(c);
  }
  EXPECT_FALSE(IsWhitespace(U'\u200b'));
  EXPECT_FALSE(IsWhitespace(U'\u001f'));
  EXPECT_EQ(CombiningClass(U'\u0301'), 230);
  EXPECT_EQ(CombiningClass(U'\u0323'), 220);
  EXPECT_EQ(CombiningClass(U'a'), 0);
}

TEST(UnicodeTest, StrictDecodingNamesTheOffset) {
  std::vector<char32_t> cps;
  std::vector<uint32_t> offsets;
  ASSERT_TRUE(DecodeUtf8("a\u00e9\u4e2d\U0001F600", &cps, &offsets).ok());
  EXPECT_EQ(cps, (std::vector<char32_t>{U'a', U'\u00e9', U'\u4e2d', U'\U0001F600'}));
  EXPECT_EQ(offsets, (std::vector<uint32_t>{0, 1, 3, 6, 10}));
  EXPECT_EQ(ValidateUtf8("ab\xC3").message(), "invalid UTF-8 at byte 2");
  EXPECT_EQ(ValidateUtf8("\xC0\x80").message(), "invalid UTF-8 at byte 0");           // overlong
  EXPECT_EQ(ValidateUtf8("x\xED\xA0\x80").message(), "invalid UTF-8 at byte 1");      // surrogate
  EXPECT_EQ(ValidateUtf8("\xF4\x90\x80\x80").message(), "invalid UTF-8 at byte 0");   // > U+10FFFF
  EXPECT_EQ(ValidateUtf8("ok\x80").message(), "invalid UTF-8 at byte 2");
  EXPECT_TRUE(ValidateUtf8("\xF4\x8F\xBF\xBF").ok());
}

TEST(UnicodeTest, LossyDecodingReplacesMaximalSubparts) {
  EXPECT_EQ(Lossy("abc"), "abc");
  EXPECT_EQ(Lossy("a\xE4\xB8"), "a\uFFFD");              // truncated 3-byte sequence: one U+FFFD
  EXPECT_EQ(Lossy("\xE4\xB8x"), "\uFFFDx");
  EXPECT_EQ(Lossy("\x80\x80"), "\uFFFD\uFFFD");           // lone continuation bytes: one each
  EXPECT_EQ(Lossy("\xF0\x9F\x98"), "\uFFFD");
  EXPECT_EQ(Lossy("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // surrogate: the lead byte alone is the subpart
  EXPECT_EQ(Lossy("\xFF\xE4\xB8\xAD"), "\uFFFD\u4e2d");
}

TEST(UnicodeTest, Nfc) {
  EXPECT_EQ(Nfc("plain ascii"), "plain ascii");
  EXPECT_EQ(Nfc("cafe\u0301"), "caf\u00e9");
  EXPECT_EQ(Nfc("\u00c5"), "\u00c5");
  EXPECT_EQ(Nfc("\u212b"), "\u00c5");                      // Angstrom sign: singleton decomposition
  EXPECT_EQ(Nfc("a\u0302\u0323"), "\u1ead");              // marks reordered (220 before 230), then composed
  EXPECT_EQ(Nfc("a\u0323\u0302"), "\u1ead");
  EXPECT_EQ(Nfc("\u1100\u1161\u11a8"), "\uac01");          // Hangul L V T
  EXPECT_EQ(Nfc("\uac00\u11a8"), "\uac01");                // LV + T
  EXPECT_EQ(Nfc("\u0958"), "\u0915\u093c");                // composition exclusion stays decomposed
  EXPECT_EQ(Nfc("\u0301a"), "\u0301a");                    // leading combining mark
  EXPECT_EQ(Nfc("e\u0301\u0301"), "\u00e9\u0301");         // the second acute is blocked by nothing but has no composite
  EXPECT_EQ(Nfc("\u1e0b\u0323"), "\u1e0d\u0307");          // d-dot-above + dot-below -> d-dot-below + dot-above
}

}  // namespace
}  // namespace ecgbench::common::text
