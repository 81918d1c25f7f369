// Wilcoxon signed-rank and paired bootstrap: exact values (scipy.stats.wilcoxon 1.10) and errors.
#include "common/eval/paired_tests.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace ecgbench::common::eval {
namespace {

TEST(WilcoxonTest, ScipyDocumentationExampleIsExact) {
  const std::vector<double> d = {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};
  const std::vector<double> zeros(d.size(), 0.0);
  auto r = WilcoxonSignedRank(d, zeros);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->exact);
  EXPECT_EQ(r->statistic, 24);
  EXPECT_DOUBLE_EQ(r->p_value, 0.041259765625);
  EXPECT_EQ(r->n, 15);
}

TEST(WilcoxonTest, TiedRanksKeepScipysTruncation) {
  // |d| = {0.5, 0.5, 1, 1, 1}: R+ = 12 (exact), and with five folds all one way p = 2/32.
  auto r = WilcoxonSignedRank(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{1.5, 2.5, 2, 3, 4});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->statistic, 3);
  EXPECT_DOUBLE_EQ(r->p_value, 0.3125);
  auto four_of_five = WilcoxonSignedRank(std::vector<double>{0.31, 0.35, 0.29, 0.33, 0.30},
                                         std::vector<double>{0.28, 0.30, 0.30, 0.30, 0.27});
  ASSERT_TRUE(four_of_five.ok());
  EXPECT_EQ(four_of_five->statistic, 1);
  EXPECT_DOUBLE_EQ(four_of_five->p_value, 0.125);
  auto all_up = WilcoxonSignedRank(std::vector<double>{1, 2, 2, 3, 3, 3}, std::vector<double>(6, 0.0));
  ASSERT_TRUE(all_up.ok());
  EXPECT_DOUBLE_EQ(all_up->p_value, 0.03125);
}

TEST(WilcoxonTest, ZerosSwitchToTheNormalApproximation) {
  auto r = WilcoxonSignedRank(std::vector<double>{1, 2, 3, 4}, std::vector<double>{1, 1, 1, 1});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exact);
  EXPECT_EQ(r->n, 3);
  EXPECT_EQ(r->statistic, 0);
  EXPECT_NEAR(r->p_value, 0.10880943004054568, 1e-14);
}

TEST(WilcoxonTest, MoreThanFiftyPairsUseTheApproximation) {
  std::vector<double> x(60), y(60);
  for (int i = 0; i < 60; ++i) {
    x[i] = i * 0.1;
    y[i] = x[i] + std::sin(static_cast<double>(i));
  }
  auto r = WilcoxonSignedRank(x, y);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exact);
  EXPECT_EQ(r->statistic, 841);
  EXPECT_NEAR(r->p_value, 0.7398054874211277, 1e-12);
}

TEST(WilcoxonTest, Errors) {
  EXPECT_EQ(WilcoxonSignedRank(std::vector<double>{1}, std::vector<double>{1, 2}).status().message(),
            "wilcoxon: the samples differ in length (1 vs 2)");
  EXPECT_EQ(WilcoxonSignedRank(std::vector<double>{}, std::vector<double>{}).status().message(), "wilcoxon: no pairs");
  EXPECT_EQ(WilcoxonSignedRank(std::vector<double>{1, 2}, std::vector<double>{1, 2}).status().message(),
            "wilcoxon: every difference is zero (the variants are identical here)");
  EXPECT_EQ(WilcoxonSignedRank(std::vector<double>{1, INFINITY}, std::vector<double>{1, 2}).status().message(),
            "wilcoxon: pair 1 is not finite (inf, 2)");
}

TEST(PairedBootstrapTest, SameSeedSameResult) {
  const std::vector<double> a = {0.31, 0.35, 0.29, 0.33, 0.30};
  const std::vector<double> b = {0.28, 0.30, 0.30, 0.30, 0.27};
  BootstrapOptions options;
  options.seed = 7;
  auto r1 = PairedBootstrap(a, b, options);
  auto r2 = PairedBootstrap(a, b, options);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->p_value, r2->p_value);
  EXPECT_EQ(r1->ci_low, r2->ci_low);
  EXPECT_NEAR(r1->mean_diff, 0.026, 1e-12);
  EXPECT_EQ(r1->n, 5);
  // Every resampled mean lies between the smallest and the largest difference.
  EXPECT_GE(r1->ci_low, -0.01 - 1e-12);
  EXPECT_LE(r1->ci_high, 0.05 + 1e-12);
  EXPECT_LT(r1->ci_low, r1->mean_diff);
  EXPECT_GT(r1->ci_high, r1->mean_diff);
  // The differences are {0.03, 0.05, -0.01, 0.03, 0.03}, mean 0.026; a resampled mean is at least
  // 0.026 away from it only at or below 0: four copies of -0.01 plus one 0.03 (5 * 0.2^4 * 0.6) or
  // five copies (0.2^5), together 0.00512 (+- sampling error of 10,000 resamples).
  EXPECT_NEAR(r1->p_value, 0.00512, 0.0025);
}

TEST(PairedBootstrapTest, AllDifferencesPositiveGiveZeroP) {
  BootstrapOptions options;
  options.resamples = 1000;
  auto r = PairedBootstrap(std::vector<double>{2, 3, 4}, std::vector<double>{1, 1, 1}, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->p_value, 0);
  EXPECT_EQ(r->mean_diff, 2);
  auto same = PairedBootstrap(std::vector<double>{1, 2}, std::vector<double>{1, 2}, options);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->p_value, 1);
}

TEST(PairedBootstrapTest, Errors) {
  BootstrapOptions options;
  options.resamples = 0;
  EXPECT_EQ(PairedBootstrap(std::vector<double>{1}, std::vector<double>{2}, options).status().message(),
            "paired bootstrap: resamples must be positive, got 0");
  EXPECT_EQ(PairedBootstrap(std::vector<double>{}, std::vector<double>{}).status().message(),
            "paired bootstrap: no pairs");
}

}  // namespace
}  // namespace ecgbench::common::eval
