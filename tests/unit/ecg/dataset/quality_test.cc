// Non-finite, flat and saturation checks with exact counts.
#include "common/ecg/dataset/quality.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace ecgbench::common::ecg {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A lead that is a ramp 0, 0.01, 0.02, ... (never flat, never saturated).
std::vector<float> Ramp(int n) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int t = 0; t < n; ++t) x[static_cast<size_t>(t)] = 0.01f * static_cast<float>(t % 50);
  return x;
}

TEST(QualityTest, ParsesNanPolicy) {
  EXPECT_EQ(*ParseNanPolicy("skip"), NanPolicy::kSkip);
  EXPECT_EQ(*ParseNanPolicy("zero"), NanPolicy::kZero);
  EXPECT_EQ(ParseNanPolicy("drop").status().message(), "nan policy: expected \"skip\" or \"zero\", got \"drop\"");
  EXPECT_STREQ(NanPolicyName(NanPolicy::kZero), "zero");
}

TEST(QualityTest, SkipPolicyCountsAndLeavesDataAlone) {
  std::vector<float> seg = Ramp(200);  // 2 leads x 100
  seg[5] = kNaN;
  seg[150] = -kInf;
  QualityOptions o;
  SegmentQuality q = CheckSegment(seg.data(), 2, 100, 100, o);
  EXPECT_EQ(q.nonfinite_values, 2);
  EXPECT_EQ(q.skip, SkipReason::kNonFinite);
  EXPECT_TRUE(std::isnan(seg[5]));
  QualityCounts c;
  c.Add(q);
  EXPECT_EQ(c.segments_checked, 1);
  EXPECT_EQ(c.skipped_nonfinite, 1);
  EXPECT_EQ(c.segments_kept, 0);
  EXPECT_EQ(c.zero_filled_segments, 0);
}

TEST(QualityTest, ZeroPolicyReplacesAndCounts) {
  std::vector<float> seg = Ramp(200);
  seg[5] = kNaN;
  seg[150] = kInf;
  seg[151] = kNaN;
  QualityOptions o;
  o.nan_policy = NanPolicy::kZero;
  SegmentQuality q = CheckSegment(seg.data(), 2, 100, 100, o);
  EXPECT_EQ(q.nonfinite_values, 3);
  EXPECT_EQ(q.skip, SkipReason::kNone);
  EXPECT_EQ(seg[5], 0.0f);
  EXPECT_EQ(seg[150], 0.0f);
  EXPECT_EQ(seg[151], 0.0f);
  QualityCounts c;
  c.Add(q);
  EXPECT_EQ(c.segments_kept, 1);
  EXPECT_EQ(c.zero_filled_segments, 1);
  EXPECT_EQ(c.zero_filled_values, 3);
}

TEST(QualityTest, FlatLeadThreshold) {
  std::vector<float> x(100, 0.5f);
  EXPECT_TRUE(IsFlatLead(x.data(), 100, 1e-3f));
  x[10] = 0.5009f;  // peak-to-peak 0.0009 mV
  EXPECT_TRUE(IsFlatLead(x.data(), 100, 1e-3f));
  x[10] = 0.5011f;  // 0.0011 mV
  EXPECT_FALSE(IsFlatLead(x.data(), 100, 1e-3f));
  std::vector<float> seg = Ramp(300);  // 3 leads, lead 1 flat
  for (int t = 100; t < 200; ++t) seg[static_cast<size_t>(t)] = -0.2f;
  QualityOptions o;
  SegmentQuality q = CheckSegment(seg.data(), 3, 100, 100, o);
  EXPECT_EQ(q.flat_leads, 1);
  EXPECT_EQ(q.saturated_leads, 0);
  EXPECT_EQ(q.skip, SkipReason::kNone);
  o.skip_flat = true;
  EXPECT_EQ(CheckSegment(seg.data(), 3, 100, 100, o).skip, SkipReason::kFlat);
}

// n samples of a ramp with a plateau of `run` samples at `level` starting at 10.
std::vector<float> WithPlateau(int n, int run, float level) {
  std::vector<float> x = Ramp(n);
  for (int t = 10; t < 10 + run; ++t) x[static_cast<size_t>(t)] = level;
  return x;
}

