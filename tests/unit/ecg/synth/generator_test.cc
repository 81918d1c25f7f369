// The synthetic ECG generator: determinism, shape, the Einthoven/Goldberger identities, option
// validation, class labels and the Rng's platform-independent distributions.
#include "common/ecg/synth/generator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "common/ecg/core/leads.h"

namespace ecgbench::common::ecg {
namespace {

TEST(RngTest, EngineIsTheStandardMt19937_64) {
  // The C++ standard fixes the 10000th output of a default-seeded mt19937_64.
  Rng rng(5489u);
  for (int i = 0; i < 9999; ++i) rng.NextU64();
  EXPECT_EQ(rng.NextU64(), 9981545732273789042ULL);
}

TEST(RngTest, UniformUsesTheTop53Bits) {
  Rng rng(5489u);
  // First output of mt19937_64 with its default seed: 14514284786278117030.
  EXPECT_EQ(rng.Uniform(), static_cast<double>(14514284786278117030ULL >> 11) / 9007199254740992.0);
}

TEST(RngTest, DistributionsHaveTheirMoments) {
  Rng rng(11);
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = rng.Normal();
    sum += z;
    sum2 += z * z;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum2 / n, 1.0, 0.01);
  int counts[6] = {0};
  for (int i = 0; i < 60000; ++i) {
    const int64_t v = rng.UniformInt(-2, 3);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 3);
    ++counts[v + 2];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
  EXPECT_NE(Rng::DeriveSeed(1, 0), Rng::DeriveSeed(1, 1));
  EXPECT_NE(Rng::DeriveSeed(1, 0), Rng::DeriveSeed(2, 0));
}

TEST(RngTest, SameSeedSameSequence) {
  Rng a(99), b(99);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(a.Normal(), b.Normal());
    ASSERT_EQ(a.UniformInt(0, 9), b.UniformInt(0, 9));
  }
}

TEST(EcgClassTest, NamesAndKeysRoundTrip) {
  for (EcgClass c : kAllEcgClasses) {
    EXPECT_EQ(ParseEcgClass(EcgClassName(c)).value(), c);
    EXPECT_EQ(ParseEcgClass(EcgClassKey(c)).value(), c);
  }
  EXPECT_EQ(EcgClassName(EcgClass::kFirstDegreeAvBlock), "first degree av block");
  EXPECT_EQ(ParseEcgClass(" AF ").value(), EcgClass::kAtrialFibrillation);
  const auto bad = ParseEcgClass("vt");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown ECG class 'vt' (expected one of: sr, sb, st, af, avb1, bbb, ste, pvc)");
  EXPECT_EQ(StGroupLeads(StGroup::kInferior), (std::vector<int>{1, 2, 5}));
  EXPECT_EQ(StGroupLeads(StGroup::kAnterior), (std::vector<int>{6, 7, 8, 9}));
  EXPECT_EQ(StGroupLeads(StGroup::kLateral), (std::vector<int>{0, 4, 10, 11}));
}

TEST(GeneratorTest, ShapeAndLeadNames) {
  SynthOptions options;
  options.seed = 3;
  const Record r = Generate(EcgClass::kSinusRhythm, options);
  ASSERT_TRUE(r.Validate().ok());
  EXPECT_EQ(r.num_samples, 5000);
  EXPECT_EQ(r.sampling_rate_hz, 500);
  EXPECT_EQ(r.source, "synth");
  EXPECT_TRUE(r.id.empty());
  ASSERT_EQ(r.num_leads(), 12);
  for (int l = 0; l < 12; ++l) EXPECT_EQ(r.leads[l], kStandardLeads[l]);

  options.fs = 400;
  options.duration_s = 7;
  const Record code15 = Generate(EcgClass::kSinusRhythm, options);
  EXPECT_EQ(code15.num_samples, 2800);
  EXPECT_EQ(code15.sampling_rate_hz, 400);
}

TEST(GeneratorTest, SameSeedGivesIdenticalBytes) {
  for (EcgClass c : kAllEcgClasses) {
    SynthOptions options;
    options.seed = 1234;
    options.noise.powerline_mv = 0.02;
    options.noise.muscle_mv = 0.01;
    const Record a = Generate(c, options);
    const Record b = Generate(c, options);
    ASSERT_EQ(a.samples.size(), b.samples.size());
    EXPECT_EQ(std::memcmp(a.samples.data(), b.samples.data(), a.samples.size() * sizeof(float)), 0)
        << EcgClassName(c);
    options.seed = 1235;
    const Record other = Generate(c, options);
    EXPECT_NE(std::memcmp(a.samples.data(), other.samples.data(), a.samples.size() * sizeof(float)), 0);
  }
}

TEST(GeneratorTest, SharedRngAdvances) {
  Rng rng(8);
  const Record a = Generate(EcgClass::kSinusRhythm, SynthOptions{}, rng);
  const Record b = Generate(EcgClass::kSinusRhythm, SynthOptions{}, rng);
  EXPECT_NE(a.samples, b.samples);
  Rng again(8);
  EXPECT_EQ(Generate(EcgClass::kSinusRhythm, SynthOptions{}, again).samples, a.samples);
}

