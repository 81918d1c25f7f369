// The hand-written pre-tokenizer matchers against the regexes they implement: the expected pieces
// below were produced by the regexes themselves (Python's `regex` module, which agrees with Rust's
// regex crate on these patterns), covering contractions in any case (and U+017F, which (?i) folds
// to s), whitespace runs before words and at the end, CR LF runs, digit grouping and Unicode digits.
#include "common/text/tokenizers/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/text/tokenizers/unicode.h"

namespace ecgbench::common::text {
namespace {

struct Case {
  SplitPattern pattern;
  std::string text;
  std::vector<std::string> pieces;
};

const Case kCases[] = {
    {SplitPattern::kGpt2, "I'm here, they'RE   not!  ok\n", {"I", "'m", " here", ",", " they", "'", "RE", "  ", " not", "!", " ", " ok", "\n"}},
    {SplitPattern::kGpt2, "Hello  world\t\n\n  x 12345 '", {"Hello", " ", " world", "\t\n\n ", " x", " 12345", " '"}},
    {SplitPattern::kGpt2, "  a\r\n\r\n  b", {" ", " a", "\r\n\r\n ", " b"}},
    {SplitPattern::kGpt2, "x=1+2; // ok??\n\ny", {"x", "=", "1", "+", "2", ";", " //", " ok", "??", "\n", "\n", "y"}},
    {SplitPattern::kGpt2, "don'T 'LL 's 'Ve", {"don", "'", "T", " '", "LL", " '", "s", " '", "Ve"}},
    {SplitPattern::kGpt2, "\u4e2d\u6587 caf\u00e9 1\u0663\u0664", {"\u4e2d\u6587", " caf\u00e9", " 1\u0663\u0664"}},
    {SplitPattern::kGpt2, " \u00a0 x", {" \u00a0", " x"}},
    {SplitPattern::kGpt2, "$100 ...!\n", {"$", "100", " ...!", "\n"}},
    {SplitPattern::kGpt2, "'\u017f", {"'", "\u017f"}},
    {SplitPattern::kGpt2, "", {}},
    {SplitPattern::kGpt2, "   ", {"   "}},
    {SplitPattern::kLlama3, "I'm here, they'RE   not!  ok\n", {"I", "'m", " here", ",", " they", "'RE", "  ", " not", "!", " ", " ok", "\n"}},
    {SplitPattern::kLlama3, "Hello  world\t\n\n  x 12345 '", {"Hello", " ", " world", "\t\n\n", " ", " x", " ", "123", "45", " '"}},
    {SplitPattern::kLlama3, "  a\r\n\r\n  b", {" ", " a", "\r\n\r\n", " ", " b"}},
    {SplitPattern::kLlama3, "x=1+2; // ok??\n\ny", {"x", "=", "1", "+", "2", ";", " //", " ok", "??\n\n", "y"}},
    {SplitPattern::kLlama3, "don'T 'LL 's 'Ve", {"don", "'T", " '", "LL", " '", "s", " '", "Ve"}},
    {SplitPattern::kLlama3, "\u4e2d\u6587 caf\u00e9 1\u0663\u0664", {"\u4e2d\u6587", " caf\u00e9", " ", "1\u0663\u0664"}},
    {SplitPattern::kLlama3, " \u00a0 x", {" \u00a0", " x"}},
    {SplitPattern::kLlama3, "$100 ...!\n", {"$", "100", " ...!\n"}},
    {SplitPattern::kLlama3, "'\u017f", {"'\u017f"}},
    {SplitPattern::kLlama3, "", {}},
    {SplitPattern::kLlama3, "   ", {"   "}},
    {SplitPattern::kQwen2, "I'm here, they'RE   not!  ok\n", {"I", "'m", " here", ",", " they", "'RE", "  ", " not", "!", " ", " ok", "\n"}},
    {SplitPattern::kQwen2, "Hello  world\t\n\n  x 12345 '", {"Hello", " ", " world", "\t\n\n", " ", " x", " ", "1", "2", "3", "4", "5", " '"}},
    {SplitPattern::kQwen2, "  a\r\n\r\n  b", {" ", " a", "\r\n\r\n", " ", " b"}},
    {SplitPattern::kQwen2, "x=1+2; // ok??\n\ny", {"x", "=", "1", "+", "2", ";", " //", " ok", "??\n\n", "y"}},
    {SplitPattern::kQwen2, "don'T 'LL 's 'Ve", {"don", "'T", " '", "LL", " '", "s", " '", "Ve"}},
    {SplitPattern::kQwen2, "\u4e2d\u6587 caf\u00e9 1\u0663\u0664", {"\u4e2d\u6587", " caf\u00e9", " ", "1", "\u0663", "\u0664"}},
    {SplitPattern::kQwen2, " \u00a0 x", {" \u00a0", " x"}},
    {SplitPattern::kQwen2, "$100 ...!\n", {"$", "1", "0", "0", " ...!\n"}},
    {SplitPattern::kQwen2, "'\u017f", {"'\u017f"}},
    {SplitPattern::kQwen2, "", {}},
    {SplitPattern::kQwen2, "   ", {"   "}},
};

std::vector<std::string> Split(SplitPattern pattern, const std::string& text) {
  std::vector<char32_t> cps;
  std::vector<uint32_t> offsets;
  EXPECT_TRUE(DecodeUtf8(text, &cps, &offsets).ok());
  std::vector<std::pair<uint32_t, uint32_t>> pieces;
  PreTokenize(pattern, cps.data(), cps.size(), &pieces);
  std::vector<std::string> out;
  for (const auto& [b, e] : pieces) out.push_back(text.substr(offsets[b], offsets[e] - offsets[b]));
  return out;
}

TEST(PreTokenizerTest, MatchesTheRegexes) {
  for (const Case& c : kCases) {
    EXPECT_EQ(Split(c.pattern, c.text), c.pieces) << "pattern " << static_cast<int>(c.pattern) << " on \"" << c.text << "\"";
  }
}

TEST(PreTokenizerTest, PatternsAreRecognizedFromTheirRegexSource) {
  EXPECT_EQ(PatternFromRegex(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"), SplitPattern::kGpt2);
  EXPECT_EQ(PatternFromRegex(PatternRegex(SplitPattern::kLlama3)), SplitPattern::kLlama3);
  EXPECT_EQ(PatternFromRegex(PatternRegex(SplitPattern::kQwen2)), SplitPattern::kQwen2);
  EXPECT_NE(PatternRegex(SplitPattern::kLlama3).find(R"(\p{N}{1,3})"), std::string_view::npos);
  EXPECT_EQ(PatternFromRegex(R"(\w+|\s+)"), std::nullopt);
}

}  // namespace
}  // namespace ecgbench::common::text
