// ElmLoader on the small data set of elm_test_data.h: collation (left padding, trimmed length,
// rows equal to the example builder's and the representation builder's), the ECG-Byte and text-only
// slots, order and determinism across thread counts, epochs and resuming from a position, shutdown
// while builders are busy, bad samples failing or skipped and counted, option errors.
#include "worker/data/elm_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <cstring>
#include <numeric>
#include <thread>
#include <vector>

#include "common/repr/batch/representation_builder.h"
#include "tests/unit/worker/data/elm_test_data.h"
#include "worker/train/collective/shard_indices.h"

namespace ecgbench::worker {
namespace {

using common::repr::Perturbation;
using common::repr::RepresentationKind;
using common::repr::RepresentationOptions;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace testing;  // NOLINT: the test data constants

// The data set with every conversation in one list (the loader does not care about splits).
struct Fixture {
  explicit Fixture(EcgSlot slot, int nan_segment = -1, int64_t max_tokens = 128) {
    store = WriteStore(dir, nan_segment);
    folds = Folds(*store);
    ElmExampleOptions o;
    o.slot = slot;
    o.num_placeholders = 1;
    o.placeholder_id = kPlaceholder;
    o.ecg_token_offset = kEcgOffset;
    o.max_tokens = max_tokens;
    o.min_ecg_tokens = 16;
    o.pad_id = kEot;
    auto b = ElmExampleBuilder::Create(tok.get(), common::text::Llama3ChatTemplate(), o);
    EXPECT_TRUE(b.ok()) << b.status();
    builder = std::make_unique<ElmExampleBuilder>(*std::move(b));
    ElmDatasetOptions options;
    options.validation_fraction = 0;
    auto d = LoadElmDataset(ElmDataSource{WriteConversations(dir), store.get(), &folds, 0}, *builder, options);
    EXPECT_TRUE(d.ok()) << d.status();
    dataset = *std::move(d);
    all.resize(dataset.conversations.size());
    std::iota(all.begin(), all.end(), 0);
  }

  std::unique_ptr<ElmLoader> Loader(const RepresentationOptions& repr, ElmLoaderOptions options) {
    auto loader = ElmLoader::Create(&dataset, all, store.get(), builder.get(), repr, options);
    EXPECT_TRUE(loader.ok()) << loader.status();
    return loader.ok() ? *std::move(loader) : nullptr;
  }

