// The preprocess pipeline on a synthetic PTB-XL-layout dataset: counts, a corrupted record skipped
// with its reason, values equal to the steps applied by hand, thread-count independence, shards,
// cancellation.
#include "common/ecg/pipeline/preprocess.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/formats/record_reader.h"
#include "common/ecg/synth/dataset_writer.h"
#include "common/util/ids.h"

namespace ecgbench::common::ecg {
namespace {

class PreprocessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string((std::filesystem::temp_directory_path() / ("ecgbench_pp_" + RandomHex(6))).string());
    SynthDatasetOptions o;
    o.layout = SynthLayout::kPtbxl;
    o.out_dir = *root_ + "/ptbxl";
    o.records = 20;
    o.seed = 7;
    o.write_ecgqa = false;
    o.write_low_rate = false;
    ASSERT_TRUE(WriteSyntheticDataset(o).ok());
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*root_);
    delete root_;
  }
  Catalog Load() {
    auto c = LoadCatalog("ptbxl", *root_ + "/ptbxl", CatalogOptions());
    EXPECT_TRUE(c.ok()) << c.status();
    return *c;
  }
  PreprocessOptions Options(int threads) {
    PreprocessOptions o;
    o.dataset = "ptbxl";
    o.target_rate_hz = 250;
    o.segment_len = 1250;
    o.threads = threads;
    return o;
  }
  std::string Out(const std::string& name) { return *root_ + "/out-" + name; }
  static std::string* root_;
};
std::string* PreprocessTest::root_ = nullptr;

TEST_F(PreprocessTest, SegmentsEveryRecordInOrder) {
  Catalog c = Load();
  ASSERT_EQ(c.refs.size(), 20u);
  auto counts = PreprocessRecords(c.refs, 0, c.refs.size(), Options(1), Out("all"));
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->records_done, 20);
  EXPECT_EQ(counts->records_skipped, 0);
  EXPECT_EQ(counts->segments, 40);  // 10 s at 250 Hz = 2500 samples = 2 windows of 1250
  auto store = SegmentStore::Open(Out("all"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->size(), 40);
  EXPECT_TRUE((*store)->Verify().ok());
  // Segment 1 (record 0, window 1) equals read -> harmonise -> resample done by hand.
  auto meta = (*store)->Meta(1);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->record_id, c.refs[0].id);
  EXPECT_EQ(meta->segment_index, 1);
  EXPECT_EQ(meta->patient_id, c.refs[0].patient_id);
  auto rec = ReadRecord(c.refs[0], "ptbxl");
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(HarmonizeLeads(*rec).ok());
  ASSERT_TRUE(ResampleRecord(*rec, 250).ok());
  const float* seg = (*store)->Segment(1);
  for (int l = 0; l < 12; ++l) {
    for (int t = 0; t < 1250; t += 97) ASSERT_EQ(seg[l * 1250 + t], rec->lead(l)[1250 + t]) << l << " " << t;
  }
}

