// The RAG feature extractor: exact values on constructed leads (flat, zero, spike trains), errors,
// the Record entry point, the PR #3 z-scores, multi-threaded batches, and no allocation once warm.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "common/ecg/core/leads.h"
#include "common/rag/ecg_features.h"
#include "common/rag/feature_batch.h"
#include "tests/unit/rag/alloc_counter.h"
#include "tests/unit/rag/synthetic_ecg.h"

namespace ecgbench::common::rag {
namespace {

using testing::SyntheticEcg;

std::vector<double> Lead(const std::vector<double>& x, FeatureOptions o = {}) {
  EcgFeatureExtractor e(o);
  std::vector<double> out(kFeaturesPerLead);
  const absl::Status st = e.ExtractLead(x.data(), static_cast<int64_t>(x.size()), out.data());
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

TEST(EcgFeaturesTest, NamesFollowUpstreamOrder) {
  EXPECT_EQ(kNumEcgFeatures, 288);
  EXPECT_STREQ(FeatureNames()[0], "mean");
  EXPECT_STREQ(FeatureNames()[9], "dominant frequency");
  EXPECT_STREQ(FeatureNames()[16], "wavelet coefficient approximation");
  EXPECT_STREQ(FeatureNames()[23], "root mean square difference");
  // pywt.Wavelet('db4').dec_hi[0] and dec_lo[7].
  EXPECT_EQ(Db4().dec_hi[0], -0.2303778133088965);
  EXPECT_EQ(Db4().dec_lo[7], 0.2303778133088965);
}

TEST(EcgFeaturesTest, FlatLeadHasNoNanAndZeroSpectrumAndPeaks) {
  const std::vector<double> f = Lead(std::vector<double>(2500, 0.25));
  for (int j : {0, 2, 3, 4, 5, 6}) EXPECT_EQ(f[j], 0.25) << FeatureNames()[j];
  for (int j = 7; j <= 15; ++j) EXPECT_EQ(f[j], 0.0) << FeatureNames()[j];
  EXPECT_EQ(f[1], 0.0);
  // A constant passes db4's low-pass with gain sqrt(2) per level: 0.25 * 2^(5/2).
  EXPECT_NEAR(f[16], 0.25 * std::pow(2.0, 2.5), 1e-12);
  for (int j = 17; j <= 21; ++j) EXPECT_NEAR(f[j], 0.0, 1e-12) << FeatureNames()[j];
  EXPECT_EQ(f[22], 0.0);
  EXPECT_EQ(f[23], 0.0);
  for (double v : Lead(std::vector<double>(1250, 0.0))) EXPECT_EQ(v, 0.0);
}

TEST(EcgFeaturesTest, SpikeTrainGivesExactRhythmFeatures) {
  // Unit spikes every 200 samples at 250 Hz: 75 bpm, no variability; QRS window of 50 samples,
  // threshold 0.1, only the spike sample exceeds it (4 ms); T amplitude = range between the last
  // two peaks = 1; ST = x[last + 20] - x[last] = -1.
  std::vector<double> x(2500, 0.0);
  for (size_t t = 100; t < x.size(); t += 200) x[t] = 1.0;
  const std::vector<double> f = Lead(x);
  EXPECT_DOUBLE_EQ(f[11], 75.0);
  EXPECT_EQ(f[12], 0.0);
  EXPECT_DOUBLE_EQ(f[13], 0.004);
  EXPECT_EQ(f[14], 1.0);
  EXPECT_EQ(f[15], -1.0);
  // Spikes with alternating gaps 150/250: mean RR 0.8 s (75 bpm), RR std 0.2 s.
  std::vector<double> y(2500, 0.0);
  for (size_t t = 50, k = 0; t < y.size(); t += (k++ % 2 == 0 ? 150 : 250)) y[t] = 1.0;
  const std::vector<double> g = Lead(y);
  EXPECT_NEAR(g[11], 75.0, 1e-9);
  EXPECT_NEAR(g[12], 0.2, 1e-12);
}

TEST(EcgFeaturesTest, OnePeakOrNoneGivesZeroRhythmFeatures) {
  std::vector<double> ramp(500), one(500, 0.0);
  for (size_t t = 0; t < ramp.size(); ++t) ramp[t] = 0.01 * static_cast<double>(t);
  one[250] = 1.0;
  for (const auto& x : {ramp, one}) {
    const std::vector<double> f = Lead(x);
    for (int j = 11; j <= 15; ++j) EXPECT_EQ(f[j], 0.0) << FeatureNames()[j];
  }
}

TEST(EcgFeaturesTest, BadInputIsNamed) {
  EcgFeatureExtractor e;
  std::vector<float> ecg = SyntheticEcg(1, {300});
  std::vector<double> out(kNumEcgFeatures);
  ecg[2 * 300 + 5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(e.Extract(ecg.data(), 12, 300, absl::MakeSpan(out)).message(), "lead 2: ECG sample 5 is not finite (nan)");
  ecg[2 * 300 + 5] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(e.Extract(ecg.data(), 12, 300, absl::MakeSpan(out)).message(), "lead 2: ECG sample 5 is not finite (inf)");
  EXPECT_EQ(e.Extract(ecg.data(), 12, 1, absl::MakeSpan(out)).message(),
            "ECG has 1 samples per lead; at least 2 needed");
  EXPECT_EQ(e.Extract(ecg.data(), 11, 300, absl::MakeSpan(out)).message(),
            "feature output holds 288 values, expected 264");
  EcgFeatureExtractor bad(FeatureOptions{0, 1024});
  EXPECT_EQ(bad.Extract(ecg.data(), 1, 300, absl::MakeSpan(out).subspan(0, 24)).message(),
            "lead 0: sampling rate must be > 0, got 0");
}

ecg::Record TwelveLeadRecord(double fs) {
  ecg::Record r;
  r.id = "r1";
  r.sampling_rate_hz = fs;
  for (const char* name : ecg::kStandardLeads) r.leads.push_back(name);
  r.num_samples = 1000;
  r.samples = SyntheticEcg(3, {1000});
  return r;
}

TEST(EcgFeaturesTest, RecordEntryPointUsesTheRecordRateAndChecksLeads) {
  ecg::Record r = TwelveLeadRecord(500);
  EcgFeatureExtractor e;  // 250 Hz by default; the record's 500 Hz wins
  absl::StatusOr<std::vector<double>> f = e.Extract(r);
  ASSERT_TRUE(f.ok()) << f.status();
  std::vector<double> direct(kNumEcgFeatures);
  EcgFeatureExtractor e500(FeatureOptions{500, 1024});
  ASSERT_TRUE(e500.Extract(r.samples.data(), 12, 1000, absl::MakeSpan(direct)).ok());
  EXPECT_EQ(*f, direct);
  EXPECT_EQ(e.options().sampling_rate_hz, 250);
  std::swap(r.leads[3], r.leads[4]);
  EXPECT_EQ(e.Extract(r).status().message(), "record r1: lead 3 is 'aVL', expected 'aVR' (harmonize the leads first)");
  r.leads.pop_back();
  r.samples.resize(11 * 1000);
  EXPECT_EQ(e.Extract(r).status().message(), "record r1: has 11 leads, the RAG features need 12");
}

TEST(EcgFeaturesTest, ZScoresFollowPr3) {
  std::vector<double> f(kNumEcgFeatures);
  for (int l = 0; l < 12; ++l) {
    for (int j = 0; j < kFeaturesPerLead; ++j) f[l * kFeaturesPerLead + j] = j == 5 ? 7.0 : l * (j + 1.0);
  }
  ZScoreFeaturesAcrossLeads(absl::MakeSpan(f));
  const double sd = std::sqrt(143.0 / 12.0);  // population std of 0..11
  for (int l = 0; l < 12; ++l) {
    EXPECT_NEAR(f[l * kFeaturesPerLead + 0], (l - 5.5) / sd, 1e-12);
    EXPECT_NEAR(f[l * kFeaturesPerLead + 23], (l - 5.5) / sd, 1e-12);
    EXPECT_EQ(f[l * kFeaturesPerLead + 5], 0.0);  // constant across leads
  }
  std::vector<float> s = {1, 2, 3, 4, 5, 5, 5, 5};
  ZScoreSignalPerLead(s.data(), 2, 4);
  const double sd4 = std::sqrt(1.25);
  EXPECT_FLOAT_EQ(s[0], static_cast<float>(-1.5 / sd4));
  EXPECT_FLOAT_EQ(s[3], static_cast<float>(1.5 / sd4));
  for (int t = 4; t < 8; ++t) EXPECT_EQ(s[t], 0.0f);
}

TEST(EcgFeaturesTest, BatchIsThreadCountIndependentAndNamesTheFirstFailure) {
  const int count = 9;
  std::vector<std::vector<float>> ecgs;
  for (int i = 0; i < count; ++i) ecgs.push_back(SyntheticEcg(100 + i, {500}));
  auto get = [&](int64_t i) { return ecgs[static_cast<size_t>(i)].data(); };
  std::vector<double> one(count * kNumEcgFeatures), four(count * kNumEcgFeatures);
  ASSERT_TRUE(ExtractFeaturesBatch(count, get, 12, 500, {}, 1, absl::MakeSpan(one)).ok());
  ASSERT_TRUE(ExtractFeaturesBatch(count, get, 12, 500, {}, 4, absl::MakeSpan(four)).ok());
  EXPECT_EQ(one, four);
  ecgs[6][7] = std::nanf("");
  ecgs[2][12 * 500 - 1] = std::nanf("");
  const absl::Status st = ExtractFeaturesBatch(count, get, 12, 500, {}, 4, absl::MakeSpan(four),
                                               [](int64_t i) { return "rec" + std::to_string(i); });
  EXPECT_EQ(st.message(), "ECG rec2: lead 11: ECG sample 499 is not finite (nan)");
  EXPECT_EQ(ExtractFeaturesBatch(count, get, 12, 500, {}, 4, absl::MakeSpan(four).subspan(1)).message(),
            "feature batch: output holds 2591 values, expected 2592");
}

TEST(EcgFeaturesTest, ExtractDoesNotAllocateOnceWarm) {
  const std::vector<float> a = SyntheticEcg(7, {2500}), b = SyntheticEcg(8, {2500});
  EcgFeatureExtractor e;
  std::vector<double> out(kNumEcgFeatures);
  ASSERT_TRUE(e.Extract(a.data(), 12, 2500, absl::MakeSpan(out)).ok());
  const int64_t before = testing::AllocationCount();
  ASSERT_TRUE(e.Extract(b.data(), 12, 2500, absl::MakeSpan(out)).ok());
  ASSERT_TRUE(e.Extract(a.data(), 12, 2500, absl::MakeSpan(out)).ok());
  EXPECT_EQ(testing::AllocationCount() - before, 0);
}

}  // namespace
}  // namespace ecgbench::common::rag
