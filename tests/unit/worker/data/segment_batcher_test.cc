// SegmentBatcher over small stores written in a temp dir: shapes and dtypes per kind, values equal to
// the torch-free RepresentationBuilder's, thread-count independence, token padding and masks, errors.
#include "worker/data/segment_batcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common/repr/batch/representation_builder.h"
#include "tests/unit/repr/batch/test_segments.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::worker {
namespace {

using common::ecg::SegmentStore;
using common::repr::Perturbation;
using common::repr::RepresentationBuilder;
using common::repr::RepresentationKind;
using common::repr::RepresentationOptions;
using common::repr::RepresentationSample;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kLength = 250;
constexpr int kStoreSegments = 6;

// Store segment i is SyntheticSegment(kLength, i); `nan_segment` (if >= 0) gets a NaN at value 5.
std::unique_ptr<SegmentStore> WriteStore(const test_support::TempDir& dir, int nan_segment = -1) {
  common::ecg::SegmentStoreOptions store_options;
  store_options.segment_length = kLength;
  store_options.sampling_rate_hz = 250;
  auto writer = common::ecg::SegmentStoreWriter::Create(dir / "store", store_options);
  EXPECT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < kStoreSegments; ++i) {
    std::vector<float> x = common::repr::testing::SyntheticSegment(kLength, i);
    if (i == nan_segment) x[5] = std::numeric_limits<float>::quiet_NaN();
    common::ecg::SegmentMeta meta;
    meta.record_id = "r" + std::to_string(i);
    EXPECT_TRUE((*writer)->Append(meta, x.data()).ok());
  }
  EXPECT_TRUE((*writer)->Finish().ok());
  auto store = SegmentStore::Open(dir / "store");
  EXPECT_TRUE(store.ok()) << store.status();
  return *std::move(store);
}

// The samples' segments: sample i is segment kSegments[i] (a segment may serve several samples).
const std::vector<int64_t> kSegments = {4, 2, 2, 0, 1, 3, 5};

std::unique_ptr<SegmentBatcher> MakeBatcher(const SegmentStore* store, const RepresentationOptions& options,
                                            int threads, int64_t pad_id = 0) {
  SegmentBatcherOptions batcher_options;
  batcher_options.num_threads = threads;
  batcher_options.pad_id = pad_id;
  auto batcher = SegmentBatcher::Create(store, kSegments, options, batcher_options);
  EXPECT_TRUE(batcher.ok()) << batcher.status();
  return batcher.ok() ? *std::move(batcher) : nullptr;
}

SegmentBatch MustBatch(SegmentBatcher* batcher, const std::vector<int64_t>& samples, int epoch) {
  auto batch = batcher->Batch(samples, epoch);
  EXPECT_TRUE(batch.ok()) << batch.status();
  return batch.ok() ? *std::move(batch) : SegmentBatch{};
}

RepresentationOptions Options(RepresentationKind kind, Perturbation perturbation = Perturbation::kNone) {
  RepresentationOptions options;
  options.kind = kind;
  options.perturbation = perturbation;
  options.seed = 17;
  options.vision = common::repr::SiglipPreset();
  if (kind == RepresentationKind::kToken) options.tokenizer = common::repr::testing::SmallTokenizer();
  return options;
}

// Each row of a dense batch equals the torch-free builder's output for that sample.
void ExpectDenseRowsMatchBuilder(const SegmentStore& store, const RepresentationOptions& options,
                                 const std::vector<int64_t>& samples, int epoch, const SegmentBatch& batch) {
  auto builder = *RepresentationBuilder::Create(options);
  RepresentationSample sample;
  for (size_t b = 0; b < samples.size(); ++b) {
    ASSERT_TRUE(builder->Build(store.Segment(kSegments[samples[b]]), kLength, samples[b], epoch, &sample).ok());
    const at::Tensor row = batch.inputs[static_cast<int64_t>(b)].contiguous();
    ASSERT_EQ(row.numel(), static_cast<int64_t>(sample.values.size()));
    EXPECT_EQ(std::memcmp(row.data_ptr<float>(), sample.values.data(), sample.values.size() * sizeof(float)), 0)
        << "row " << b;
    EXPECT_EQ(batch.has_ecg[static_cast<int64_t>(b)].item<bool>(), sample.has_ecg);
  }
}