TEST_F(PreprocessTest, ThreadCountDoesNotChangeTheOutput) {
  Catalog c = Load();
  ASSERT_TRUE(PreprocessRecords(c.refs, 0, c.refs.size(), Options(1), Out("t1")).ok());
  ASSERT_TRUE(PreprocessRecords(c.refs, 0, c.refs.size(), Options(3), Out("t3")).ok());
  auto a = SegmentStore::Open(Out("t1"));
  auto b = SegmentStore::Open(Out("t3"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ((*a)->size(), (*b)->size());
  for (int64_t i = 0; i < (*a)->size(); ++i) {
    ASSERT_EQ(0, std::memcmp((*a)->Segment(i), (*b)->Segment(i), 12 * 1250 * sizeof(float))) << i;
    ASSERT_EQ((*a)->Meta(i)->record_id, (*b)->Meta(i)->record_id);
  }
}

TEST_F(PreprocessTest, CorruptRecordIsSkippedAndCounted) {
  Catalog c = Load();
  // Truncate the signal file of record 3 (copy the dataset first: other tests read it).
  const std::string copy = *root_ + "/ptbxl-bad";
  std::filesystem::copy(*root_ + "/ptbxl", copy, std::filesystem::copy_options::recursive);
  auto bad = LoadCatalog("ptbxl", copy, CatalogOptions());
  ASSERT_TRUE(bad.ok());
  const std::string dat = bad->refs[3].paths.front() + ".dat";
  std::filesystem::resize_file(dat, 1000);
  auto counts = PreprocessRecords(bad->refs, 0, bad->refs.size(), Options(2), Out("bad"));
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->records_done, 19);
  EXPECT_EQ(counts->records_skipped, 1);
  EXPECT_EQ(counts->segments, 38);
  ASSERT_EQ(counts->errors.size(), 1u);
  EXPECT_NE(counts->errors[0].find(dat), std::string::npos) << counts->errors[0];
  EXPECT_NE(counts->errors[0].find("truncated"), std::string::npos) << counts->errors[0];
}

TEST_F(PreprocessTest, ShardsCoverTheRecordsOnce) {
  EXPECT_EQ(ShardRange(10, 0, 3), (std::pair<size_t, size_t>{0, 4}));
  EXPECT_EQ(ShardRange(10, 1, 3), (std::pair<size_t, size_t>{4, 7}));
  EXPECT_EQ(ShardRange(10, 2, 3), (std::pair<size_t, size_t>{7, 10}));
  EXPECT_EQ(ShardRange(2, 3, 4), (std::pair<size_t, size_t>{2, 2}));
  EXPECT_EQ(ShardRange(5, 5, 4), (std::pair<size_t, size_t>{0, 0}));
  Catalog c = Load();
  int64_t total = 0;
  for (int s = 0; s < 3; ++s) {
    auto [b, e] = ShardRange(c.refs.size(), s, 3);
    auto counts = PreprocessRecords(c.refs, b, e, Options(1), Out("shard" + std::to_string(s)));
    ASSERT_TRUE(counts.ok());
    total += counts->segments;
  }
  EXPECT_EQ(total, 40);
}

TEST_F(PreprocessTest, PaperFiltersChangeTheSignalNotTheShape) {
  Catalog c = Load();
  PreprocessOptions o = Options(2);
  o.paper_filters = true;
  auto counts = PreprocessRecords(c.refs, 0, 4, o, Out("filtered"));
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->segments, 8);
  ASSERT_TRUE(PreprocessRecords(c.refs, 0, 4, Options(1), Out("plain")).ok());
  auto f = SegmentStore::Open(Out("filtered"));
  auto p = SegmentStore::Open(Out("plain"));
  double diff = 0;
  for (int i = 0; i < 12 * 1250; ++i) diff = std::max(diff, std::abs(double((*f)->Segment(0)[i]) - (*p)->Segment(0)[i]));
  EXPECT_GT(diff, 1e-3);  // baseline wander and noise were removed
}

TEST_F(PreprocessTest, CancelLeavesNothingBehind) {
  Catalog c = Load();
  PreprocessHooks hooks;
  int calls = 0;
  hooks.progress = [&](const PreprocessCounts&) { ++calls; };
  hooks.cancelled = [&] { return calls >= 1; };
  auto counts = PreprocessRecords(c.refs, 0, c.refs.size(), Options(1), Out("cancel"), hooks);
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(std::filesystem::exists(Out("cancel")));
}

TEST_F(PreprocessTest, BadOptionsAreRejected) {
  Catalog c = Load();
  PreprocessOptions o = Options(1);
  o.segment_len = 0;
  EXPECT_EQ(PreprocessRecords(c.refs, 0, 1, o, Out("x")).status().message(),
            "preprocess: segment length must be positive, got 0");
  EXPECT_EQ(PreprocessRecords(c.refs, 5, 30, Options(1), Out("y")).status().message(),
            "preprocess: record range [5, 30) outside 0..20");
}

}  // namespace
}  // namespace ecgbench::common::ecg
