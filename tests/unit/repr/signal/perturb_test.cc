// Perturbations: exact reproducibility from (seed, sample, epoch), the 0.5 / 0.5 probabilities
// (binomial tolerance), sigma = 0.05 std and the wander shape and amplitude, blackout, names and
// errors. The random helpers they rest on are tested in tests/unit/util/det_random_test.cc.
#include "common/repr/signal/perturb.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace ecgbench::common::repr {
namespace {

std::vector<float> Ecg(int leads, int length) {
  std::vector<float> v(static_cast<size_t>(leads) * length);
  for (int l = 0; l < leads; ++l) {
    for (int t = 0; t < length; ++t)
      v[static_cast<size_t>(l) * length + t] = static_cast<float>(std::sin(t * 0.05 + l) * (0.5 + 0.1 * l));
  }
  return v;
}

double Std(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m += x;
  m /= v.size();
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / v.size());
}

TEST(PerturbTest, ReproducibleFromSeedSampleAndEpochOnly) {
  const std::vector<float> ecg = Ecg(12, 1250);
  std::vector<float> a = ecg, b = ecg, c = ecg, d = ecg;
  // Find a sample where noise is applied, then check bit equality of two runs.
  PerturbSeed seed{42, 0, 3};
  for (;; ++seed.sample_index) {
    std::vector<float> probe = ecg;
    if (Perturb(Perturbation::kNoise, seed, 12, absl::MakeSpan(probe))->noise) break;
  }
  ASSERT_TRUE(Perturb(Perturbation::kNoise, seed, 12, absl::MakeSpan(a)).ok());
  ASSERT_TRUE(Perturb(Perturbation::kNoise, seed, 12, absl::MakeSpan(b)).ok());
  EXPECT_EQ(a, b);
  PerturbSeed other_epoch = seed;
  other_epoch.epoch = 4;
  ASSERT_TRUE(Perturb(Perturbation::kNoise, other_epoch, 12, absl::MakeSpan(c)).ok());
  EXPECT_NE(a, c);
  PerturbSeed other_seed = seed;
  other_seed.seed = 43;
  ASSERT_TRUE(Perturb(Perturbation::kNoise, other_seed, 12, absl::MakeSpan(d)).ok());
  EXPECT_NE(a, d);
}

TEST(PerturbTest, ProbabilitiesAreOneHalfEachAndIndependent) {
  const std::vector<float> ecg = Ecg(12, 20);
  const int n = 4000;
  int noise = 0, wander = 0, both = 0;
  int k_counts[6] = {0, 0, 0, 0, 0, 0};
  for (int i = 0; i < n; ++i) {
    std::vector<float> x = ecg;
    auto info = Perturb(Perturbation::kNoise, PerturbSeed{7, static_cast<uint64_t>(i), 1}, 12, absl::MakeSpan(x));
    ASSERT_TRUE(info.ok());
    noise += info->noise;
    wander += info->wander;
    both += info->noise && info->wander;
    if (info->wander) ++k_counts[info->wander_k];
  }
  const double tol = 5 * std::sqrt(n * 0.25);  // 5 binomial standard deviations
  EXPECT_NEAR(noise, n * 0.5, tol);
  EXPECT_NEAR(wander, n * 0.5, tol);
  EXPECT_NEAR(both, n * 0.25, 5 * std::sqrt(n * 0.25 * 0.75));
  for (int k = 1; k <= 5; ++k) EXPECT_NEAR(k_counts[k], wander / 5.0, 5 * std::sqrt(wander * 0.2 * 0.8)) << k;
}

TEST(PerturbTest, NoiseSigmaAndWanderShape) {
  const int leads = 12, length = 2500;
  const std::vector<float> ecg = Ecg(leads, length);
  std::vector<double> as_double(ecg.begin(), ecg.end());
  const double expected_sigma = 0.05 * Std(as_double);
  bool saw_noise_only = false, saw_wander_only = false;
  for (uint64_t i = 0; i < 64 && !(saw_noise_only && saw_wander_only); ++i) {
    std::vector<float> x = ecg;
    auto info = Perturb(Perturbation::kNoise, PerturbSeed{11, i, 0}, leads, absl::MakeSpan(x));
    ASSERT_TRUE(info.ok());
    if (info->noise && !info->wander && !saw_noise_only) {
      saw_noise_only = true;
      EXPECT_NEAR(info->noise_sigma, expected_sigma, 1e-12);
      std::vector<double> diff(x.size());
      for (size_t k = 0; k < x.size(); ++k) diff[k] = double{x[k]} - ecg[k];
      // 30000 draws: the sample std is within ~0.4 % of sigma (1 sd); allow 3 %.
      EXPECT_NEAR(Std(diff), expected_sigma, 0.03 * expected_sigma);
    }
    if (info->wander && !info->noise && !saw_wander_only) {
      saw_wander_only = true;
      double max_abs = 0;
      for (float v : ecg) max_abs = std::max(max_abs, double{std::fabs(v)});
      EXPECT_EQ(info->wander_amplitude, 0.07 * max_abs);
      ASSERT_GE(info->wander_k, 1);
      ASSERT_LE(info->wander_k, 5);
      for (int l = 0; l < leads; ++l) {
        for (int t = 0; t < length; ++t) {
          const size_t k = static_cast<size_t>(l) * length + t;
          const double w = info->wander_amplitude * std::sin(t * (info->wander_k * M_PI / (length - 1)));
          ASSERT_NEAR(double{x[k]} - ecg[k], w, 1e-6) << "lead " << l << " t " << t;
        }
      }
    }
  }
  EXPECT_TRUE(saw_noise_only);
  EXPECT_TRUE(saw_wander_only);
}

TEST(PerturbTest, BlackoutNoneNoSignalNamesAndErrors) {
  const std::vector<float> ecg = Ecg(12, 10);
  std::vector<float> x = ecg;
  ASSERT_TRUE(Perturb(Perturbation::kBlackout, {}, 12, absl::MakeSpan(x)).ok());
  for (float v : x) EXPECT_EQ(v, 0.0f);
  for (Perturbation p : {Perturbation::kNone, Perturbation::kNoSignal}) {
    x = ecg;
    ASSERT_TRUE(Perturb(p, {}, 12, absl::MakeSpan(x)).ok());
    EXPECT_EQ(x, ecg);
    EXPECT_EQ(*ParsePerturbation(PerturbationName(p)), p);
  }
  EXPECT_EQ(PerturbationName(Perturbation::kNoise), "noise");
  EXPECT_EQ(*ParsePerturbation("blackout"), Perturbation::kBlackout);
  EXPECT_EQ(ParsePerturbation("jitter").status().message(),
            "unknown perturbation \"jitter\" (expected none, noise, blackout or no_signal)");
  x = ecg;
  EXPECT_EQ(Perturb(Perturbation::kNoise, {}, 7, absl::MakeSpan(x)).status().message(),
            "perturb: 120 values do not form 7 leads");
  EXPECT_EQ(Perturb(Perturbation::kNoise, {}, 12, {}).status().message(), "perturb: empty signal");
  x[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Perturb(Perturbation::kNoise, {}, 12, absl::MakeSpan(x)).status().message(),
            "perturb: signal[5] is not finite");
}

}  // namespace
}  // namespace ecgbench::common::repr
