// Symbolization: upstream's bins (floor(x * 26) clipped to 25), lead-major order, the q / 25
// inverse, the min-max normalization (common/repr/signal) feeding it, and the exact errors for
// values and symbols out of range.
#include "common/repr/ecg_byte/symbols.h"

#include "common/repr/signal/normalize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace ecgbench::common::repr {
namespace {

TEST(SymbolsTest, BinsFollowUpstream) {
  EXPECT_EQ(SymbolOf(0.0f), 'a');
  EXPECT_EQ(SymbolOf(0.038f), 'a');   // 0.988 -> 0
  EXPECT_EQ(SymbolOf(0.04f), 'b');    // 1.04 -> 1
  EXPECT_EQ(SymbolOf(0.5f), 'n');     // 13
  EXPECT_EQ(SymbolOf(0.9999f), 'z');  // 25.997 -> 25
  EXPECT_EQ(SymbolOf(1.0f), 'z');     // 26 clipped to 25
}

TEST(SymbolsTest, LeadMajorFlattening) {
  // 3 leads x 2 samples, lead-major: the string is lead 0's samples, then lead 1's, then lead 2's.
  const std::vector<float> x = {0.0f, 1.0f, 0.5f, 0.25f, 0.1f, 0.9f};
  auto s = Symbolize(x.data(), 6, 2);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, "azngcx");
}

TEST(SymbolsTest, OutOfRangeValuesAreNamed) {
  const std::vector<float> x = {0.0f, 0.5f, 0.5f, 1.5f};
  auto s = Symbolize(x.data(), 4, 2);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "value 1.5 at index 3 (lead 1, sample 1) is outside [0, 1] (symbolize normalized values)");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto n = Symbolize(&nan, 1);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "value nan at index 0 is outside [0, 1] (symbolize normalized values)");
  std::string out = "keep";
  EXPECT_FALSE(SymbolizeAppend(x.data(), 4, 0, &out).ok());
  EXPECT_EQ(out, "keep");
}

TEST(SymbolsTest, DesymbolizeUsesQOver25) {
  std::vector<float> out(3);
  ASSERT_TRUE(Desymbolize("amz", {-2.0f, 3.0f}, out.data()).ok());
  EXPECT_FLOAT_EQ(out[0], -2.0f);               // q = 0 -> min
  EXPECT_FLOAT_EQ(out[1], 12.0f / 25 * 5 - 2);  // q = 12
  EXPECT_FLOAT_EQ(out[2], 3.0f);                // q = 25 -> max (not a bin centre)
  absl::Status st = Desymbolize("abC", {0, 1}, out.data());
  EXPECT_EQ(st.message(), "symbol 'C' (byte 67) at position 2 is not in a..z");
  EXPECT_EQ(ValidateSymbols(std::string("a\n"), "line 3: ").message(),
            "line 3: symbol '?' (byte 10) at position 1 is not in a..z");
}

TEST(SymbolsTest, MinMaxNormalizedLikeUpstreamEcgToSymbol) {
  // upstream ecg_to_symbol: normalize (numpy float32) then min(floor(x * 26), 25).
  const std::vector<float> x = {-1.0f, 0.0f, 1.0f, 3.0f};
  std::vector<float> y(4);
  auto r = Normalizer::MinMax().Apply(x, absl::MakeSpan(y));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->lo, -1.0);
  EXPECT_EQ(r->hi, 3.0);
  const float denominator = static_cast<float>(4.0 + 1e-6);  // (max - min) + 1e-6 as numpy evaluates it
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 1.0f / denominator);
  EXPECT_EQ(y[3], 4.0f / denominator);
  EXPECT_LT(y[3], 1.0f);
  auto s = Symbolize(y.data(), 4);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "agmz");  // 0, 6.499998, 12.999997, 25.999994
  // A constant signal maps to 0 (upstream: 0 / 1e-6), i.e. all 'a'.
  const std::vector<float> c = {2.0f, 2.0f};
  ASSERT_TRUE(Normalizer::MinMax().Apply(c, absl::MakeSpan(y).subspan(0, 2)).ok());
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(*Symbolize(y.data(), 2), "aa");
  const std::vector<float> inf = {std::numeric_limits<float>::infinity()};
  EXPECT_EQ(Normalizer::MinMax().Apply(inf, absl::MakeSpan(y).subspan(0, 1)).status().message(),
            "normalize: input[0] is infinite");
}

TEST(SymbolsTest, RoundTripWithinOneBin) {
  std::vector<float> x(200);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i) * 0.1f) * 2.0f + 0.5f;
  std::vector<float> norm(x.size()), back(x.size());
  auto r = Normalizer::MinMax().Apply(x, absl::MakeSpan(norm));
  ASSERT_TRUE(r.ok());
  auto s = Symbolize(norm.data(), static_cast<int64_t>(norm.size()));
  ASSERT_TRUE(s.ok());
  const ValueRange range{static_cast<float>(r->lo), static_cast<float>(r->hi)};
  ASSERT_TRUE(Desymbolize(*s, range, back.data()).ok());
  const float span = range.max - range.min;
  for (size_t i = 0; i < x.size(); ++i) EXPECT_LE(std::fabs(back[i] - x[i]), span / 25 + 1e-5f) << i;
}

}  // namespace
}  // namespace ecgbench::common::repr
