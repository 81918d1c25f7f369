// Windowing of 12-lead records: counts, values, metadata, quality policies, errors.
#include "common/ecg/dataset/segmenter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/ecg/core/leads.h"

namespace ecgbench::common::ecg {
namespace {

// 12 leads at 250 Hz; sample (l, t) = l * 10000 + t.
Record MakeRecord(int64_t n) {
  Record r;
  r.id = "00001_hr";
  r.patient_id = "15709";
  r.source = "ptbxl";
  r.report = "sinus rhythm";
  r.sampling_rate_hz = 250;
  r.leads.assign(kStandardLeads.begin(), kStandardLeads.end());
  r.num_samples = n;
  r.samples.resize(static_cast<size_t>(12 * n));
  for (int l = 0; l < 12; ++l) {
    for (int64_t t = 0; t < n; ++t) r.lead(l)[t] = static_cast<float>(l * 10000 + t);
  }
  return r;
}

struct Collected {
  std::vector<SegmentMeta> metas;
  std::vector<std::vector<float>> data;
};

SegmentSink Collect(Collected* c, int64_t len) {
  return [c, len](const SegmentMeta& m, const float* d) {
    c->metas.push_back(m);
    c->data.emplace_back(d, d + 12 * len);
    return absl::OkStatus();
  };
}

TEST(SegmenterTest, WindowCountsForStandardLengths) {
  const Record r = MakeRecord(2600);  // 10.4 s at 250 Hz
  for (auto [len, want] : std::vector<std::pair<int64_t, int64_t>>{{500, 5}, {1250, 2}, {2500, 1}, {7, 371}}) {
    SegmentOptions o;
    o.length = len;
    Segmenter s = *Segmenter::Create(o);
    Collected c;
    EXPECT_EQ(*s.Run(r, {}, Collect(&c, len)), want) << len;
    EXPECT_EQ(s.counts().windows, want);
    EXPECT_EQ(s.counts().quality.segments_kept, want);
  }
}

TEST(SegmenterTest, ValuesAndMetadata) {
  const Record r = MakeRecord(2600);
  SegmentOptions o;
  o.length = 500;
  Segmenter s = *Segmenter::Create(o);
  Collected c;
  ASSERT_TRUE(s.Run(r, {{"class", "sinus"}}, Collect(&c, 500)).ok());
  ASSERT_EQ(c.metas.size(), 5u);
  for (int64_t k = 0; k < 5; ++k) {
    const SegmentMeta& m = c.metas[static_cast<size_t>(k)];
    EXPECT_EQ(m.record_id, "00001_hr");
    EXPECT_EQ(m.patient_id, "15709");
    EXPECT_EQ(m.source, "ptbxl");
    EXPECT_EQ(m.report, "sinus rhythm");
    EXPECT_EQ(m.segment_index, k);
    EXPECT_EQ(m.sampling_rate_hz, 250);
    EXPECT_EQ(m.labels.at("class"), "sinus");
    for (int l = 0; l < 12; ++l) {
      for (int64_t t = 0; t < 500; t += 37) {
        EXPECT_EQ(c.data[static_cast<size_t>(k)][static_cast<size_t>(l * 500 + t)], static_cast<float>(l * 10000 + k * 500 + t));
      }
    }
  }
}

TEST(SegmenterTest, ShortRecordGivesNothing) {
  SegmentOptions o;
  o.length = 2500;
  Segmenter s = *Segmenter::Create(o);
  Collected c;
  EXPECT_EQ(*s.Run(MakeRecord(2499), {}, Collect(&c, 2500)), 0);
  EXPECT_EQ(s.counts().records, 1);
  EXPECT_EQ(s.counts().records_too_short, 1);
  EXPECT_EQ(s.counts().windows, 0);
}

TEST(SegmenterTest, NanSkipAndZero) {
  Record r = MakeRecord(2500);
  r.lead(3)[1100] = std::numeric_limits<float>::quiet_NaN();  // window 2 of 500
  SegmentOptions o;
  o.length = 500;
  Segmenter skip = *Segmenter::Create(o);
  Collected c;
  EXPECT_EQ(*skip.Run(r, {}, Collect(&c, 500)), 4);
  std::vector<int64_t> idx;
  for (const auto& m : c.metas) idx.push_back(m.segment_index);
  EXPECT_EQ(idx, (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(skip.counts().quality.skipped_nonfinite, 1);
  EXPECT_EQ(skip.counts().ToJson()["quality"]["segments_kept"], 4);

  o.quality.nan_policy = NanPolicy::kZero;
  Segmenter zero = *Segmenter::Create(o);
  Collected z;
  EXPECT_EQ(*zero.Run(r, {}, Collect(&z, 500)), 5);
  EXPECT_EQ(z.data[2][3 * 500 + 100], 0.0f);
  EXPECT_EQ(zero.counts().quality.zero_filled_segments, 1);
  EXPECT_EQ(zero.counts().quality.zero_filled_values, 1);
  EXPECT_TRUE(std::isnan(r.lead(3)[1100]));  // the record itself is not modified
}

TEST(SegmenterTest, NonFiniteSpansFromNativeRate) {
  const Record r = MakeRecord(2500);  // windows of 500 at 250 Hz = 2 s each
  const std::vector<TimeSpan> spans = {{2.1, 2.2}, {9.99, 10.0}};
  SegmentOptions o;
  o.length = 500;
  Segmenter skip = *Segmenter::Create(o);
  Collected c;
  EXPECT_EQ(*skip.Run(r, {}, Collect(&c, 500), spans), 3);
  EXPECT_EQ(c.metas[1].segment_index, 2);
  EXPECT_EQ(skip.counts().quality.skipped_nonfinite, 2);
  o.quality.nan_policy = NanPolicy::kZero;
  Segmenter zero = *Segmenter::Create(o);
  Collected z;
  EXPECT_EQ(*zero.Run(r, {}, Collect(&z, 500), spans), 5);
  EXPECT_EQ(zero.counts().quality.zero_filled_segments, 2);
  EXPECT_EQ(zero.counts().quality.zero_filled_values, 0);
}

TEST(SegmenterTest, FlatLeadCountedOrSkipped) {
  Record r = MakeRecord(1000);
  for (int64_t t = 0; t < 1000; ++t) r.lead(5)[t] = 0.25f;
  SegmentOptions o;
  o.length = 500;
  Segmenter s = *Segmenter::Create(o);
  Collected c;
  EXPECT_EQ(*s.Run(r, {}, Collect(&c, 500)), 2);
  EXPECT_EQ(s.counts().quality.segments_with_flat_lead, 2);
  EXPECT_EQ(s.counts().quality.flat_leads, 2);
  o.quality.skip_flat = true;
  Segmenter drop = *Segmenter::Create(o);
  Collected d;
  EXPECT_EQ(*drop.Run(r, {}, Collect(&d, 500)), 0);
  EXPECT_EQ(drop.counts().quality.skipped_flat, 2);
}

TEST(SegmenterTest, RejectsBadInput) {
  SegmentOptions o;
  o.length = 0;
  EXPECT_EQ(Segmenter::Create(o).status().message(), "segment length must be positive, got 0");
  o.length = 500;
  Segmenter s = *Segmenter::Create(o);
  Collected c;
  Record r = MakeRecord(1000);
  std::swap(r.leads[3], r.leads[4]);
  EXPECT_EQ(s.Run(r, {}, Collect(&c, 500)).status().message(),
            "00001_hr: lead 3 is \"aVL\", expected \"aVR\" (run HarmonizeLeads first)");
  r = MakeRecord(1000);
  r.leads.pop_back();
  r.samples.resize(11 * 1000);
  r.path = "/data/x.hea";
  EXPECT_EQ(s.Run(r, {}, Collect(&c, 500)).status().message(),
            "/data/x.hea: segmenter needs the 12 standard leads (run HarmonizeLeads first), got 11 leads");
  r = MakeRecord(1000);
  r.samples.pop_back();
  EXPECT_FALSE(s.Run(r, {}, Collect(&c, 500)).ok());
  EXPECT_TRUE(c.metas.empty());
}

TEST(SegmenterTest, SinkErrorStops) {
  SegmentOptions o;
  o.length = 500;
  Segmenter s = *Segmenter::Create(o);
  int calls = 0;
  absl::StatusOr<int64_t> n = s.Run(MakeRecord(2500), {}, [&](const SegmentMeta&, const float*) {
    return ++calls == 2 ? absl::InternalError("disk full") : absl::OkStatus();
  });
  EXPECT_EQ(n.status().message(), "disk full");
  EXPECT_EQ(calls, 2);
}

TEST(SegmenterTest, IntoVectorMatchesSink) {
  Record r = MakeRecord(2600);
  r.lead(0)[700] = std::numeric_limits<float>::infinity();  // window 1 skipped
  SegmentOptions o;
  o.length = 500;
  std::vector<float> out = {42.0f};  // existing content is kept
  std::vector<SegmentMeta> metas;
  SegmenterCounts counts;
  EXPECT_EQ(*SegmentRecordInto(r, {}, o, &out, &metas, &counts), 4);
  ASSERT_EQ(out.size(), 1u + 4 * 12 * 500);
  EXPECT_EQ(out[0], 42.0f);
  Segmenter s = *Segmenter::Create(o);
  Collected c;
  ASSERT_TRUE(s.Run(r, {}, Collect(&c, 500)).ok());
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(metas[k], c.metas[k]);
    EXPECT_TRUE(std::equal(c.data[k].begin(), c.data[k].end(), out.begin() + 1 + static_cast<int64_t>(k) * 6000));
  }
  EXPECT_EQ(counts.ToJson(), s.counts().ToJson());
}

}  // namespace
}  // namespace ecgbench::common::ecg
