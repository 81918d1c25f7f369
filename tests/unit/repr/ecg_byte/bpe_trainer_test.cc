// The incremental BPE trainer against a naive recount-per-merge reference: exact merges and counts
// on hand-made and random corpora, overlapping pairs, segment boundaries vs upstream's
// concatenation, thread-count independence, early stop and the errors.
#include "common/repr/ecg_byte/bpe_trainer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/unit/repr/ecg_byte/reference_bpe.h"

namespace ecgbench::common::repr {
namespace {

using testing::NaiveTrain;

BpeTrainResult Train(const std::vector<std::string>& corpus, int merges, bool concatenate = false, int threads = 1) {
  BpeTrainerOptions o;
  o.num_merges = merges;
  o.concatenate = concatenate;
  o.num_threads = threads;
  auto r = TrainBpe(corpus, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : BpeTrainResult{};
}

std::vector<std::string> RandomCorpus(uint64_t seed, int segments, int max_len, int alphabet) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> corpus;
  for (int s = 0; s < segments; ++s) {
    const int len = static_cast<int>(rng() % static_cast<uint64_t>(max_len + 1));
    std::string text;
    // Runs of repeated symbols make overlapping pairs (a, a) frequent.
    while (static_cast<int>(text.size()) < len) {
      const char c = static_cast<char>('a' + rng() % static_cast<uint64_t>(alphabet));
      text.append(1 + rng() % 4, c);
    }
    text.resize(static_cast<size_t>(len));
    corpus.push_back(text);
  }
  return corpus;
}

TEST(BpeTrainerTest, HandExample) {
  // "aaabdaaabac": (a,a) 4 -> [256 a b d 256 a b a c]; then (a,b) and (256,a) both occur twice and
  // (97, 98) is the smaller pair -> [256 257 d 256 257 a c]; then (256, 257) twice -> [258 d 258 a c].
  BpeTrainResult r = Train({"aaabdaaabac"}, 3);
  ASSERT_EQ(r.merges.size(), 3u);
  EXPECT_EQ(r.merges[0], (BpeMerge{'a', 'a'}));
  EXPECT_EQ(r.merges[1], (BpeMerge{'a', 'b'}));
  EXPECT_EQ(r.merges[2], (BpeMerge{256, 257}));
  EXPECT_EQ(r.merge_counts, (std::vector<int64_t>{4, 2, 2}));
  EXPECT_EQ(r.num_symbols, 11);
  EXPECT_EQ(r.num_tokens, 5);  // [258 d 258 a c]
  EXPECT_FALSE(r.stopped_early);
}

TEST(BpeTrainerTest, OverlappingPairsReplaceLeftToRight) {
  // "aaaaa": (a,a) counted 4 times (overlapping windows, like upstream), replaced as [aa aa a].
  BpeTrainResult r = Train({"aaaaa"}, 5);
  ASSERT_GE(r.merges.size(), 1u);
  EXPECT_EQ(r.merges[0], (BpeMerge{'a', 'a'}));
  EXPECT_EQ(r.merge_counts[0], 4);
  // Then [256 256 a]: every pair occurs once: stop early.
  EXPECT_EQ(r.merges.size(), 1u);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.num_tokens, 3);
}

TEST(BpeTrainerTest, SegmentsDoNotMergeAcrossUnlessConcatenated) {
  const std::vector<std::string> corpus = {"ab", "ab", "ba"};
  BpeTrainResult per = Train(corpus, 5);
  ASSERT_EQ(per.merges.size(), 1u);
  EXPECT_EQ(per.merges[0], (BpeMerge{'a', 'b'}));
  EXPECT_EQ(per.merge_counts[0], 2);
  EXPECT_EQ(per.num_sequences, 3);
  // Upstream: "abab" + "ba" = "ababba": (a,b) 2, (b,a) 2 -> (a,b) first (smaller key), then
  // [256 256 b a]: (256, 256) 1 ... stop.
  BpeTrainResult cat = Train(corpus, 5, /*concatenate=*/true);
  EXPECT_EQ(cat.num_sequences, 1);
  ASSERT_EQ(cat.merges.size(), 1u);
  EXPECT_EQ(cat.merge_counts[0], 2);
  EXPECT_EQ(cat.num_tokens, 4);
  // "aba" + "b": concatenation forms a second (a,b) across the boundary.
  EXPECT_EQ(Train({"aba", "b"}, 1, false).merges.size(), 0u);
  EXPECT_EQ(Train({"aba", "b"}, 1, true).merges.size(), 1u);
}

TEST(BpeTrainerTest, MatchesNaiveReferenceOnRandomCorpora) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const int alphabet = 2 + static_cast<int>(seed % 5);
    const std::vector<std::string> corpus = RandomCorpus(seed, 1 + static_cast<int>(seed % 7) * 5, 200, alphabet);
    for (bool concatenate : {false, true}) {
      const testing::NaiveResult want = NaiveTrain(corpus, 60, concatenate);
      BpeTrainResult got = Train(corpus, 60, concatenate);
      ASSERT_EQ(got.merges.size(), want.merges.size()) << "seed " << seed << " concatenate " << concatenate;
      for (size_t i = 0; i < want.merges.size(); ++i) {
        ASSERT_EQ(got.merges[i], want.merges[i]) << "seed " << seed << " merge " << i;
        ASSERT_EQ(got.merge_counts[i], want.counts[i]) << "seed " << seed << " merge " << i;
      }
      EXPECT_EQ(got.num_tokens, want.num_tokens);
      EXPECT_EQ(got.stopped_early, want.merges.size() < 60u);
    }
  }
}

