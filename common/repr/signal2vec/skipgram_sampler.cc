// Signal2Vec corpus construction (counts, min_count, subsampling) and the pair/negative sampler.
#include "common/repr/signal2vec/skipgram_sampler.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {
namespace {

// Kept tokens of a contiguous range of sequences, in order.
struct KeptRange {
  std::vector<int32_t> tokens;
  std::vector<int64_t> lengths;  // one per input sequence of the range (0 when all were dropped)
};

void SubsampleRange(const std::vector<std::vector<int32_t>>& sequences, size_t begin, size_t end,
                    const std::vector<uint8_t>& kept_id, const std::vector<double>& p_keep,
                    bool subsample, uint64_t seed, KeptRange* out) {
  out->lengths.reserve(end - begin);
  for (size_t s = begin; s < end; ++s) {
    const size_t before = out->tokens.size();
    const std::vector<int32_t>& seq = sequences[s];
    if (subsample) {
      DetRandom rng(seed, RandomStream::kSignal2VecSubsample, s, 0);
      for (int32_t id : seq) {
        if (!kept_id[id]) continue;
        // One draw per surviving token, like upstream's np.random.rand(len(tokens)) per sequence.
        if (rng.Uniform() < p_keep[id]) out->tokens.push_back(id);
      }
    } else {
      for (int32_t id : seq) {
        if (kept_id[id]) out->tokens.push_back(id);
      }
    }
    const int64_t length = static_cast<int64_t>(out->tokens.size() - before);
    if (length < 2) {
      out->tokens.resize(before);  // a pair needs two tokens
      out->lengths.push_back(0);
    } else {
      out->lengths.push_back(length);
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<int64_t>> CountTokens(const std::vector<std::vector<int32_t>>& sequences,
                                                 int vocab_size) {
  if (vocab_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("signal2vec: vocab_size must be >= 1, got ", vocab_size));
  }
  std::vector<int64_t> counts(vocab_size, 0);
  for (size_t s = 0; s < sequences.size(); ++s) {
    const std::vector<int32_t>& seq = sequences[s];
    for (size_t i = 0; i < seq.size(); ++i) {
      const int32_t id = seq[i];
      if (id < 0 || id >= vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat("signal2vec: sequence ", s, ", position ", i,
                                                       ": token id ", id, " out of range [0, ", vocab_size, ")"));
      }
      ++counts[id];
    }
  }
  return counts;
}

double SubsampleKeepProbability(int64_t count, int64_t total, double t) {
  if (t <= 0.0) return 1.0;
  const double f = std::max(1e-12, static_cast<double>(count) / static_cast<double>(std::max<int64_t>(1, total)));
  return std::min(1.0, std::sqrt(t / f) + t / f);
}

absl::StatusOr<SkipGramCorpus> BuildSkipGramCorpus(const std::vector<std::vector<int32_t>>& sequences,
                                                   int vocab_size, const Signal2VecOptions& options) {
  ECGBENCH_RETURN_IF_ERROR(ValidateSignal2VecOptions(options));
  if (sequences.empty()) return absl::InvalidArgumentError("signal2vec: no token sequences");
  SkipGramCorpus corpus;
  corpus.vocab_size = vocab_size;
  ECGBENCH_ASSIGN_OR_RETURN(corpus.raw_counts, CountTokens(sequences, vocab_size));

  std::vector<uint8_t> kept_id(vocab_size, 0);
  int64_t kept_total = 0;
  for (int id = 0; id < vocab_size; ++id) {
    const int64_t c = corpus.raw_counts[id];
    if (c > 0 && c >= options.min_count) {
      kept_id[id] = 1;
      kept_total += c;
    }
  }
  const bool subsample = options.subsample_t > 0.0;
  std::vector<double> p_keep(vocab_size, 1.0);
  if (subsample) {
    for (int id = 0; id < vocab_size; ++id) {
      if (kept_id[id]) p_keep[id] = SubsampleKeepProbability(corpus.raw_counts[id], kept_total, options.subsample_t);
    }
  }

  // Contiguous ranges per thread; each sequence has its own stream, so the split does not matter.
  const size_t num_ranges = std::min<size_t>(static_cast<size_t>(options.threads), sequences.size());
  std::vector<KeptRange> ranges(num_ranges);
  auto range_begin = [&](size_t r) { return sequences.size() * r / num_ranges; };
  if (num_ranges == 1) {
    SubsampleRange(sequences, 0, sequences.size(), kept_id, p_keep, subsample, options.seed, &ranges[0]);
  } else {
    std::vector<std::thread> threads;
    threads.reserve(num_ranges);
    for (size_t r = 0; r < num_ranges; ++r) {
      threads.emplace_back(SubsampleRange, std::cref(sequences), range_begin(r), range_begin(r + 1),
                           std::cref(kept_id), std::cref(p_keep), subsample, options.seed, &ranges[r]);
    }
    for (std::thread& t : threads) t.join();
  }

  size_t total_tokens = 0;
  for (const KeptRange& r : ranges) total_tokens += r.tokens.size();
  corpus.tokens.reserve(total_tokens);
  corpus.offsets.push_back(0);
  for (KeptRange& r : ranges) {
    corpus.tokens.insert(corpus.tokens.end(), r.tokens.begin(), r.tokens.end());
    for (int64_t length : r.lengths) {
      if (length > 0) corpus.offsets.push_back(corpus.offsets.back() + length);
    }
    r = KeptRange();
  }
  if (corpus.num_sequences() == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "signal2vec: no sequence keeps 2 or more tokens after min_count filtering (min_count=%d) and "
        "subsampling (subsample_t=%g) of %d sequences; relax the thresholds or give more data",
        options.min_count, options.subsample_t, sequences.size()));
  }
  corpus.freq.assign(vocab_size, 0);
  for (int32_t id : corpus.tokens) ++corpus.freq[id];
  return corpus;
}

