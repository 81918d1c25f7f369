// Deterministic random numbers: the engine is the standard's mt19937_64, the seed mixing, the
// mappings (pinned values derived with an independent Python implementation of mt19937_64 and
// SplitMix64), their statistics (uniform ranges and coverage, normal moments), stream
// independence, reproducibility across threads, and DetLog / DetSin against libm.
#include "common/util/det_random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

namespace ecgbench::common {
namespace {

TEST(DetRandomTest, EngineIsTheStandardMt19937_64) {
  DetRandom r(5489);  // the standard's check: the 10000th output of a default mt19937_64
  uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = r.NextU64();
  EXPECT_EQ(x, 9981545732273789042ULL);
  // The keyed constructor seeds the engine with MixSeed(...).
  DetRandom keyed(5, RandomStream::kSignal2VecPairs, 3, 4);
  std::mt19937_64 reference(MixSeed(5, RandomStream::kSignal2VecPairs, 3, 4));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(keyed.NextU64(), reference());
}

TEST(DetRandomTest, SeedMixingIsPinned) {
  EXPECT_EQ(SplitMix64(0), 16294208416658607535ULL);  // SplitMix64's well-known first output
  EXPECT_EQ(MixSeed(0, static_cast<RandomStream>(0), 0, 0), 2391539541053276776ULL);
  EXPECT_EQ(MixSeed(42, RandomStream::kPerturb, 7, 3), 3189476708094582624ULL);
  // Every key component matters, and the order of index and subindex too.
  const uint64_t base = MixSeed(1, RandomStream::kPerturb, 2, 3);
  EXPECT_NE(base, MixSeed(2, RandomStream::kPerturb, 2, 3));
  EXPECT_NE(base, MixSeed(1, RandomStream::kPercentileSample, 2, 3));
  EXPECT_NE(base, MixSeed(1, RandomStream::kPerturb, 3, 2));
  EXPECT_NE(base, MixSeed(1, RandomStream::kPerturb, 2, 4));
}

TEST(DetRandomTest, MappingsArePinned) {
  DetRandom a(42, RandomStream::kPerturb, 7, 3);
  EXPECT_EQ(a.NextU64(), 5799720883233467500ULL);
  EXPECT_EQ(a.NextU64(), 13016015181608133940ULL);
  DetRandom u(42, RandomStream::kPerturb, 7, 3);
  EXPECT_EQ(u.Uniform(), 0.31440349907056364);
  EXPECT_EQ(u.Uniform(), 0.7055995968501922);
  EXPECT_EQ(u.Uniform(), 0.38232915318809435);
  DetRandom n(42, RandomStream::kPerturb, 7, 3);
  const std::vector<uint64_t> ints = {0, 0, 1, 1, 5, 9, 0, 2};
  for (uint64_t expected : ints) EXPECT_EQ(n.UniformInt(10), expected);
  DetRandom r(42, RandomStream::kImageAugment, 7, 3);
  EXPECT_EQ(r.Uniform(0.8, 1.2), 0.9692029755804561);
  EXPECT_EQ(r.UniformIntInclusive(-30, 30), 6);
  // Normal: the polar method (Python with math.log; ours uses DetLog, within an ulp).
  DetRandom g(42, RandomStream::kPerturb, 7, 3);
  const std::vector<double> normals = {-1.0299701855443084, 1.1409776254140644, -0.3850927214773695,
                                       -1.099820516641787};
  for (double expected : normals) EXPECT_NEAR(g.Normal(), expected, 1e-15 * std::fabs(expected));
}

TEST(DetRandomTest, UniformIntStaysInRangeAndCoversItEvenly) {
  DetRandom rng(7, RandomStream::kSignal2VecPairs, 2, 3);
  constexpr int kDraws = 120000;
  std::vector<int> seen(12, 0);
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t x = rng.UniformInt(12);
    ASSERT_LT(x, 12u);
    ++seen[x];
  }
  // Binomial(kDraws, 1/12): 5 sigma.
  for (int c : seen) EXPECT_NEAR(c, kDraws / 12.0, 5 * std::sqrt(kDraws / 12.0 * 11.0 / 12.0));
  EXPECT_EQ(rng.UniformInt(1), 0u);
  // A range that is not a power of two and near 2^64: still in range.
  const uint64_t big = (uint64_t{1} << 63) + 12345;
  for (int i = 0; i < 1000; ++i) ASSERT_LT(rng.UniformInt(big), big);
}

TEST(DetRandomTest, UniformIntInclusiveCoversBothEnds) {
  DetRandom rng(3, RandomStream::kImageAugment, 0, 0);
  int lo = 0, hi = 0;
  std::vector<int> counts(61, 0);
  for (int i = 0; i < 61000; ++i) {
    const int64_t v = rng.UniformIntInclusive(-30, 30);
    ASSERT_GE(v, -30);
    ASSERT_LE(v, 30);
    lo = std::min<int>(lo, static_cast<int>(v));
    hi = std::max<int>(hi, static_cast<int>(v));
    ++counts[static_cast<size_t>(v + 30)];
  }
  EXPECT_EQ(lo, -30);
  EXPECT_EQ(hi, 30);
  for (int c : counts) EXPECT_NEAR(c, 1000, 5 * std::sqrt(1000.0));
  EXPECT_EQ(rng.UniformIntInclusive(5, 5), 5);
  // The full int64 range does not overflow.
  (void)rng.UniformIntInclusive(INT64_MIN, INT64_MAX);
}

TEST(DetRandomTest, UniformDoublesInRangeWithTheRightMean) {
  DetRandom rng(7, RandomStream::kSignal2VecSubsample, 2, 3);
  constexpr int kDraws = 100000;
  double sum = 0.0, sum_ab = 0.0;
  for (int i = 0; i < kDraws; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    const double v = rng.Uniform(-5.0, 5.0);
    ASSERT_GE(v, -5.0);
    ASSERT_LT(v, 5.0);
    sum_ab += v;
  }
  // Standard errors: sqrt(1/12 / n) and 10 * that.
  EXPECT_NEAR(sum / kDraws, 0.5, 5 * std::sqrt(1.0 / 12 / kDraws));
  EXPECT_NEAR(sum_ab / kDraws, 0.0, 50 * std::sqrt(1.0 / 12 / kDraws));
}

TEST(DetRandomTest, NormalMoments) {
  DetRandom u(1);
  int counts[5] = {0, 0, 0, 0, 0};
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    ++counts[u.UniformInt(5)];
    const double z = u.Normal();
    sum += z;
    sum2 += z * z;
  }
  for (int c : counts) EXPECT_NEAR(c, n / 5.0, 5 * std::sqrt(n * 0.2 * 0.8));
  EXPECT_NEAR(sum / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(sum2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
}

TEST(DetRandomTest, StreamsAreReproducibleAndIndependentOfThreads) {
  auto draws = [](uint64_t index) {
    DetRandom rng(11, RandomStream::kSignal2VecPairs, index, 0);
    std::vector<double> v(64);
    for (double& x : v) x = rng.Normal() + rng.Uniform() + static_cast<double>(rng.UniformInt(1000));
    return v;
  };
  // The same keys drawn on other threads, in reverse order, give the same values.
  std::vector<std::vector<double>> on_threads(8);
  std::vector<std::thread> threads;
  for (int t = 7; t >= 0; --t) threads.emplace_back([&, t] { on_threads[static_cast<size_t>(t)] = draws(t); });
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(on_threads[static_cast<size_t>(t)], draws(t)) << t;
  EXPECT_NE(draws(0), draws(1));
}

TEST(DetRandomTest, LogAndSinAgreeWithLibm) {
  for (double x : {1e-300, 1e-10, 0.1, 0.5, 0.70710678, 0.9999999, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e300}) {
    EXPECT_NEAR(DetLog(x), std::log(x), 4e-16 * std::max(1.0, std::fabs(std::log(x)))) << x;
  }
  EXPECT_EQ(DetLog(1.0), 0.0);
  for (int i = 0; i <= 5000; ++i) {
    const double x = i * (5 * M_PI / 5000) - 0.5;
    EXPECT_NEAR(DetSin(x), std::sin(x), 3e-16) << x;
  }
}

TEST(DetRandomTest, SampleWithoutReplacementIsDistinctSortedAndUniform) {
  const std::vector<int64_t> all = SampleWithoutReplacement(5, 0, 1);
  EXPECT_EQ(all, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(SampleWithoutReplacement(5, 9, 1), all);
  EXPECT_TRUE(SampleWithoutReplacement(0, 3, 1).empty());
  EXPECT_EQ(SampleWithoutReplacement(1000, 10, 42), SampleWithoutReplacement(1000, 10, 42));
  EXPECT_NE(SampleWithoutReplacement(1000, 10, 42), SampleWithoutReplacement(1000, 10, 43));
  // Each of 20 indices is picked with probability 5/20 over many seeds (binomial, 4 sigma).
  std::vector<int> hits(20);
  const int trials = 4000;
  for (int seed = 0; seed < trials; ++seed) {
    const std::vector<int64_t> s = SampleWithoutReplacement(20, 5, static_cast<uint64_t>(seed));
    ASSERT_EQ(s.size(), 5u);
    for (size_t i = 1; i < s.size(); ++i) ASSERT_LT(s[i - 1], s[i]);  // ascending, distinct
    for (int64_t v : s) ++hits[static_cast<size_t>(v)];
  }
  const double mean = trials * 0.25, sd = std::sqrt(trials * 0.25 * 0.75);
  for (int h : hits) EXPECT_NEAR(h, mean, 4 * sd);
}

}  // namespace
}  // namespace ecgbench::common
