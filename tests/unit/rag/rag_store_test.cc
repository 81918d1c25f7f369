// A RAG database over a segment store: all segments or a subset, record ids and reports from the
// store's index, the store's length and rate, and the exclusion of every segment of the query's record.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/rag/rag_store.h"
#include "tests/unit/rag/synthetic_ecg.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::rag {
namespace {

constexpr int64_t kL = 200;

// 6 records x 2 segments; record r's segments carry report "report r".
std::unique_ptr<ecg::SegmentStore> MakeStore(const test_support::TempDir& dir) {
  ecg::SegmentStoreOptions o;
  o.segment_length = kL;
  o.sampling_rate_hz = 100;
  absl::StatusOr<std::unique_ptr<ecg::SegmentStoreWriter>> w = ecg::SegmentStoreWriter::Create(dir / "store", o);
  EXPECT_TRUE(w.ok()) << w.status();
  for (int r = 0; r < 6; ++r) {
    for (int s = 0; s < 2; ++s) {
      ecg::SegmentMeta meta;
      meta.record_id = absl::StrCat("rec", r);
      meta.segment_index = s;
      meta.report = absl::StrCat("report ", r);
      meta.source = "synthetic";
      const std::vector<float> e = testing::SyntheticEcg(static_cast<uint64_t>(10 * r + s), {kL, 100});
      EXPECT_TRUE((*w)->Append(meta, e.data()).ok());
    }
  }
  EXPECT_TRUE((*w)->Finish().ok());
  absl::StatusOr<std::unique_ptr<ecg::SegmentStore>> store = ecg::SegmentStore::Open(dir / "store");
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(*store);
}

TEST(RagStoreTest, IndexesEverySegmentWithItsRecordAndReport) {
  test_support::TempDir dir;
  const std::unique_ptr<ecg::SegmentStore> store = MakeStore(dir);
  RagIndexOptions o;
  o.num_threads = 2;
  absl::StatusOr<std::unique_ptr<RagIndex>> index = BuildRagIndexFromStore(*store, {}, o);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ((*index)->size(), 12);
  EXPECT_EQ((*index)->options().segment_length, kL);
  EXPECT_EQ((*index)->options().features.sampling_rate_hz, 100);
  EXPECT_EQ((*index)->record_id(5), "rec2");
  EXPECT_EQ((*index)->report(5), "report 2");
  absl::Span<const float> query(store->Segment(4), 12 * kL);
  absl::StatusOr<std::vector<RagHit>> hits = (*index)->Search(RetrievalSpace::kSignal, query, "rec2", 20);
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_EQ(hits->size(), 10u);  // both segments of rec2 left out
  for (const RagHit& h : *hits) EXPECT_NE((*index)->record_id(h.index), "rec2");
}

TEST(RagStoreTest, SubsetsAndBadIndices) {
  test_support::TempDir dir;
  const std::unique_ptr<ecg::SegmentStore> store = MakeStore(dir);
  absl::StatusOr<std::unique_ptr<RagIndex>> index = BuildRagIndexFromStore(*store, {0, 1, 7}, {});
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ((*index)->size(), 3);
  EXPECT_EQ((*index)->record_id(2), "rec3");
  EXPECT_EQ(BuildRagIndexFromStore(*store, {0, 12}, {}).status().message(),
            absl::StrCat("segment store ", store->dir(), ": segment 12 out of range [0, 12)"));
}

}  // namespace
}  // namespace ecgbench::common::rag