TEST(BpeTrainerTest, ResultDoesNotDependOnThreads) {
  const std::vector<std::string> corpus = RandomCorpus(99, 101, 500, 6);
  const BpeTrainResult one = Train(corpus, 300, false, 1);
  for (int threads : {2, 3, 8}) {
    for (bool concatenate : {false, true}) {
      const BpeTrainResult base = concatenate ? Train(corpus, 300, true, 1) : one;
      const BpeTrainResult many = Train(corpus, 300, concatenate, threads);
      EXPECT_EQ(many.merges, base.merges) << threads;
      EXPECT_EQ(many.merge_counts, base.merge_counts) << threads;
      EXPECT_EQ(many.num_tokens, base.num_tokens) << threads;
    }
  }
}

TEST(BpeTrainerTest, EmptySegmentsAreFine) {
  BpeTrainResult r = Train({"", "abab", "", "", "ab", ""}, 3, true, 4);
  ASSERT_FALSE(r.merges.empty());
  EXPECT_EQ(r.merges[0], (BpeMerge{'a', 'b'}));
  EXPECT_EQ(r.merge_counts[0], 3);
}

TEST(BpeTrainerTest, Errors) {
  BpeTrainerOptions o;
  EXPECT_EQ(TrainBpe(std::vector<std::string>{}, o).status().message(), "empty corpus: no segments to train on");
  EXPECT_EQ(TrainBpe(std::vector<std::string>{"", ""}, o).status().message(), "empty corpus: no symbols to train on");
  EXPECT_EQ(TrainBpe(std::vector<std::string>{"abc", "abXd"}, o).status().message(),
            "segment 1: symbol 'X' (byte 88) at position 2 is not in a..z");
  o.num_merges = 0;
  EXPECT_EQ(TrainBpe(std::vector<std::string>{"ab"}, o).status().message(), "number of merges 0 is outside 1..65278");
  o.num_merges = kMaxMerges + 1;
  EXPECT_EQ(TrainBpe(std::vector<std::string>{"ab"}, o).status().message(),
            "number of merges 65279 is outside 1..65278");
}

TEST(BpeTrainerTest, ProgressIsReported) {
  std::vector<int> seen;
  BpeTrainerOptions o;
  o.num_merges = 6;
  o.progress_every = 2;
  o.progress = [&seen](int done, int total) {
    EXPECT_EQ(total, 6);
    seen.push_back(done);
  };
  ASSERT_TRUE(TrainBpe(RandomCorpus(5, 10, 300, 3), o).ok());
  EXPECT_EQ(seen, (std::vector<int>{2, 4, 6}));
}

}  // namespace
}  // namespace ecgbench::common::repr