  test_support::TempDir dir;
  std::unique_ptr<common::ecg::SegmentStore> store;
  common::ecg::FoldAssignment folds;
  std::unique_ptr<common::text::testing::FakeTokenizer> tok = LlamaTokenizer();
  std::unique_ptr<ElmExampleBuilder> builder;
  ElmDataset dataset;
  std::vector<int64_t> all;  // 0..23
};

RepresentationOptions Repr(RepresentationKind kind, Perturbation perturbation = Perturbation::kNoise) {
  RepresentationOptions r;
  r.kind = kind;
  r.perturbation = perturbation;
  r.seed = 5;
  if (kind == RepresentationKind::kToken) r.tokenizer = common::repr::testing::SmallTokenizer();
  r.vision = common::repr::SiglipPreset();
  return r;
}

ElmLoaderOptions LoaderOptions(int threads, int64_t batch = 4, int prefetch = 4) {
  ElmLoaderOptions o;
  o.batch_size = batch;
  o.num_threads = threads;
  o.prefetch = prefetch;
  return o;
}

std::vector<int64_t> Order(int64_t n, int64_t epoch) {
  train::ShardOptions shard;
  shard.seed = 11;
  auto order = train::ShardIndices(n, 0, 1, epoch, shard);
  EXPECT_TRUE(order.ok());
  return *order;
}

std::vector<ElmLoaderBatch> ReadEpoch(ElmLoader* loader) {
  std::vector<ElmLoaderBatch> out;
  while (true) {
    auto b = loader->Next();
    if (!b.ok()) {
      EXPECT_EQ(b.status().code(), absl::StatusCode::kOutOfRange) << b.status();
      return out;
    }
    out.push_back(*std::move(b));
  }
}

void ExpectSameBatch(const ElmLoaderBatch& a, const ElmLoaderBatch& b) {
  EXPECT_EQ(a.examples, b.examples);
  EXPECT_EQ(a.position, b.position);
  EXPECT_TRUE(torch::equal(a.batch.input_ids, b.batch.input_ids));
  EXPECT_TRUE(torch::equal(a.batch.labels, b.batch.labels));
  EXPECT_TRUE(torch::equal(a.batch.attention_mask, b.batch.attention_mask));
  EXPECT_EQ(a.batch.encoder_input.defined(), b.batch.encoder_input.defined());
  if (a.batch.encoder_input.defined()) {
    EXPECT_TRUE(torch::equal(a.batch.encoder_input, b.batch.encoder_input));
  }
}

TEST(ElmLoaderTest, CollatesLeftPaddedRowsAndTheSignal) {
  Fixture f(EcgSlot::kPlaceholders);
  auto loader = f.Loader(Repr(RepresentationKind::kSignal), LoaderOptions(2));
  EXPECT_FALSE(loader->pinned());  // no CUDA here
  const std::vector<int64_t> order = {3, 1, 4, 0, 2, 5, 23};
  ASSERT_TRUE(loader->Start({2, 0}, order).ok());
  EXPECT_EQ(loader->NumBatches(7), 2);
  const std::vector<ElmLoaderBatch> batches = ReadEpoch(loader.get());
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_THAT(batches[0].examples, ElementsAre(3, 1, 4, 0));
  EXPECT_THAT(batches[1].examples, ElementsAre(2, 5, 23));
  EXPECT_EQ(loader->position(), (ElmLoaderPosition{2, 2}));

  auto repr = *common::repr::RepresentationBuilder::Create([&] {
    auto r = Repr(RepresentationKind::kSignal);
    r.sampling_rate_hz = 250;
    return r;
  }());
  std::vector<float> signal(12 * kLength);
  std::vector<int32_t> scratch;
  for (const ElmLoaderBatch& b : batches) {
    const auto rows = static_cast<int64_t>(b.examples.size());
    // Trimmed to the longest row: 85 tokens (two-turn conversations with one placeholder: 84).
    const int64_t len = b.batch.input_ids.size(1);
    EXPECT_THAT(b.batch.input_ids.sizes(), ElementsAre(rows, len));
    EXPECT_EQ(b.batch.input_ids.scalar_type(), torch::kInt64);
    EXPECT_EQ(b.batch.labels.scalar_type(), torch::kInt64);
    EXPECT_EQ(b.batch.attention_mask.scalar_type(), torch::kInt64);
    EXPECT_THAT(b.batch.encoder_input.sizes(), ElementsAre(rows, 12, kLength));
    EXPECT_EQ(b.batch.attention_mask.eq(0).all(1).any().item<bool>(), false);  // no all-padding row
    EXPECT_EQ(b.batch.attention_mask.select(1, 0).eq(1).any().item<bool>(), true);  // a longest row
    int64_t tokens = 0, labeled = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const ElmConversation& c = f.dataset.conversations[static_cast<size_t>(b.examples[r])];
      const auto built = f.builder->Build(c, {}, &scratch);
      ASSERT_TRUE(built.ok());
      const auto& s = built->sequence;
      const int64_t skip = 128 - len;
      for (int64_t t = 0; t < len; ++t) {
        ASSERT_EQ(b.batch.input_ids[r][t].item<int64_t>(), s.input_ids[skip + t]) << "row " << r << " t " << t;
        ASSERT_EQ(b.batch.labels[r][t].item<int64_t>(), s.labels[skip + t]);
        ASSERT_EQ(b.batch.attention_mask[r][t].item<int64_t>(), s.attention_mask[skip + t]);
      }
      tokens += 128 - s.num_pad;
      for (int32_t l : s.labels) labeled += l != common::text::kIgnoreLabel;
      bool has_ecg = false;
      ASSERT_TRUE(
          repr->BuildDense(f.store->Segment(c.segment), kLength, b.examples[r], 2, absl::MakeSpan(signal), &has_ecg)
              .ok());
      const at::Tensor row = b.batch.encoder_input[r].contiguous();
      EXPECT_EQ(std::memcmp(row.data_ptr<float>(), signal.data(), signal.size() * sizeof(float)), 0) << "row " << r;
    }
    EXPECT_EQ(b.tokens, tokens);
    EXPECT_EQ(b.labeled_tokens, labeled);
    EXPECT_EQ(b.batch.labels.ne(-100).sum().item<int64_t>(), labeled);
  }
  EXPECT_EQ(loader->stats().batches, 2);
  EXPECT_EQ(loader->stats().rows, 7);
}

TEST(ElmLoaderTest, EcgByteRowsCarryTheMappedTokensAndTextOnlyRowsNone) {
  // max 100: 59 + 16 and 83 + 16 leave every conversation room for >= 16 ECG tokens.
  Fixture f(EcgSlot::kEcgByte, -1, 100);
  auto loader = f.Loader(Repr(RepresentationKind::kToken), LoaderOptions(2, 3));
  ASSERT_TRUE(loader->Start({0, 0}, {0, 7, 12}).ok());
  auto b = loader->Next();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(b->batch.encoder_input.defined());
  EXPECT_EQ(b->batch.input_ids.size(1), 100);  // every row fills max_tokens with ECG tokens
  auto tokens = *common::repr::RepresentationBuilder::Create(Repr(RepresentationKind::kToken));
  int64_t dropped = 0;
  for (int64_t r = 0; r < 3; ++r) {
    const ElmConversation& c = f.dataset.conversations[static_cast<size_t>(b->examples[r])];
    std::vector<int32_t> ecg;
    bool has_ecg = false;
    ASSERT_TRUE(tokens->BuildTokens(f.store->Segment(c.segment), kLength, b->examples[r], 0, &ecg, &has_ecg).ok());
    std::vector<int32_t> scratch;
    const auto built = f.builder->Build(c, ecg, &scratch);
    ASSERT_TRUE(built.ok());
    const auto& s = built->sequence;
    ASSERT_EQ(s.num_pad, 0);
    ASSERT_GT(s.ecg_end - s.ecg_begin, 0);
    for (int64_t t = s.ecg_begin; t < s.ecg_end; ++t) {
      ASSERT_EQ(b->batch.input_ids[r][t].item<int64_t>(), kEcgOffset + ecg[static_cast<size_t>(t - s.ecg_begin)]);
    }
    dropped += static_cast<int64_t>(ecg.size()) - (s.ecg_end - s.ecg_begin);
  }
  EXPECT_EQ(b->ecg_tokens_dropped, dropped);

  Fixture text(EcgSlot::kNone);
  auto text_loader = text.Loader(Repr(RepresentationKind::kSignal, Perturbation::kNoSignal), LoaderOptions(1));
  ASSERT_TRUE(text_loader->Start({0, 0}, {0, 1}).ok());
  auto t = text_loader->Next();
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->batch.encoder_input.defined());
  EXPECT_EQ(t->batch.input_ids.eq(kPlaceholder).sum().item<int64_t>(), 0);
  EXPECT_EQ(t->batch.input_ids.ge(kEcgOffset).sum().item<int64_t>(), 0);
}

