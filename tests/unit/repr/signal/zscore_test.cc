// Per-lead z-score: each lead has mean 0 and population std 1 afterwards, hand-computed values, a
// flat lead becomes zeros, in-place use, and the errors.
#include "common/repr/signal/zscore.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace ecgbench::common::repr {
namespace {

TEST(ZScoreTest, HandComputedLeads) {
  // Lead 0: 1, 2, 3, 4 (mean 2.5, population std sqrt(1.25)); lead 1: 10, 10, 10, 10 (flat).
  const std::vector<float> in = {1, 2, 3, 4, 10, 10, 10, 10};
  std::vector<float> out(in.size(), -1.0f);
  ASSERT_TRUE(ZScorePerLead(in, 2, absl::MakeSpan(out)).ok());
  const double sd = std::sqrt(1.25);
  EXPECT_FLOAT_EQ(out[0], static_cast<float>(-1.5 / sd));
  EXPECT_FLOAT_EQ(out[1], static_cast<float>(-0.5 / sd));
  EXPECT_FLOAT_EQ(out[2], static_cast<float>(0.5 / sd));
  EXPECT_FLOAT_EQ(out[3], static_cast<float>(1.5 / sd));
  for (int i = 4; i < 8; ++i) EXPECT_EQ(out[i], 0.0f) << i;
}

TEST(ZScoreTest, EveryLeadHasMeanZeroAndUnitStdInPlace) {
  const int leads = 12, length = 1250;
  std::vector<float> x(leads * length);
  for (int l = 0; l < leads; ++l) {
    for (int i = 0; i < length; ++i) {
      x[l * length + i] = static_cast<float>(0.3 * l + (l + 1) * std::sin(0.05 * i * (l + 1)) + 2.0 * (i % 97 == 0));
    }
  }
  ASSERT_TRUE(ZScorePerLead(x, leads, absl::MakeSpan(x)).ok());
  for (int l = 0; l < leads; ++l) {
    double sum = 0, squares = 0;
    for (int i = 0; i < length; ++i) sum += x[l * length + i];
    const double mean = sum / length;
    for (int i = 0; i < length; ++i) squares += (x[l * length + i] - mean) * (x[l * length + i] - mean);
    EXPECT_NEAR(mean, 0.0, 1e-6) << l;
    EXPECT_NEAR(std::sqrt(squares / length), 1.0, 1e-5) << l;
  }
}

TEST(ZScoreTest, Errors) {
  std::vector<float> in = {1, 2, 3, 4, 5, 6};
  std::vector<float> out(5);
  EXPECT_EQ(ZScorePerLead(in, 2, absl::MakeSpan(out)).message(), "zscore: output has 5 values, input 6");
  out.resize(6);
  EXPECT_EQ(ZScorePerLead(in, 4, absl::MakeSpan(out)).message(), "zscore: 6 values are not 4 leads");
  EXPECT_EQ(ZScorePerLead(in, 0, absl::MakeSpan(out)).message(), "zscore: 6 values are not 0 leads");
  in[4] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(ZScorePerLead(in, 2, absl::MakeSpan(out)).message(), "normalize: input[4] is nan");
}

}  // namespace
}  // namespace ecgbench::common::repr