TEST(GeneratorTest, EinthovenAndGoldbergerIdentitiesHold) {
  for (EcgClass c : kAllEcgClasses) {
    for (uint64_t seed = 0; seed < 5; ++seed) {
      SynthOptions options;
      options.seed = seed;
      options.noise.powerline_mv = 0.03;
      options.noise.muscle_mv = 0.02;
      const Record r = Generate(c, options);
      const float* i = r.lead(0);
      const float* ii = r.lead(1);
      double worst = 0;
      for (int64_t t = 0; t < r.num_samples; ++t) {
        worst = std::max(worst, std::fabs(static_cast<double>(r.lead(2)[t]) - (ii[t] - i[t])));
        worst = std::max(worst, std::fabs(r.lead(3)[t] + (static_cast<double>(i[t]) + ii[t]) / 2));
        worst = std::max(worst, std::fabs(r.lead(4)[t] - (i[t] - static_cast<double>(ii[t]) / 2)));
        worst = std::max(worst, std::fabs(r.lead(5)[t] - (ii[t] - static_cast<double>(i[t]) / 2)));
      }
      EXPECT_LE(worst, 1e-5) << EcgClassName(c) << " seed " << seed;
    }
  }
}

TEST(GeneratorTest, AmplitudesArePhysiological) {
  for (EcgClass c : kAllEcgClasses) {
    SynthOptions options;
    options.seed = 21;
    const Record r = Generate(c, options);
    float lo = 0, hi = 0;
    for (float v : r.samples) {
      ASSERT_TRUE(std::isfinite(v));
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    EXPECT_GT(hi - lo, 0.5f) << EcgClassName(c);
    EXPECT_LT(hi - lo, 6.0f) << EcgClassName(c);
  }
}

TEST(GeneratorTest, MetaDescribesTheRecord) {
  SynthOptions options;
  options.seed = 5;
  SynthMeta meta;
  Generate(EcgClass::kAtrialFibrillation, options, &meta);
  EXPECT_EQ(meta.ecg_class, EcgClass::kAtrialFibrillation);
  EXPECT_TRUE(std::isnan(meta.pr_ms));
  EXPECT_GT(meta.rr_cv, 0.1);
  Generate(EcgClass::kStElevation, options, &meta);
  EXPECT_NE(meta.st_group, StGroup::kNone);
  EXPECT_EQ(meta.st_leads, StGroupLeads(meta.st_group));
  EXPECT_GE(meta.st_mv, 0.25);
  Generate(EcgClass::kBundleBranchBlock, options, &meta);
  EXPECT_NE(meta.bbb_type, BbbType::kNone);
  EXPECT_GE(meta.qrs_ms, 130);
  Generate(EcgClass::kPrematureVentricular, options, &meta);
  EXPECT_GE(meta.num_premature, 1);
  EXPECT_EQ(meta.premature.size(), meta.qrs_onsets_s.size());
}

TEST(GeneratorTest, GoldenValuesForSeed42) {
  // Pinned outputs: a change of the model or of the draw order shows up here. (The values go
  // through libm's exp/sin/cos, so another C library may differ in the last bits: hence 1e-6.)
  SynthOptions options;
  options.seed = 42;
  SynthMeta meta;
  Record r = Generate(EcgClass::kSinusRhythm, options, &meta);
  EXPECT_NEAR(meta.heart_rate_bpm, 67.223982144, 1e-6);
  EXPECT_NEAR(meta.pr_ms, 135.644098706, 1e-6);
  EXPECT_NEAR(meta.qrs_ms, 87.457753989, 1e-6);
  EXPECT_NEAR(meta.qt_ms, 387.997441317, 1e-6);
  EXPECT_EQ(meta.qrs_onsets_s.size(), 12u);
  EXPECT_NEAR(r.lead(1)[1234], 0.0337653756, 1e-6);
  EXPECT_NEAR(r.lead(7)[2500], 0.0749633312, 1e-6);

  r = Generate(EcgClass::kAtrialFibrillation, options, &meta);
  EXPECT_NEAR(meta.heart_rate_bpm, 87.986959198, 1e-6);
  EXPECT_NEAR(meta.rr_cv, 0.268844019, 1e-6);
  EXPECT_NEAR(r.lead(1)[1234], -0.342972845, 1e-6);

  r = Generate(EcgClass::kPrematureVentricular, options, &meta);
  EXPECT_EQ(meta.num_premature, 2);
  EXPECT_NEAR(r.lead(1)[1234], -1.82409763, 1e-6);

  Generate(EcgClass::kStElevation, options, &meta);
  EXPECT_EQ(meta.st_group, StGroup::kAnterior);
  EXPECT_NEAR(meta.st_mv, 0.415309951, 1e-6);
  Generate(EcgClass::kBundleBranchBlock, options, &meta);
  EXPECT_EQ(meta.bbb_type, BbbType::kRight);
  EXPECT_NEAR(meta.qrs_ms, 138.216223052, 1e-6);
}

TEST(GeneratorTest, RejectsBadOptions) {
  SynthOptions options;
  options.fs = 0;
  EXPECT_EQ(ValidateSynthOptions(options).message(), "fs must be in [50, 10000] Hz, got 0");
  options.fs = 500;
  options.duration_s = -1;
  EXPECT_EQ(ValidateSynthOptions(options).message(), "duration_s must be in (0, 600], got -1");
  options.duration_s = 10;
  options.noise.white_mv = -0.1;
  EXPECT_EQ(ValidateSynthOptions(options).message(), "noise.white_mv must be a finite value >= 0, got -0.1");
  options.noise.white_mv = 0.01;
  options.noise.powerline_hz = 300;
  EXPECT_TRUE(ValidateSynthOptions(options).ok());  // no mains interference: the frequency is unused
  options.noise.powerline_mv = 0.01;
  EXPECT_EQ(ValidateSynthOptions(options).message(), "noise.powerline_hz must be in (0, fs/2 = 250), got 300");
  SynthMeta meta;
  meta.heart_rate_bpm = 123;
  const Record r = Generate(EcgClass::kSinusRhythm, options, &meta);
  EXPECT_FALSE(r.Validate().ok());
  EXPECT_EQ(meta.heart_rate_bpm, 123);
}

}  // namespace
}  // namespace ecgbench::common::ecg