TEST(ElmLoaderTest, SameBatchesForEveryThreadCountAndPrefetch) {
  Fixture f(EcgSlot::kPlaceholders);
  const std::vector<int64_t> order = Order(24, 3);
  std::vector<std::vector<ElmLoaderBatch>> runs;
  for (const auto& [threads, prefetch] : std::vector<std::pair<int, int>>{{1, 1}, {3, 2}, {4, 6}}) {
    auto loader = f.Loader(Repr(RepresentationKind::kSignal), LoaderOptions(threads, 5, prefetch));
    ASSERT_TRUE(loader->Start({3, 0}, order).ok());
    runs.push_back(ReadEpoch(loader.get()));
  }
  ASSERT_EQ(runs[0].size(), 5u);  // 24 examples in batches of 5
  EXPECT_EQ(runs[0][4].examples.size(), 4u);
  for (size_t k = 0; k < runs[0].size(); ++k) {
    std::vector<int64_t> want;
    for (int64_t i = static_cast<int64_t>(k) * 5; i < std::min<int64_t>(24, (k + 1) * 5); ++i) {
      want.push_back(f.all[static_cast<size_t>(order[static_cast<size_t>(i)])]);
    }
    EXPECT_EQ(runs[0][k].examples, want);
    for (size_t run = 1; run < runs.size(); ++run) ExpectSameBatch(runs[0][k], runs[run][k]);
  }
}

