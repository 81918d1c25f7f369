// The torch-free half of Signal2Vec: the training corpus (token counts, min_count filtering,
// word2vec subsampling) and the sampler of (center, context, negatives) batches with a dynamic
// window and an alias-table negative sampler. Every random draw comes from a DetRandom
// (common/util/det_random.h) keyed by (seed, stream, index, subindex), so results depend only on
// the inputs and the options, never on threads.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/repr/signal2vec/alias_table.h"
#include "common/repr/signal2vec/signal2vec_options.h"

namespace ecgbench::common::repr {

// Occurrences of each id in [0, vocab_size). InvalidArgument when vocab_size < 1 or an id is out
// of range ("signal2vec: sequence 3, position 17: token id 7000 out of range [0, 6256)").
absl::StatusOr<std::vector<int64_t>> CountTokens(const std::vector<std::vector<int32_t>>& sequences,
                                                 int vocab_size);

// word2vec's keep probability min(1, sqrt(t / f) + t / f) with f = count / total (f floored at
// 1e-12, like upstream). 1 when t <= 0.
double SubsampleKeepProbability(int64_t count, int64_t total, double t);

// The corpus pairs are drawn from. Immutable after BuildSkipGramCorpus.
struct SkipGramCorpus {
  int vocab_size = 0;
  std::vector<int64_t> raw_counts;  // per id, in the input sequences
  std::vector<int64_t> freq;        // per id, in `tokens` (after filtering and subsampling)
  std::vector<int32_t> tokens;      // the kept sequences, concatenated
  std::vector<int64_t> offsets;     // sequence s is tokens[offsets[s], offsets[s + 1])
  int64_t num_sequences() const { return offsets.empty() ? 0 : static_cast<int64_t>(offsets.size()) - 1; }
};

// Counts the tokens, removes the ids seen fewer than options.min_count times, subsamples each
// remaining token once with SubsampleKeepProbability (stream (seed, kSubsampleStream, sequence
// index); options.threads threads, same result for any number), and keeps the sequences with at
// least 2 tokens. InvalidArgument for invalid options, no sequences, ids out of range, or when no
// sequence of 2 tokens survives (the message gives min_count and subsample_t).
absl::StatusOr<SkipGramCorpus> BuildSkipGramCorpus(const std::vector<std::vector<int32_t>>& sequences,
                                                   int vocab_size, const Signal2VecOptions& options);

// One batch of pairs: centers[i] and contexts[i] co-occur; negatives[i * K .. i * K + K) are the
// negatives of pair i. int64 so that they can be used as tensor indices without a copy.
struct SkipGramBatch {
  std::vector<int64_t> centers;
  std::vector<int64_t> contexts;
  std::vector<int64_t> negatives;
  int64_t size() const { return static_cast<int64_t>(centers.size()); }
};

// Draws batches like upstream's SkipGramDataset: a sequence uniformly, a center position
// uniformly, an effective window w uniform in {1..window}, the context uniformly among the other
// positions within w of the center (clipped to the sequence), and `negatives` ids from
// freq^neg_alpha; a negative equal to the context is redrawn once. Thread-safe (const).
class SkipGramSampler {
 public:
  // `corpus` must outlive the sampler. InvalidArgument for invalid options or an empty corpus.
  static absl::StatusOr<SkipGramSampler> Create(const SkipGramCorpus& corpus, const Signal2VecOptions& options);

  // min(max_pairs_per_epoch, window * corpus tokens).
  int64_t pairs_per_epoch() const { return pairs_per_epoch_; }
  // ceil(pairs_per_epoch / batch_size): the last batch may be smaller.
  int64_t batches_per_epoch() const { return (pairs_per_epoch_ + batch_size_ - 1) / batch_size_; }

  // Fills `batch` (its vectors are reused) with batch `batch_index` in [0, batches_per_epoch()) of
  // `epoch`, drawn from the stream (seed, kPairStream, epoch, batch_index).
  void FillBatch(int64_t epoch, int64_t batch_index, SkipGramBatch* batch) const;

  const AliasTable& noise() const { return noise_; }

 private:
  SkipGramSampler(const SkipGramCorpus& corpus, const Signal2VecOptions& options, AliasTable noise);

  const SkipGramCorpus* corpus_;
  Signal2VecOptions options_;
  AliasTable noise_;
  int64_t pairs_per_epoch_ = 0;
  int64_t batch_size_ = 1;
};

}  // namespace ecgbench::common::repr
