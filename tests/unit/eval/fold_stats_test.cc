// Fold statistics and the Student-t functions: exact values (from scipy.stats 1.10) and errors.
#include "common/eval/fold_stats.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace ecgbench::common::eval {
namespace {

TEST(StudentTTest, QuantileMatchesScipy) {
  EXPECT_NEAR(StudentTQuantile(0.975, 1), 12.706204736432095, 1e-9);
  EXPECT_NEAR(StudentTQuantile(0.975, 4), 2.7764451051977987, 1e-9);
  EXPECT_NEAR(StudentTQuantile(0.975, 9), 2.2621571627409915, 1e-9);
  EXPECT_NEAR(StudentTQuantile(0.995, 2), 9.92484320091807, 1e-9);
  EXPECT_NEAR(StudentTQuantile(0.975, 1000), 1.9623390808264074, 1e-9);
  EXPECT_NEAR(StudentTQuantile(0.025, 4), -2.7764451051977987, 1e-9);
  EXPECT_EQ(StudentTQuantile(0.5, 3), 0);
}

TEST(StudentTTest, ClosedFormsForOneAndTwoDegrees) {
  // df 1 is the Cauchy distribution: tan(pi (p - 1/2)); df 2: (2p - 1) / sqrt(2p(1 - p)).
  for (double p : {0.6, 0.9, 0.975, 0.999}) {
    EXPECT_NEAR(StudentTQuantile(p, 1), std::tan(M_PI * (p - 0.5)), 1e-9 * std::tan(M_PI * (p - 0.5)));
    EXPECT_NEAR(StudentTQuantile(p, 2), (2 * p - 1) / std::sqrt(2 * p * (1 - p)), 1e-10);
    EXPECT_NEAR(StudentTCdf(StudentTQuantile(p, 7), 7), p, 1e-13);
  }
  EXPECT_NEAR(StudentTCdf(1, 1), 0.75, 1e-15);
}

TEST(StudentTTest, BadArgumentsGiveNaN) {
  EXPECT_TRUE(std::isnan(StudentTQuantile(0, 3)));
  EXPECT_TRUE(std::isnan(StudentTQuantile(1, 3)));
  EXPECT_TRUE(std::isnan(StudentTQuantile(0.9, 0)));
  EXPECT_TRUE(std::isnan(RegularizedIncompleteBeta(1, 1, 1.5)));
  EXPECT_NEAR(RegularizedIncompleteBeta(1, 1, 0.3), 0.3, 1e-15);
  EXPECT_NEAR(RegularizedIncompleteBeta(2, 3, 0.4), 0.5248, 1e-14);  // a polynomial for integer a, b
}

TEST(FoldStatsTest, MatchesUpstreamAnalysis) {
  const std::vector<double> bleu = {0.301, 0.285, 0.322, 0.297, 0.310};
  auto s = ComputeFoldStats(bleu);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->n, 5);
  EXPECT_NEAR(s->mean, 30.3, 1e-12);
  EXPECT_NEAR(s->std, 1.3910427743243579, 1e-12);
  EXPECT_NEAR(s->ci_low, 28.572792267159958, 1e-9);
  EXPECT_NEAR(s->ci_high, 32.02720773284004, 1e-9);
  EXPECT_TRUE(s->has_interval());
  EXPECT_NEAR(s->half_width(), 1.727207732840041, 1e-9);
}

TEST(FoldStatsTest, OneValueHasNoSpread) {
  FoldStatsOptions unscaled;
  unscaled.scale = 1;
  auto s = ComputeFoldStats(std::vector<double>{0.5}, unscaled);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->mean, 0.5);
  EXPECT_TRUE(std::isnan(s->std));
  EXPECT_FALSE(s->has_interval());
}

TEST(FoldStatsTest, ConstantValuesHaveZeroWidth) {
  auto s = ComputeFoldStats(std::vector<double>{0.25, 0.25, 0.25});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->std, 0);
  EXPECT_EQ(s->ci_low, 25);
  EXPECT_EQ(s->ci_high, 25);
}

TEST(FoldStatsTest, Errors) {
  EXPECT_EQ(ComputeFoldStats(std::vector<double>{}).status().message(), "fold statistics: no values");
  EXPECT_EQ(ComputeFoldStats(std::vector<double>{1, NAN}).status().message(), "fold statistics: value 1 is nan");
  FoldStatsOptions bad;
  bad.confidence = 1;
  EXPECT_EQ(ComputeFoldStats(std::vector<double>{1, 2}, bad).status().message(),
            "fold statistics: confidence must be in (0, 1), got 1");
}

}  // namespace
}  // namespace ecgbench::common::eval