absl::StatusOr<SkipGramSampler> SkipGramSampler::Create(const SkipGramCorpus& corpus,
                                                        const Signal2VecOptions& options) {
  ECGBENCH_RETURN_IF_ERROR(ValidateSignal2VecOptions(options));
  if (corpus.num_sequences() == 0 || corpus.freq.size() != static_cast<size_t>(corpus.vocab_size)) {
    return absl::InvalidArgumentError("signal2vec: the corpus is empty");
  }
  std::vector<double> weights(corpus.freq.size());
  for (size_t id = 0; id < weights.size(); ++id) {
    weights[id] = corpus.freq[id] > 0 ? std::pow(static_cast<double>(corpus.freq[id]), options.neg_alpha) : 0.0;
  }
  ECGBENCH_ASSIGN_OR_RETURN(AliasTable noise, AliasTable::Create(weights));
  return SkipGramSampler(corpus, options, std::move(noise));
}

SkipGramSampler::SkipGramSampler(const SkipGramCorpus& corpus, const Signal2VecOptions& options, AliasTable noise)
    : corpus_(&corpus), options_(options), noise_(std::move(noise)), batch_size_(options.batch_size) {
  const int64_t tokens = static_cast<int64_t>(corpus.tokens.size());
  const int64_t window = options.window;
  // window * tokens, saturating (both are far below 2^62 in practice).
  const int64_t estimated = tokens > options.max_pairs_per_epoch / window ? options.max_pairs_per_epoch : tokens * window;
  pairs_per_epoch_ = std::min(options.max_pairs_per_epoch, estimated);
}

void SkipGramSampler::FillBatch(int64_t epoch, int64_t batch_index, SkipGramBatch* batch) const {
  const int64_t first = batch_index * batch_size_;
  const int64_t n = std::max<int64_t>(0, std::min(batch_size_, pairs_per_epoch_ - first));
  const int k = options_.negatives;
  batch->centers.resize(n);
  batch->contexts.resize(n);
  batch->negatives.resize(n * k);
  DetRandom rng(options_.seed, RandomStream::kSignal2VecPairs, static_cast<uint64_t>(epoch),
                static_cast<uint64_t>(batch_index));
  const uint64_t num_sequences = static_cast<uint64_t>(corpus_->num_sequences());
  const int32_t* tokens = corpus_->tokens.data();
  const int64_t* offsets = corpus_->offsets.data();
  for (int64_t p = 0; p < n; ++p) {
    const uint64_t s = rng.UniformInt(num_sequences);
    const int32_t* seq = tokens + offsets[s];
    const int64_t length = offsets[s + 1] - offsets[s];  // >= 2
    const int64_t center = static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(length)));
    const int64_t w = 1 + static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(options_.window)));
    const int64_t left = std::max<int64_t>(0, center - w);
    const int64_t right = std::min<int64_t>(length, center + w + 1);
    int64_t context = left + static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(right - left - 1)));
    if (context >= center) ++context;  // skip the center itself
    const int32_t positive = seq[context];
    batch->centers[p] = seq[center];
    batch->contexts[p] = positive;
    int64_t* negatives = batch->negatives.data() + p * k;
    for (int j = 0; j < k; ++j) {
      int32_t id = noise_.Draw(rng);
      if (id == positive) id = noise_.Draw(rng);
      negatives[j] = id;
    }
  }
}

}  // namespace ecgbench::common::repr