TEST(QualityTest, SaturationNeedsShareAndRun) {
  QualityOptions o;
  // 25 of 200 at the max (12.5 %), run 25: saturated.
  std::vector<float> x = WithPlateau(200, 25, 2.0f);
  EXPECT_TRUE(IsSaturatedLead(x.data(), 200, o));
  // Same at the minimum.
  x = WithPlateau(200, 25, -3.0f);
  EXPECT_TRUE(IsSaturatedLead(x.data(), 200, o));
  // 20 of 400 = exactly 5 %, run 20: saturated (both bounds inclusive).
  x = WithPlateau(400, 20, 2.0f);
  EXPECT_TRUE(IsSaturatedLead(x.data(), 400, o));
  // 20 of 401 < 5 %: not saturated.
  x = WithPlateau(401, 20, 2.0f);
  EXPECT_FALSE(IsSaturatedLead(x.data(), 401, o));
  // 19 in a run of 400 (4.75 %, run 19): not saturated.
  x = WithPlateau(400, 19, 2.0f);
  EXPECT_FALSE(IsSaturatedLead(x.data(), 400, o));
  // 30 of 200 at the max but in runs of 10: share is there, run is not.
  x = Ramp(200);
  for (int start : {10, 60, 110}) {
    for (int t = start; t < start + 10; ++t) x[static_cast<size_t>(t)] = 2.0f;
  }
  EXPECT_FALSE(IsSaturatedLead(x.data(), 200, o));
  // Values within 0.1 % of the peak-to-peak count as the extreme (float rounding of a clip level).
  x = WithPlateau(200, 25, 2.0f);
  for (int t = 10; t < 35; t += 2) x[static_cast<size_t>(t)] = 2.0f - 1e-4f;
  EXPECT_TRUE(IsSaturatedLead(x.data(), 200, o));
  // A flat lead is not also saturated.
  std::vector<float> flat(200, 1.0f);
  EXPECT_FALSE(IsSaturatedLead(flat.data(), 200, o));
}

TEST(QualityTest, SegmentSaturationCountsAndSkip) {
  std::vector<float> seg = Ramp(600);  // 3 leads x 200
  std::vector<float> sat = WithPlateau(200, 25, 2.0f);
  std::copy(sat.begin(), sat.end(), seg.begin() + 400);
  QualityOptions o;
  SegmentQuality q = CheckSegment(seg.data(), 3, 200, 200, o);
  EXPECT_EQ(q.saturated_leads, 1);
  EXPECT_EQ(q.skip, SkipReason::kNone);
  o.skip_saturated = true;
  EXPECT_EQ(CheckSegment(seg.data(), 3, 200, 200, o).skip, SkipReason::kSaturated);
}

TEST(QualityTest, StridedWindowOfARecord) {
  // 2 leads x 10 samples; check the window [4, 8) of each lead.
  std::vector<float> rec(20);
  for (int i = 0; i < 20; ++i) rec[static_cast<size_t>(i)] = static_cast<float>(i);
  rec[2] = kNaN;   // outside the window
  rec[15] = kNaN;  // lead 1, t = 5: inside
  QualityOptions o;
  o.nan_policy = NanPolicy::kZero;
  SegmentQuality q = CheckSegment(rec.data() + 4, 2, 4, 10, o);
  EXPECT_EQ(q.nonfinite_values, 1);
  EXPECT_TRUE(std::isnan(rec[2]));
  EXPECT_EQ(rec[15], 0.0f);
}

TEST(QualityTest, CountsMergeAndJson) {
  QualityCounts a, b;
  SegmentQuality flat;
  flat.flat_leads = 2;
  a.Add(flat);
  SegmentQuality sat;
  sat.saturated_leads = 1;
  sat.skip = SkipReason::kSaturated;
  b.Add(sat);
  SegmentQuality span;
  span.in_nonfinite_span = true;
  b.Add(span);
  a.Merge(b);
  EXPECT_EQ(a.ToJson().dump(),
            "{\"flat_leads\":2,\"saturated_leads\":1,\"segments_checked\":3,\"segments_kept\":2,"
            "\"segments_with_flat_lead\":1,\"segments_with_saturated_lead\":1,\"skipped_flat\":0,"
            "\"skipped_nonfinite\":0,\"skipped_saturated\":1,\"zero_filled_segments\":1,\"zero_filled_values\":0}");
}

TEST(QualityTest, ZeroFillNonFiniteReportsSpans) {
  Record r;
  r.id = "r";
  r.sampling_rate_hz = 100;
  r.leads = {"I", "II"};
  r.num_samples = 10;
  r.samples.assign(20, 1.0f);
  r.samples[2] = kNaN;
  r.samples[3] = kNaN;
  r.samples[13] = kInf;
  r.samples[14] = -kInf;
  r.samples[18] = kNaN;
  NonFiniteScan scan = ZeroFillNonFinite(r);
  EXPECT_EQ(scan.values, 5);
  ASSERT_EQ(scan.spans.size(), 2u);
  EXPECT_DOUBLE_EQ(scan.spans[0].begin_s, 0.02);
  EXPECT_DOUBLE_EQ(scan.spans[0].end_s, 0.05);
  EXPECT_DOUBLE_EQ(scan.spans[1].begin_s, 0.08);
  EXPECT_DOUBLE_EQ(scan.spans[1].end_s, 0.09);
  for (float v : r.samples) EXPECT_TRUE(std::isfinite(v));
  EXPECT_EQ(r.samples[3], 0.0f);
  NonFiniteScan clean = ZeroFillNonFinite(r);
  EXPECT_EQ(clean.values, 0);
  EXPECT_TRUE(clean.spans.empty());
}

}  // namespace
}  // namespace ecgbench::common::ecg