TEST(SegmentBatcherTest, SignalBatchShapeDtypeAndValues) {
  test_support::TempDir dir;
  auto store = WriteStore(dir);
  const auto options = Options(RepresentationKind::kSignal, Perturbation::kNoise);
  auto batcher = MakeBatcher(store.get(), options, 3);
  EXPECT_EQ(batcher->size(), 7);
  EXPECT_THAT(batcher->row_shape(), ElementsAre(12, kLength));
  const std::vector<int64_t> samples = {3, 0, 6, 1, 2};
  const SegmentBatch batch = MustBatch(batcher.get(), samples, 2);
  EXPECT_THAT(batch.inputs.sizes(), ElementsAre(5, 12, kLength));
  EXPECT_EQ(batch.inputs.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(batch.inputs.is_contiguous());
  EXPECT_FALSE(batch.inputs.is_pinned());
  EXPECT_THAT(batch.has_ecg.sizes(), ElementsAre(5));
  EXPECT_EQ(batch.has_ecg.scalar_type(), torch::kBool);
  EXPECT_FALSE(batch.attention_mask.defined());
  EXPECT_EQ(batch.samples, samples);
  ExpectDenseRowsMatchBuilder(*store, Options(RepresentationKind::kSignal, Perturbation::kNoise), samples, 2, batch);
}

TEST(SegmentBatcherTest, StackedAndImageBatchesAreProcessedImages) {
  test_support::TempDir dir;
  auto store = WriteStore(dir);
  const std::vector<int64_t> samples = {5, 1, 0};
  for (const auto kind : {RepresentationKind::kStackedSignal, RepresentationKind::kImage}) {
    auto options = Options(kind, Perturbation::kNoise);
    options.augment = kind == RepresentationKind::kImage;
    auto batcher = MakeBatcher(store.get(), options, 2);
    const SegmentBatch batch = MustBatch(batcher.get(), samples, 1);
    EXPECT_THAT(batch.inputs.sizes(), ElementsAre(3, 3, 224, 224));
    EXPECT_EQ(batch.inputs.scalar_type(), torch::kFloat32);
    options.sampling_rate_hz = store->sampling_rate_hz();
    ExpectDenseRowsMatchBuilder(*store, options, samples, 1, batch);
  }
}

TEST(SegmentBatcherTest, ResultsDoNotDependOnTheThreadCount) {
  test_support::TempDir dir;
  auto store = WriteStore(dir);
  const std::vector<int64_t> samples = {6, 5, 4, 3, 2, 1, 0, 2, 2};
  for (const auto kind : {RepresentationKind::kSignal, RepresentationKind::kStackedSignal, RepresentationKind::kImage,
                          RepresentationKind::kToken}) {
    auto options = Options(kind, Perturbation::kNoise);
    options.augment = true;
    auto one = MakeBatcher(store.get(), options, 1);
    const SegmentBatch reference = MustBatch(one.get(), samples, 3);
    for (const int threads : {2, 4}) {
      auto many = MakeBatcher(store.get(), options, threads);
      for (int repeat = 0; repeat < 2; ++repeat) {  // a second batch reuses the threads and buffers
        const SegmentBatch batch = MustBatch(many.get(), samples, 3);
        EXPECT_TRUE(torch::equal(batch.inputs, reference.inputs)) << RepresentationKindName(kind) << " x" << threads;
        EXPECT_TRUE(torch::equal(batch.has_ecg, reference.has_ecg));
        if (kind == RepresentationKind::kToken) {
          EXPECT_TRUE(torch::equal(batch.attention_mask, reference.attention_mask));
        }
      }
    }
  }
}

TEST(SegmentBatcherTest, TokensAreLeftPaddedWithAMask) {
  test_support::TempDir dir;
  auto store = WriteStore(dir);
  auto options = Options(RepresentationKind::kToken);
  constexpr int64_t kPad = -2;
  auto batcher = MakeBatcher(store.get(), options, 2, kPad);
  const std::vector<int64_t> samples = {0, 3, 4, 6};
  const SegmentBatch batch = MustBatch(batcher.get(), samples, 0);
  ASSERT_EQ(batch.inputs.dim(), 2);
  EXPECT_EQ(batch.inputs.scalar_type(), torch::kInt64);
  EXPECT_EQ(batch.attention_mask.scalar_type(), torch::kInt64);
  EXPECT_TRUE(batch.attention_mask.sizes() == batch.inputs.sizes());

  auto builder = *RepresentationBuilder::Create(options);
  std::vector<std::vector<int32_t>> rows(samples.size());
  size_t longest = 0, shortest = SIZE_MAX;
  for (size_t b = 0; b < samples.size(); ++b) {
    bool has_ecg = false;
    ASSERT_TRUE(builder->BuildTokens(store->Segment(kSegments[samples[b]]), kLength, samples[b], 0, &rows[b], &has_ecg)
                    .ok());
    longest = std::max(longest, rows[b].size());
    shortest = std::min(shortest, rows[b].size());
  }
  ASSERT_LT(shortest, longest) << "the test needs rows of different lengths";
  const int64_t t_max = batch.inputs.size(1);
  EXPECT_EQ(t_max, static_cast<int64_t>(longest));
  for (size_t b = 0; b < samples.size(); ++b) {
    const int64_t pad = t_max - static_cast<int64_t>(rows[b].size());
    for (int64_t t = 0; t < t_max; ++t) {
      const int64_t id = batch.inputs[static_cast<int64_t>(b)][t].item<int64_t>();
      const int64_t m = batch.attention_mask[static_cast<int64_t>(b)][t].item<int64_t>();
      if (t < pad) {
        ASSERT_EQ(id, kPad) << "row " << b << " position " << t;
        ASSERT_EQ(m, 0);
      } else {
        ASSERT_EQ(id, rows[b][static_cast<size_t>(t - pad)]) << "row " << b << " position " << t;
        ASSERT_EQ(m, 1);
      }
    }
  }
  EXPECT_TRUE(batch.has_ecg.all().item<bool>());
}

TEST(SegmentBatcherTest, TokenTruncationBoundsTheWidth) {
  test_support::TempDir dir;
  auto store = WriteStore(dir);
  auto options = Options(RepresentationKind::kToken);
  options.max_tokens = 40;
  auto batcher = MakeBatcher(store.get(), options, 2);
  const SegmentBatch batch = MustBatch(batcher.get(), {0, 1, 2}, 0);
  EXPECT_THAT(batch.inputs.sizes(), ElementsAre(3, 40));
  EXPECT_EQ(batch.attention_mask.sum().item<int64_t>(), 120);
}

TEST(SegmentBatcherTest, NoSignalClearsHasEcg) {
  test_support::TempDir dir;
  auto store = WriteStore(dir);
  auto dense = MakeBatcher(store.get(), Options(RepresentationKind::kSignal, Perturbation::kNoSignal), 2);
  const SegmentBatch signal = MustBatch(dense.get(), {0, 1}, 0);
  EXPECT_FALSE(signal.has_ecg.any().item<bool>());
  EXPECT_THAT(signal.inputs.sizes(), ElementsAre(2, 12, kLength));
  EXPECT_EQ(signal.inputs.abs().sum().item<float>(), 0.0f);

  auto token = MakeBatcher(store.get(), Options(RepresentationKind::kToken, Perturbation::kNoSignal), 2);
  const SegmentBatch tokens = MustBatch(token.get(), {0, 1}, 0);
  EXPECT_FALSE(tokens.has_ecg.any().item<bool>());
  EXPECT_THAT(tokens.inputs.sizes(), ElementsAre(2, 0));
  EXPECT_THAT(tokens.attention_mask.sizes(), ElementsAre(2, 0));
}

TEST(SegmentBatcherTest, EmptyBatch) {
  test_support::TempDir dir;
  auto store = WriteStore(dir);
  auto batcher = MakeBatcher(store.get(), Options(RepresentationKind::kImage), 2);
  const SegmentBatch batch = MustBatch(batcher.get(), {}, 0);
  EXPECT_THAT(batch.inputs.sizes(), ElementsAre(0, 3, 224, 224));
  EXPECT_THAT(batch.has_ecg.sizes(), ElementsAre(0));
}

TEST(SegmentBatcherTest, BadInputIsAnError) {
  test_support::TempDir dir;
  auto store = WriteStore(dir, /*nan_segment=*/2);
  const auto options = Options(RepresentationKind::kSignal);
  SegmentBatcherOptions batcher_options;
  EXPECT_EQ(SegmentBatcher::Create(store.get(), {0, 9}, options, batcher_options).status().message(),
            "segments[1]: 9 is outside the store of 6 segments");
  EXPECT_EQ(SegmentBatcher::Create(nullptr, {0}, options, batcher_options).status().message(),
            "segment batcher: store is null");
  batcher_options.num_threads = 0;
  EXPECT_EQ(SegmentBatcher::Create(store.get(), {0}, options, batcher_options).status().message(),
            "segment batcher: num_threads must be in 1..256, got 0");
  EXPECT_EQ(SegmentBatcher::Create(store.get(), {0}, Options(RepresentationKind::kToken), {}).status().ok(), true);
  RepresentationOptions no_tokenizer = Options(RepresentationKind::kToken);
  no_tokenizer.tokenizer = nullptr;
  EXPECT_EQ(SegmentBatcher::Create(store.get(), {0}, no_tokenizer, {}).status().message(),
            "tokenizer: kind token needs an ECG-Byte tokenizer");

  auto batcher = MakeBatcher(store.get(), options, 3);
  EXPECT_EQ(batcher->Batch(std::vector<int64_t>{0, 7}, 0).status().message(), "samples[1]: 7 is outside 0..6");
  EXPECT_EQ(batcher->Batch(std::vector<int64_t>{0}, -1).status().message(), "segment batcher: epoch -1 < 0");
  // Samples 1 and 2 both use segment 2 (with a NaN): the first failing row is reported.
  auto failed = batcher->Batch(std::vector<int64_t>{0, 3, 2, 1}, 0);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(failed.status().message()), StartsWith("row 2 (sample 2, segment 2): sample 2: "));
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("input[5]"));
  // The batcher stays usable.
  EXPECT_TRUE(batcher->Batch(std::vector<int64_t>{0, 3}, 0).ok());
}

}  // namespace
}  // namespace ecgbench::worker
