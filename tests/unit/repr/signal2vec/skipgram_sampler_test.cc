// Signal2Vec corpus and pair sampler: counts, min_count, subsampling formula and rate, dynamic
// window bounds and offset distribution, negatives, determinism and thread independence.
#include "common/repr/signal2vec/skipgram_sampler.h"

#include <cmath>
#include <cstdlib>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ecgbench::common::repr {
namespace {

using ::testing::ElementsAre;
using Sequences = std::vector<std::vector<int32_t>>;

Signal2VecOptions NoFilter() {
  Signal2VecOptions o;
  o.min_count = 1;
  o.subsample_t = 0.0;
  return o;
}

TEST(CountTokensTest, CountsAndErrors) {
  auto counts = CountTokens({{0, 1, 1}, {}, {3, 1}}, 5);
  ASSERT_TRUE(counts.ok());
  EXPECT_THAT(*counts, ElementsAre(1, 3, 0, 1, 0));
  EXPECT_EQ(CountTokens({{0, 1}, {2, 5}}, 5).status().message(),
            "signal2vec: sequence 1, position 1: token id 5 out of range [0, 5)");
  EXPECT_EQ(CountTokens({{-1}}, 5).status().message(),
            "signal2vec: sequence 0, position 0: token id -1 out of range [0, 5)");
  EXPECT_EQ(CountTokens({{0}}, 0).status().message(), "signal2vec: vocab_size must be >= 1, got 0");
}

TEST(SubsampleTest, KeepProbabilityFormula) {
  // f = 1e-3, t = 1e-5: sqrt(1e-2) + 1e-2 = 0.11.
  EXPECT_NEAR(SubsampleKeepProbability(1000, 1000000, 1e-5), 0.11, 1e-15);
  // f = 0.25, t = 1e-5: sqrt(4e-5) + 4e-5.
  EXPECT_DOUBLE_EQ(SubsampleKeepProbability(1, 4, 1e-5), std::sqrt(4e-5) + 4e-5);
  // Rare tokens are always kept, and t <= 0 disables subsampling.
  EXPECT_EQ(SubsampleKeepProbability(1, 1000000, 1e-5), 1.0);
  EXPECT_EQ(SubsampleKeepProbability(500, 1000, 0.0), 1.0);
  // f is floored at 1e-12 (count 0).
  EXPECT_EQ(SubsampleKeepProbability(0, 10, 1e-5), 1.0);
}

TEST(CorpusTest, MinCountDropsRareTokensAndKeepsVocabulary) {
  Signal2VecOptions o = NoFilter();
  o.min_count = 2;
  // Token 0 occurs once and 2 never: both leave the corpus; a sequence left with < 2 tokens goes.
  auto corpus = BuildSkipGramCorpus({{1, 4, 1, 3}, {3, 3}, {4, 1}, {0}}, 6, o);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  EXPECT_EQ(corpus->vocab_size, 6);
  EXPECT_THAT(corpus->raw_counts, ElementsAre(1, 3, 0, 3, 2, 0));
  // {4, 1} -> {4, 1} (4 occurs twice); {0} -> dropped (count 1 < 2 and too short).
  EXPECT_THAT(corpus->tokens, ElementsAre(1, 4, 1, 3, 3, 3, 4, 1));
  EXPECT_THAT(corpus->offsets, ElementsAre(0, 4, 6, 8));
  EXPECT_THAT(corpus->freq, ElementsAre(0, 3, 0, 3, 2, 0));

  o.min_count = 3;
  corpus = BuildSkipGramCorpus({{1, 4, 1, 3}, {3, 3}, {4, 1}, {0}}, 6, o);
  ASSERT_TRUE(corpus.ok());
  EXPECT_THAT(corpus->tokens, ElementsAre(1, 1, 3, 3, 3));  // {4, 1} -> {1}: too short
  EXPECT_THAT(corpus->offsets, ElementsAre(0, 3, 5));
  EXPECT_THAT(corpus->freq, ElementsAre(0, 2, 0, 3, 0, 0));
}

TEST(CorpusTest, SubsamplingKeepsTheExpectedFraction) {
  // Token 0 is 90 % of the corpus, tokens 1..100 share the rest.
  Sequences seqs(200);
  for (size_t s = 0; s < seqs.size(); ++s) {
    for (int i = 0; i < 1000; ++i) seqs[s].push_back(i % 10 != 0 ? 0 : 1 + static_cast<int32_t>((s * 100 + i / 10) % 100));
  }
  Signal2VecOptions o = NoFilter();
  o.subsample_t = 1e-3;
  auto corpus = BuildSkipGramCorpus(seqs, 101, o);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  const double p0 = SubsampleKeepProbability(180000, 200000, 1e-3);
  EXPECT_NEAR(static_cast<double>(corpus->freq[0]) / 180000.0, p0, 0.01);
  const double p1 = SubsampleKeepProbability(200, 200000, 1e-3);
  int64_t rare = 0;
  for (int id = 1; id <= 100; ++id) rare += corpus->freq[id];
  EXPECT_NEAR(static_cast<double>(rare) / 20000.0, p1, 0.02);
}

TEST(CorpusTest, IndependentOfThreadCount) {
  Sequences seqs;
  for (int s = 0; s < 37; ++s) {
    std::vector<int32_t> seq;
    for (int i = 0; i < 50 + s; ++i) seq.push_back((s * 7 + i * i) % 13);
    seqs.push_back(seq);
  }
  Signal2VecOptions o = NoFilter();
  o.subsample_t = 0.02;
  o.threads = 1;
  auto one = BuildSkipGramCorpus(seqs, 13, o);
  o.threads = 4;
  auto four = BuildSkipGramCorpus(seqs, 13, o);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_EQ(one->tokens, four->tokens);
  EXPECT_EQ(one->offsets, four->offsets);
  EXPECT_LT(one->tokens.size(), 37u * 68u);  // something was subsampled
  o.seed = 1;
  auto other = BuildSkipGramCorpus(seqs, 13, o);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(one->tokens, other->tokens);
}

TEST(CorpusTest, BadInput) {
  const Signal2VecOptions o = NoFilter();
  EXPECT_EQ(BuildSkipGramCorpus({}, 10, o).status().message(), "signal2vec: no token sequences");
  EXPECT_EQ(BuildSkipGramCorpus({{1}}, 0, o).status().message(), "signal2vec: vocab_size must be >= 1, got 0");
  EXPECT_EQ(BuildSkipGramCorpus({{1, 2}, {9, 10}}, 10, o).status().message(),
            "signal2vec: sequence 1, position 1: token id 10 out of range [0, 10)");
  EXPECT_EQ(BuildSkipGramCorpus({{}, {3}, {}}, 10, o).status().message(),
            "signal2vec: no sequence keeps 2 or more tokens after min_count filtering (min_count=1) and "
            "subsampling (subsample_t=0) of 3 sequences; relax the thresholds or give more data");
  Signal2VecOptions bad = o;
  bad.window = 0;
  EXPECT_EQ(BuildSkipGramCorpus({{1, 2}}, 10, bad).status().message(),
            "signal2vec options: window must be >= 1, got 0");
}

// One sequence whose token ids are their positions, so pairs reveal their offsets.
struct PositionCorpus {
  explicit PositionCorpus(int length) {
    std::vector<int32_t> seq(length);
    for (int i = 0; i < length; ++i) seq[i] = i;
    sequences.push_back(seq);
  }
  Sequences sequences;
};

TEST(SamplerTest, WindowBoundsAndOffsetDistribution) {
  constexpr int kLength = 400;
  PositionCorpus pc(kLength);
  Signal2VecOptions o = NoFilter();
  o.batch_size = 4096;
  auto corpus = BuildSkipGramCorpus(pc.sequences, kLength, o);
  ASSERT_TRUE(corpus.ok());
  auto sampler = SkipGramSampler::Create(*corpus, o);
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  EXPECT_EQ(sampler->pairs_per_epoch(), 12 * kLength);
  EXPECT_EQ(sampler->batches_per_epoch(), 2);

  std::vector<int64_t> offsets(13, 0);
  int64_t interior = 0;
  SkipGramBatch batch;
  for (int epoch = 0; epoch < 10; ++epoch) {
    for (int64_t b = 0; b < sampler->batches_per_epoch(); ++b) {
      sampler->FillBatch(epoch, b, &batch);
      ASSERT_EQ(batch.size(), b == 0 ? 4096 : 12 * kLength - 4096);
      for (int64_t i = 0; i < batch.size(); ++i) {
        const int64_t d = std::llabs(batch.contexts[i] - batch.centers[i]);
        ASSERT_GE(d, 1);
        ASSERT_LE(d, 12);
        if (batch.centers[i] >= 12 && batch.centers[i] < kLength - 12) {
          ++offsets[d];
          ++interior;
        }
      }
    }
  }
  // Away from the ends: P(|offset| = d) = (1/12) sum_{w=d..12} 1/w.
  for (int d = 1; d <= 12; ++d) {
    double expected = 0.0;
    for (int w = d; w <= 12; ++w) expected += 1.0 / (12.0 * w);
    EXPECT_NEAR(static_cast<double>(offsets[d]) / interior, expected, 0.01) << "offset " << d;
  }
}

TEST(SamplerTest, WindowOneTakesNeighboursOnlyAndEndsStayInside) {
  PositionCorpus pc(3);
  Signal2VecOptions o = NoFilter();
  o.window = 1;
  auto corpus = BuildSkipGramCorpus(pc.sequences, 3, o);
  ASSERT_TRUE(corpus.ok());
  auto sampler = SkipGramSampler::Create(*corpus, o);
  ASSERT_TRUE(sampler.ok());
  EXPECT_EQ(sampler->pairs_per_epoch(), 3);
  SkipGramBatch batch;
  for (int epoch = 0; epoch < 200; ++epoch) {
    sampler->FillBatch(epoch, 0, &batch);
    for (int64_t i = 0; i < batch.size(); ++i) {
      EXPECT_EQ(std::llabs(batch.contexts[i] - batch.centers[i]), 1);
      EXPECT_GE(batch.contexts[i], 0);
      EXPECT_LT(batch.contexts[i], 3);
    }
  }
}

TEST(SamplerTest, NegativesFollowTheNoiseDistributionAndSkipFilteredTokens) {
  // Token 0: 1000 occurrences, token 1: 100, token 2: 10, token 3: 1 (below min_count 2).
  std::vector<int32_t> seq;
  for (int i = 0; i < 1000; ++i) seq.push_back(0);
  for (int i = 0; i < 100; ++i) seq.push_back(1);
  for (int i = 0; i < 10; ++i) seq.push_back(2);
  seq.push_back(3);
  Signal2VecOptions o = NoFilter();
  o.min_count = 2;
  auto corpus = BuildSkipGramCorpus({seq}, 5, o);
  ASSERT_TRUE(corpus.ok());
  auto sampler = SkipGramSampler::Create(*corpus, o);
  ASSERT_TRUE(sampler.ok());
  const std::vector<double> p = sampler->noise().Probabilities();
  const double sum = std::pow(1000.0, 0.75) + std::pow(100.0, 0.75) + std::pow(10.0, 0.75);
  EXPECT_NEAR(p[0], std::pow(1000.0, 0.75) / sum, 1e-12);
  EXPECT_NEAR(p[2], std::pow(10.0, 0.75) / sum, 1e-12);
  EXPECT_EQ(p[3], 0.0);
  EXPECT_EQ(p[4], 0.0);
  SkipGramBatch batch;
  sampler->FillBatch(0, 0, &batch);
  ASSERT_EQ(batch.negatives.size(), static_cast<size_t>(batch.size() * 5));
  for (int64_t n : batch.negatives) EXPECT_TRUE(n >= 0 && n <= 2) << n;
  for (int64_t c : batch.centers) EXPECT_NE(c, 3);
}

TEST(SamplerTest, DeterministicPerEpochAndBatch) {
  Sequences seqs;
  for (int s = 0; s < 20; ++s) {
    std::vector<int32_t> seq;
    for (int i = 0; i < 30; ++i) seq.push_back((s + i * 3) % 17);
    seqs.push_back(seq);
  }
  Signal2VecOptions o = NoFilter();
  o.batch_size = 100;
  o.max_pairs_per_epoch = 250;
  auto corpus = BuildSkipGramCorpus(seqs, 17, o);
  ASSERT_TRUE(corpus.ok());
  auto a = SkipGramSampler::Create(*corpus, o);
  auto b = SkipGramSampler::Create(*corpus, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->pairs_per_epoch(), 250);
  EXPECT_EQ(a->batches_per_epoch(), 3);
  SkipGramBatch x, y;
  a->FillBatch(1, 2, &x);
  b->FillBatch(1, 2, &y);
  EXPECT_EQ(x.size(), 50);
  EXPECT_EQ(x.centers, y.centers);
  EXPECT_EQ(x.contexts, y.contexts);
  EXPECT_EQ(x.negatives, y.negatives);
  // Another batch, epoch or seed gives other pairs.
  b->FillBatch(2, 2, &y);
  EXPECT_NE(x.centers, y.centers);
  b->FillBatch(1, 1, &y);
  EXPECT_EQ(y.size(), 100);
  o.seed = 99;
  auto c = SkipGramSampler::Create(*corpus, o);
  ASSERT_TRUE(c.ok());
  c->FillBatch(1, 2, &y);
  EXPECT_NE(x.centers, y.centers);
}

TEST(SamplerTest, GoldenBatch) {
  // Pinned values: mt19937_64 and our mappings are fully specified, so any machine and compiler
  // must draw these; a change here changes every trained model. Derived independently with a
  // Python implementation of mt19937_64, MixSeed, DetRandom's mappings and Vose's alias table.
  Signal2VecOptions o = NoFilter();
  o.window = 3;
  o.negatives = 2;
  o.batch_size = 6;
  o.seed = 2024;
  auto corpus = BuildSkipGramCorpus({{0, 1, 2, 3, 4, 5, 6, 7}, {7, 6, 5, 4, 3, 2, 1, 0, 1, 2}}, 8, o);
  ASSERT_TRUE(corpus.ok());
  auto sampler = SkipGramSampler::Create(*corpus, o);
  ASSERT_TRUE(sampler.ok());
  SkipGramBatch batch;
  sampler->FillBatch(1, 2, &batch);
  EXPECT_THAT(batch.centers, ElementsAre(2, 6, 3, 3, 4, 7));
  EXPECT_THAT(batch.contexts, ElementsAre(1, 7, 5, 6, 5, 6));
  EXPECT_THAT(batch.negatives, ElementsAre(7, 4, 0, 5, 0, 1, 1, 1, 2, 3, 7, 2));
}

TEST(OptionsTest, ValidationAndJsonRoundTrip) {
  Signal2VecOptions o;
  EXPECT_TRUE(ValidateSignal2VecOptions(o).ok());
  EXPECT_EQ(o.dim, 128);
  EXPECT_EQ(o.window, 12);
  EXPECT_EQ(o.negatives, 5);
  EXPECT_EQ(o.min_count, 10);
  EXPECT_EQ(o.max_pairs_per_epoch, 10000000);
  o.seed = 18446744073709551615ULL;
  o.lr = 0.5;
  o.device = "cuda:1";
  o.mean_over_negatives = false;
  auto back = Signal2VecOptionsFromJson(Signal2VecOptionsToJson(o), "x.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Signal2VecOptionsToJson(*back), Signal2VecOptionsToJson(o));

  o.device = "gpu";
  EXPECT_EQ(ValidateSignal2VecOptions(o).message(),
            "signal2vec options: device must be \"cpu\", \"cuda\" or \"cuda:N\", got \"gpu\"");
  EXPECT_EQ(Signal2VecOptionsFromJson({{"windw", 3}}, "x.json").status().message(),
            "x.json: options: unknown field 'windw'");
  EXPECT_EQ(Signal2VecOptionsFromJson({{"window", "3"}}, "x.json").status().message(),
            "x.json: options.window: expected an integer");
  EXPECT_EQ(Signal2VecOptionsFromJson({{"lr", -1.0}}, "x.json").status().message(),
            "x.json: signal2vec options: lr must be finite and > 0, got -1");
}

}  // namespace
}  // namespace ecgbench::common::repr