TEST(ElmLoaderTest, EpochsDifferAndResumingFromAPositionGivesTheSameBatches) {
  Fixture f(EcgSlot::kPlaceholders);
  ElmLoaderOptions options = LoaderOptions(2, 4);
  options.drop_last = true;
  auto loader = f.Loader(Repr(RepresentationKind::kSignal), options);
  ASSERT_TRUE(loader->Start({0, 0}, Order(22, 0)).ok());
  const std::vector<ElmLoaderBatch> epoch0 = ReadEpoch(loader.get());
  ASSERT_TRUE(loader->Start({1, 0}, Order(22, 1)).ok());
  const std::vector<ElmLoaderBatch> epoch1 = ReadEpoch(loader.get());
  ASSERT_EQ(epoch0.size(), 5u);  // 22 / 4, the short batch dropped
  ASSERT_EQ(epoch1.size(), 5u);
  EXPECT_NE(epoch0[0].examples, epoch1[0].examples);

  // A run interrupted after two batches of epoch 1 continues with the same batches.
  auto resumed = f.Loader(Repr(RepresentationKind::kSignal), options);
  ASSERT_TRUE(resumed->Start({1, 2}, Order(22, 1)).ok());
  EXPECT_EQ(resumed->position(), (ElmLoaderPosition{1, 2}));
  const std::vector<ElmLoaderBatch> rest = ReadEpoch(resumed.get());
  ASSERT_EQ(rest.size(), 3u);
  for (size_t k = 0; k < rest.size(); ++k) ExpectSameBatch(rest[k], epoch1[k + 2]);
  // Restarting mid-way on the same loader drops what was prefetched.
  ASSERT_TRUE(loader->Start({0, 0}, Order(22, 0)).ok());
  ASSERT_TRUE(loader->Next().ok());
  ASSERT_TRUE(loader->Start({1, 4}, Order(22, 1)).ok());
  auto last = loader->Next();
  ASSERT_TRUE(last.ok());
  ExpectSameBatch(*last, epoch1[4]);
  EXPECT_EQ(loader->Next().status().code(), absl::StatusCode::kOutOfRange);
}

TEST(ElmLoaderTest, StopsWhileBuildersAreBusy) {
  Fixture f(EcgSlot::kPlaceholders);
  std::vector<int64_t> long_order;
  for (int i = 0; i < 1000; ++i) long_order.insert(long_order.end(), f.all.begin(), f.all.end());
  {
    // Destroyed right after Start, builders mid-batch.
    auto loader = f.Loader(Repr(RepresentationKind::kImage), LoaderOptions(3, 4, 4));
    ASSERT_TRUE(loader->Start({0, 0}, long_order).ok());
  }
  // Stop from another thread wakes a consumer; later calls are Cancelled.
  auto loader = f.Loader(Repr(RepresentationKind::kSignal), LoaderOptions(2, 4, 2));
  ASSERT_TRUE(loader->Start({0, 0}, long_order).ok());
  absl::Status last;
  int64_t read = 0;
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    while (true) {
      auto b = loader->Next();
      if (!b.ok()) {
        last = b.status();
        done = true;
        return;
      }
      ++read;
    }
  });
  while (loader->stats().batches < 2 && !done) std::this_thread::yield();
  loader->Stop();
  consumer.join();
  EXPECT_EQ(last.code(), absl::StatusCode::kCancelled) << last;
  EXPECT_LT(read, 6000);
  EXPECT_EQ(loader->Next().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(loader->Start({0, 0}, {0}).code(), absl::StatusCode::kCancelled);
  loader->Stop();  // idempotent
}

