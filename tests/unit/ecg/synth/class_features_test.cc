// Each synthetic class is recognisable from the signal alone: features measured by the simple
// detectors of ecg_measure.h (not the generator's ground truth) fall in the class's clinical range
// for at least 95 % of 200 seeded records per class.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "common/ecg/synth/generator.h"
#include "tests/unit/ecg/synth/ecg_measure.h"

namespace ecgbench::common::ecg {
namespace {

using testing::EcgFeatures;
using testing::MeasureEcg;

constexpr int kRecords = 200;
constexpr int kRequired = 190;  // 95 %

bool NarrowQrs(const EcgFeatures& f) { return f.qrs_ms < 120; }
bool SinusP(const EcgFeatures& f) { return f.p_present && !std::isnan(f.pr_ms); }

double MaxSt(const EcgFeatures& f) { return *std::max_element(f.st_mv.begin(), f.st_mv.end()); }

// Every lead of the contiguous group `g` has ST >= 0.2 mV.
bool StElevatedGroup(const EcgFeatures& f, StGroup g) {
  bool all = !StGroupLeads(g).empty();
  for (int l : StGroupLeads(g)) all = all && f.st_mv[l] >= 0.2;
  return all;
}

// Every wide early beat is followed by a compensatory pause: the RR before it plus the RR after
// it is two normal RR intervals (within 12 %).
bool CompensatoryPauses(const EcgFeatures& f) {
  std::vector<double> rr;
  for (size_t k = 1; k < f.qrs_onsets_s.size(); ++k) rr.push_back(f.qrs_onsets_s[k] - f.qrs_onsets_s[k - 1]);
  std::vector<double> sorted = rr;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  for (size_t k = 1; k + 1 < f.qrs_onsets_s.size(); ++k) {
    if (!f.ectopic[k]) continue;
    if (std::fabs(rr[k - 1] + rr[k] - 2 * median) > 0.12 * 2 * median) return false;
  }
  return true;
}

// V1 and V6 show the bundle-branch pattern: RBBB a late positive R' in V1 (its last 40 % rises
// above 0.15 mV) and a negative terminal wave in V6; LBBB a predominantly negative V1 and a
// predominantly positive V6.
bool BundleBranchMorphology(const Record& r, const EcgFeatures& f, BbbType type) {
  int votes = 0, beats = 0;
  const double fs = r.sampling_rate_hz;
  for (size_t k = 0; k < f.qrs_onsets_s.size(); ++k) {
    const int64_t on = std::llround(f.qrs_onsets_s[k] * fs), off = std::llround(f.qrs_offsets_s[k] * fs);
    if (on < 20) continue;
    const int64_t late = on + (off - on) * 6 / 10;
    auto extremes = [&](int lead, int64_t a, int64_t b, double* lo, double* hi) {
      const float* x = r.lead(lead);
      const double base = (x[on - 10] + x[on - 8] + x[on - 6]) / 3.0;
      *lo = 1e9;
      *hi = -1e9;
      for (int64_t i = a; i <= b; ++i) {
        *lo = std::min(*lo, x[i] - base);
        *hi = std::max(*hi, x[i] - base);
      }
    };
    double v1_lo, v1_hi, v1_late_lo, v1_late_hi, v6_lo, v6_hi, v6_late_lo, v6_late_hi;
    extremes(6, on, off, &v1_lo, &v1_hi);
    extremes(6, late, off, &v1_late_lo, &v1_late_hi);
    extremes(11, on, off, &v6_lo, &v6_hi);
    extremes(11, late, off, &v6_late_lo, &v6_late_hi);
    ++beats;
    if (type == BbbType::kRight) {
      votes += (v1_late_hi > 0.15 && v6_late_lo < -0.05) ? 1 : 0;
    } else {
      votes += (-v1_lo > 2 * std::max(0.0, v1_hi) && v6_hi > 2 * std::max(0.0, -v6_lo)) ? 1 : 0;
    }
  }
  return beats > 0 && votes * 2 > beats;
}

bool Matches(EcgClass c, const Record& r, const SynthMeta& meta, const EcgFeatures& f) {
  switch (c) {
    case EcgClass::kSinusRhythm:
      return f.heart_rate_bpm > 60 && f.heart_rate_bpm < 100 && f.rr_cv < 0.1 && SinusP(f) && f.pr_ms <= 200 &&
             NarrowQrs(f) && f.num_ectopic == 0 && MaxSt(f) < 0.2;
    case EcgClass::kSinusBradycardia:
      return f.heart_rate_bpm < 60 && f.rr_cv < 0.15 && SinusP(f) && f.pr_ms <= 200 && NarrowQrs(f);
    case EcgClass::kSinusTachycardia:
      return f.heart_rate_bpm > 100 && f.rr_cv < 0.1 && f.p_present && NarrowQrs(f);
    case EcgClass::kAtrialFibrillation:
      return f.rr_cv > 0.12 && !f.p_present && NarrowQrs(f);
    case EcgClass::kFirstDegreeAvBlock:
      return SinusP(f) && f.pr_ms > 200 && f.rr_cv < 0.1 && NarrowQrs(f);
    case EcgClass::kBundleBranchBlock:
      return f.qrs_ms >= 120 && SinusP(f) && f.pr_ms <= 200 && BundleBranchMorphology(r, f, meta.bbb_type);
    case EcgClass::kStElevation:
      return StElevatedGroup(f, meta.st_group) && SinusP(f) && NarrowQrs(f);
    case EcgClass::kPrematureVentricular:
      return f.num_ectopic >= 1 && CompensatoryPauses(f) && SinusP(f) && NarrowQrs(f);
  }
  return false;
}

class ClassFeaturesTest : public ::testing::TestWithParam<EcgClass> {};

TEST_P(ClassFeaturesTest, MeasuredFeaturesFallInTheClinicalRange) {
  const EcgClass c = GetParam();
  int matches = 0;
  std::string misses;
  for (int i = 0; i < kRecords; ++i) {
    SynthOptions options;
    options.seed = 1000 + static_cast<uint64_t>(i);
    SynthMeta meta;
    const Record r = Generate(c, options, &meta);
    const EcgFeatures f = MeasureEcg(r);
    if (Matches(c, r, meta, f)) {
      ++matches;
    } else if (misses.size() < 400) {
      misses += " seed " + std::to_string(options.seed) + " (hr " + std::to_string(f.heart_rate_bpm) + ", pr " +
                std::to_string(f.pr_ms) + ", qrs " + std::to_string(f.qrs_ms) + ");";
    }
  }
  EXPECT_GE(matches, kRequired) << EcgClassName(c) << ":" << misses;
  RecordProperty("matches", matches);
}

INSTANTIATE_TEST_SUITE_P(AllClasses, ClassFeaturesTest, ::testing::ValuesIn(kAllEcgClasses),
                         [](const ::testing::TestParamInfo<EcgClass>& info) {
                           return std::string(EcgClassKey(info.param));
                         });

TEST(ClassFeaturesTest, AtrialFibrillationRrIsIrregularSinusIsNot) {
  double af = 0, sinus = 0;
  const int n = 50;
  for (int i = 0; i < n; ++i) {
    SynthOptions options;
    options.seed = 5000 + static_cast<uint64_t>(i);
    af += MeasureEcg(Generate(EcgClass::kAtrialFibrillation, options)).rr_cv;
    sinus += MeasureEcg(Generate(EcgClass::kSinusRhythm, options)).rr_cv;
  }
  EXPECT_GT(af / n, 0.2);
  EXPECT_LT(sinus / n, 0.05);
}

}  // namespace
}  // namespace ecgbench::common::ecg
