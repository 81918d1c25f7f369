// Alias table: exact implied probabilities, empirical frequencies (chi-square), zero weights,
// bad weights. (DetRandom's mappings: tests/unit/util/det_random_test.cc.)
#include "common/repr/signal2vec/alias_table.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ecgbench::common::repr {
namespace {

TEST(AliasTableTest, ImpliedProbabilitiesMatchWeights) {
  const std::vector<double> weights = {1.0, 0.0, 2.0, 3.0, 4.0, 0.5};
  auto table = AliasTable::Create(weights);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->num_outcomes(), 6);
  const std::vector<double> p = table->Probabilities();
  ASSERT_EQ(p.size(), 6u);
  for (size_t i = 0; i < weights.size(); ++i) EXPECT_NEAR(p[i], weights[i] / 10.5, 1e-12) << i;
}

TEST(AliasTableTest, DrawFrequenciesPassChiSquare) {
  const std::vector<double> weights = {1.0, 0.0, 2.0, 3.0, 4.0, 0.5, 7.25};
  double sum = 0.0;
  for (double w : weights) sum += w;
  auto table = AliasTable::Create(weights);
  ASSERT_TRUE(table.ok()) << table.status();
  DetRandom rng(42, RandomStream::kSignal2VecPairs, 0, 0);
  constexpr int kDraws = 400000;
  std::vector<int64_t> counts(weights.size(), 0);
  for (int i = 0; i < kDraws; ++i) {
    const int32_t id = table->Draw(rng);
    ASSERT_GE(id, 0);
    ASSERT_LT(id, 7);
    ++counts[id];
  }
  EXPECT_EQ(counts[1], 0);  // weight 0: never drawn
  double chi2 = 0.0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0.0) continue;
    const double expected = kDraws * weights[i] / sum;
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  // 5 degrees of freedom: P(chi2 > 25) ~ 1.4e-4.
  EXPECT_LT(chi2, 25.0);
}

TEST(AliasTableTest, SkewedUnigramPowerDistribution) {
  // A Zipf-like count table raised to 0.75, as the negative sampler uses it.
  std::vector<double> weights(50);
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = std::pow(1000.0 / (i + 1), 0.75);
  auto table = AliasTable::Create(weights);
  ASSERT_TRUE(table.ok());
  double sum = 0.0;
  for (double w : weights) sum += w;
  const std::vector<double> p = table->Probabilities();
  for (size_t i = 0; i < weights.size(); ++i) EXPECT_NEAR(p[i], weights[i] / sum, 1e-12);
}

TEST(AliasTableTest, SingleOutcome) {
  auto table = AliasTable::Create({0.0, 0.0, 3.0});
  ASSERT_TRUE(table.ok());
  DetRandom rng(1, RandomStream::kSignal2VecPairs, 0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(table->Draw(rng), 2);
}

TEST(AliasTableTest, BadWeights) {
  EXPECT_EQ(AliasTable::Create({}).status().message(), "alias table: no outcomes");
  EXPECT_EQ(AliasTable::Create({1.0, -1.0}).status().message(),
            "alias table: weight 1 is -1 (must be finite and >= 0)");
  EXPECT_EQ(AliasTable::Create({std::nan("")}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AliasTable::Create({0.0, 0.0}).status().message(),
            "alias table: the weights must have a positive, finite sum");
  const double big = std::numeric_limits<double>::max();
  EXPECT_EQ(AliasTable::Create({big, big}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ecgbench::common::repr