TEST(ElmLoaderTest, BadSamplesFailNamingTheSampleOrAreSkippedAndCounted) {
  Fixture f(EcgSlot::kPlaceholders, /*nan_segment=*/3);
  // Conversations 6 and 7 are segment 3's.
  const std::vector<int64_t> order = {0, 6, 1, 2, 7, 3};
  auto failing = f.Loader(Repr(RepresentationKind::kSignal), LoaderOptions(2, 3));
  ASSERT_TRUE(failing->Start({0, 0}, order).ok());
  auto b = failing->Next();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(b.status().message()),
              HasSubstr("epoch 0 batch 0 row 1: example 6 (conversation \"c6\", segment 3): sample 6: normalize: "));
  EXPECT_EQ(failing->position(), (ElmLoaderPosition{0, 1}));

  ElmLoaderOptions skip = LoaderOptions(2, 3);
  skip.policy = BadSamplePolicy::kSkip;
  auto skipping = f.Loader(Repr(RepresentationKind::kSignal), skip);
  ASSERT_TRUE(skipping->Start({0, 0}, order).ok());
  const std::vector<ElmLoaderBatch> batches = ReadEpoch(skipping.get());
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_THAT(batches[0].examples, ElementsAre(0, 1));
  EXPECT_THAT(batches[1].examples, ElementsAre(2, 3));
  EXPECT_EQ(batches[0].skipped, 1);
  ASSERT_EQ(batches[0].skipped_reasons.size(), 1u);
  EXPECT_THAT(batches[0].skipped_reasons[0], HasSubstr("row 1: example 6 (conversation \"c6\", segment 3)"));
  EXPECT_THAT(batches[0].batch.input_ids.sizes(), ElementsAre(2, batches[0].batch.input_ids.size(1)));
  EXPECT_THAT(batches[0].batch.encoder_input.sizes(), ElementsAre(2, 12, kLength));
  EXPECT_EQ(skipping->stats().skipped_rows, 2);
  EXPECT_EQ(skipping->stats().rows, 4);

  // A batch of bad samples only is empty (B = 0), not an error.
  ASSERT_TRUE(skipping->Start({1, 0}, {6, 7}).ok());
  auto empty = skipping->Next();
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(empty->batch.input_ids.sizes(), ElementsAre(0, 0));
  EXPECT_EQ(empty->batch.encoder_input.size(0), 0);
  EXPECT_EQ(empty->skipped, 2);
}

TEST(ElmLoaderTest, OptionErrors) {
  Fixture f(EcgSlot::kPlaceholders);
  auto create = [&](const RepresentationOptions& repr, const ElmLoaderOptions& options,
                    std::vector<int64_t> split = {0, 1}) {
    return ElmLoader::Create(&f.dataset, std::move(split), f.store.get(), f.builder.get(), repr, options).status();
  };
  EXPECT_EQ(create(Repr(RepresentationKind::kToken), LoaderOptions(1)).message(),
            "ELM loader: placeholder slots need a dense representation (signal, stacked_signal, image), got token");
  EXPECT_EQ(create(Repr(RepresentationKind::kSignal, Perturbation::kNoSignal), LoaderOptions(1)).message(),
            "ELM loader: perturb no_signal needs the text-only slot (EcgSlot::kNone)");
  EXPECT_EQ(create(Repr(RepresentationKind::kSignal), LoaderOptions(1), {0, 24}).message(),
            "ELM loader: split[1]: 24 is outside the dataset's 24 conversations");
  EXPECT_EQ(create(Repr(RepresentationKind::kSignal), LoaderOptions(0)).message(),
            "ELM loader: num_threads must be in 1..64, got 0");
  EXPECT_EQ(create(Repr(RepresentationKind::kSignal), LoaderOptions(1, 0)).message(),
            "ELM loader: batch_size 0 must be >= 1");
  if (!torch::cuda::is_available()) {
    ElmLoaderOptions pinned = LoaderOptions(1);
    pinned.pin_memory = PinMemory::kOn;
    EXPECT_EQ(create(Repr(RepresentationKind::kSignal), pinned).message(),
              "ELM loader: pin_memory on needs CUDA, which this LibTorch does not see");
  }
  auto loader = f.Loader(Repr(RepresentationKind::kSignal), LoaderOptions(1));
  EXPECT_EQ(loader->Next().status().message(), "ELM loader: no epoch started");
  EXPECT_EQ(loader->Start({0, 0}, {0, 24}).message(), "ELM loader: order[1]: 24 is outside the split of 24 examples");
  EXPECT_EQ(loader->Start({0, 8}, {0, 1}).message(), "ELM loader: batch 8 is outside 0..1 (the epoch's batches)");
}

}  // namespace
}  // namespace ecgbench::worker
