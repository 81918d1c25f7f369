// The incremental BPE trainer (see bpe_trainer.h for the contract and docs/representations/ecg-byte.md for the
// algorithm).
#include "common/repr/ecg_byte/bpe_trainer.h"

#include <algorithm>
#include <limits>
#include <queue>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/repr/ecg_byte/symbols.h"

namespace ecgbench::common::repr {

namespace {

constexpr uint16_t kDead = 0xFFFF;      // a position inside a token (not its start)
constexpr uint16_t kSentinel = 0xFFFE;  // between two segments; never part of a pair
constexpr int kAlpha = kNumSymbols;
constexpr int kFirst = static_cast<unsigned char>(kFirstSymbol);

inline uint32_t Key(uint32_t left, uint32_t right) { return (left << 16) | right; }

// Runs fn(t) for t in [0, n) on n threads (the caller's thread runs t = 0).
template <typename Fn>
void ParallelFor(int n, const Fn& fn) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(n > 1 ? n - 1 : 0));
  for (int t = 1; t < n; ++t) threads.emplace_back([&fn, t] { fn(t); });
  fn(0);
  for (std::thread& th : threads) th.join();
}

struct Pair {
  uint32_t key = 0;
  int64_t count = 0;
  uint32_t touched = 0;        // merge epoch that last added an occurrence
  std::vector<int32_t> pos;    // positions of the left token; entries may be stale
};

struct HeapEntry {
  int64_t count;
  uint32_t key;
  // std::priority_queue pops the largest: highest count, then smallest key.
  bool operator<(const HeapEntry& o) const { return count != o.count ? count < o.count : key > o.key; }
};

class Trainer {
 public:
  explicit Trainer(const BpeTrainerOptions& options) : options_(options) {}

  absl::Status Load(const std::vector<std::string_view>& corpus, int threads);
  BpeTrainResult Run();

 private:
  int32_t Next(int32_t p) const {
    const int64_t n = static_cast<int64_t>(p) + len_[tok_[p]];
    return (n < size_ && tok_[n] != kSentinel) ? static_cast<int32_t>(n) : -1;
  }
  int32_t Prev(int32_t p) const {
    if (p == 0 || tok_[p - 1] == kSentinel) return -1;
    return back_[p - 1];
  }
  bool Valid(int32_t p, uint32_t key) const {
    if (tok_[p] != (key >> 16)) return false;
    const int32_t q = Next(p);
    return q >= 0 && tok_[q] == (key & 0xFFFF);
  }
  int32_t Find(uint32_t key) const {
    auto it = index_.find(key);
    return it == index_.end() ? -1 : it->second;
  }
  void Dec(uint32_t key) {
    Pair& pair = pairs_[static_cast<size_t>(Find(key))];
    if (--pair.count == 0) std::vector<int32_t>().swap(pair.pos);  // never occurs again
  }
  void Inc(uint32_t key, int32_t position, uint32_t epoch) {
    auto [it, inserted] = index_.try_emplace(key, static_cast<int32_t>(pairs_.size()));
    if (inserted) {
      pairs_.emplace_back();
      pairs_.back().key = key;
    }
    Pair& pair = pairs_[static_cast<size_t>(it->second)];
    ++pair.count;
    pair.pos.push_back(position);
    if (pair.touched != epoch) {
      pair.touched = epoch;
      touched_.push_back(it->second);
    }
  }
  void Merge(int32_t pair_index, uint16_t new_id, uint32_t epoch);

  const BpeTrainerOptions& options_;
  int64_t size_ = 0;             // positions, sentinels included
  std::vector<uint16_t> tok_;    // token id at a token's start, kDead inside, kSentinel between segments
  std::vector<int32_t> back_;    // at a token's last position: its start
  std::vector<int32_t> len_;     // symbols per token id
  absl::flat_hash_map<uint32_t, int32_t> index_;
  std::vector<Pair> pairs_;
  std::priority_queue<HeapEntry> heap_;
  std::vector<int32_t> touched_;
  int64_t num_symbols_ = 0;
  int64_t num_tokens_ = 0;
  int64_t num_sequences_ = 0;
};

absl::Status Trainer::Load(const std::vector<std::string_view>& corpus, int threads) {
  // Layout: segment starts (per-segment mode: one sentinel between consecutive segments).
  const bool sep = !options_.concatenate;
  std::vector<int64_t> start(corpus.size(), 0), end(corpus.size(), 0);
  for (size_t s = 0; s < corpus.size(); ++s) {
    start[s] = s == 0 ? 0 : end[s - 1] + (sep ? 1 : 0);
    end[s] = start[s] + static_cast<int64_t>(corpus[s].size());
    num_symbols_ += static_cast<int64_t>(corpus[s].size());
  }
  size_ = end.back();
  if (num_symbols_ == 0) return absl::InvalidArgumentError("empty corpus: no symbols to train on");
  if (size_ >= std::numeric_limits<int32_t>::max() - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("corpus too large: ", size_, " positions (at most ", std::numeric_limits<int32_t>::max() - 2, ")"));
  }
  num_tokens_ = num_symbols_;
  num_sequences_ = sep ? static_cast<int64_t>(corpus.size()) : 1;
  tok_.assign(static_cast<size_t>(size_), kSentinel);
  back_.resize(static_cast<size_t>(size_));
  len_.assign(kByteVocabSize, 1);

  // Pass 1 (parallel over segment ranges): validate, fill tokens and back pointers, count pairs.
  const size_t nseg = corpus.size();
  const int nt = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), nseg));
  std::vector<std::vector<int64_t>> counts(static_cast<size_t>(nt), std::vector<int64_t>(kAlpha * kAlpha, 0));
  std::vector<int64_t> bad(static_cast<size_t>(nt), -1);
  std::vector<absl::Status> errors(static_cast<size_t>(nt));
  auto range = [&](int t) {
    return std::make_pair(nseg * static_cast<size_t>(t) / static_cast<size_t>(nt),
                          nseg * static_cast<size_t>(t + 1) / static_cast<size_t>(nt));
  };
  // In concatenated mode the pair that spans segments s-1 and s belongs to segment s.
  auto pair_start = [&](size_t s) { return (!sep && start[s] > 0) ? start[s] - 1 : start[s]; };
  ParallelFor(nt, [&](int t) {
    auto [s0, s1] = range(t);
    for (size_t s = s0; s < s1; ++s) {
      absl::Status st = ValidateSymbols(corpus[s], absl::StrCat("segment ", s, ": "));
      if (!st.ok()) {
        bad[static_cast<size_t>(t)] = static_cast<int64_t>(s);
        errors[static_cast<size_t>(t)] = st;
        return;
      }
      for (size_t i = 0; i < corpus[s].size(); ++i) {
        const int64_t p = start[s] + static_cast<int64_t>(i);
        tok_[static_cast<size_t>(p)] = static_cast<uint8_t>(corpus[s][i]);
        back_[static_cast<size_t>(p)] = static_cast<int32_t>(p);
      }
    }
  });
  for (int t = 0; t < nt; ++t) {
    if (bad[static_cast<size_t>(t)] >= 0) return errors[static_cast<size_t>(t)];
  }
  ParallelFor(nt, [&](int t) {
    auto [s0, s1] = range(t);
    std::vector<int64_t>& c = counts[static_cast<size_t>(t)];
    for (size_t s = s0; s < s1; ++s) {
      for (int64_t p = pair_start(s); p + 1 < end[s]; ++p) {
        c[static_cast<size_t>((tok_[p] - kFirst) * kAlpha + (tok_[p + 1] - kFirst))]++;
      }
    }
  });
  // Pass 2: each thread writes its positions at its offset: lists come out sorted, whatever nt is.
  std::vector<std::vector<int64_t>> offset(static_cast<size_t>(nt), std::vector<int64_t>(kAlpha * kAlpha, 0));
  for (int k = 0; k < kAlpha * kAlpha; ++k) {
    int64_t total = 0;
    for (int t = 0; t < nt; ++t) {
      offset[static_cast<size_t>(t)][static_cast<size_t>(k)] = total;
      total += counts[static_cast<size_t>(t)][static_cast<size_t>(k)];
    }
    if (total == 0) continue;
    const uint32_t key = Key(static_cast<uint32_t>(kFirst + k / kAlpha), static_cast<uint32_t>(kFirst + k % kAlpha));
    index_.emplace(key, static_cast<int32_t>(pairs_.size()));
    pairs_.emplace_back();
    pairs_.back().key = key;
    pairs_.back().count = total;
    pairs_.back().pos.resize(static_cast<size_t>(total));
  }
  std::vector<int32_t> slot(kAlpha * kAlpha, -1);
  for (size_t i = 0; i < pairs_.size(); ++i) {
    const uint32_t key = pairs_[i].key;
    slot[static_cast<size_t>(((key >> 16) - kFirst) * kAlpha + ((key & 0xFFFF) - kFirst))] = static_cast<int32_t>(i);
  }
  ParallelFor(nt, [&](int t) {
    auto [s0, s1] = range(t);
    std::vector<int64_t>& off = offset[static_cast<size_t>(t)];
    for (size_t s = s0; s < s1; ++s) {
      for (int64_t p = pair_start(s); p + 1 < end[s]; ++p) {
        const size_t k = static_cast<size_t>((tok_[p] - kFirst) * kAlpha + (tok_[p + 1] - kFirst));
        pairs_[static_cast<size_t>(slot[k])].pos[static_cast<size_t>(off[k]++)] = static_cast<int32_t>(p);
      }
    }
  });
  for (const Pair& pair : pairs_) {
    if (pair.count >= 2) heap_.push({pair.count, pair.key});
  }
  return absl::OkStatus();
}

void Trainer::Merge(int32_t pair_index, uint16_t new_id, uint32_t epoch) {
  const uint32_t key = pairs_[static_cast<size_t>(pair_index)].key;
  const uint16_t a = static_cast<uint16_t>(key >> 16), b = static_cast<uint16_t>(key & 0xFFFF);
  std::vector<int32_t> positions = std::move(pairs_[static_cast<size_t>(pair_index)].pos);
  pairs_[static_cast<size_t>(pair_index)].pos = {};
  // Left-to-right replacement matters only when occurrences can overlap (a == b).
  if (a == b) std::sort(positions.begin(), positions.end());
  len_.push_back(len_[a] + len_[b]);
  touched_.clear();
  for (int32_t p : positions) {
    if (tok_[p] != a) continue;
    const int32_t q = Next(p);
    if (q < 0 || tok_[q] != b) continue;
    const int32_t pp = Prev(p);
    const int32_t r = Next(q);
    if (pp >= 0) {
      Dec(Key(tok_[pp], a));
      Inc(Key(tok_[pp], new_id), pp, epoch);
    }
    if (r >= 0) {
      Dec(Key(b, tok_[r]));
      Inc(Key(new_id, tok_[r]), p, epoch);
    }
    Dec(key);
    back_[static_cast<size_t>(q) + static_cast<size_t>(len_[b]) - 1] = p;
    tok_[p] = new_id;
    tok_[q] = kDead;
    --num_tokens_;
  }
  for (int32_t i : touched_) {
    Pair& pair = pairs_[static_cast<size_t>(i)];
    if (pair.count >= 2) heap_.push({pair.count, pair.key});
    // Drop stale entries once they are the majority (amortised O(1) per entry).
    if (pair.pos.size() > 2 * static_cast<size_t>(pair.count) + 64) {
      const uint32_t k = pair.key;
      pair.pos.erase(std::remove_if(pair.pos.begin(), pair.pos.end(), [&](int32_t p) { return !Valid(p, k); }),
                     pair.pos.end());
      pair.pos.shrink_to_fit();
    }
  }
}

BpeTrainResult Trainer::Run() {
  BpeTrainResult result;
  result.num_sequences = num_sequences_;
  result.num_symbols = num_symbols_;
  const int total = options_.num_merges;
  result.merges.reserve(static_cast<size_t>(total));
  result.merge_counts.reserve(static_cast<size_t>(total));
  for (int m = 0; m < total; ++m) {
    int32_t best = -1;
    while (!heap_.empty()) {
      const HeapEntry top = heap_.top();
      const int32_t i = Find(top.key);
      const int64_t actual = pairs_[static_cast<size_t>(i)].count;
      if (actual == top.count) {
        best = i;
        break;
      }
      heap_.pop();
      if (actual >= 2) heap_.push({actual, top.key});
    }
    if (best < 0) {
      result.stopped_early = true;
      break;
    }
    heap_.pop();
    const Pair& pair = pairs_[static_cast<size_t>(best)];
    result.merges.push_back({static_cast<int32_t>(pair.key >> 16), static_cast<int32_t>(pair.key & 0xFFFF)});
    result.merge_counts.push_back(pair.count);
    Merge(best, static_cast<uint16_t>(kByteVocabSize + m), static_cast<uint32_t>(m + 1));
    if (options_.progress && options_.progress_every > 0 && (m + 1) % options_.progress_every == 0) {
      options_.progress(m + 1, total);
    }
  }
  result.num_tokens = num_tokens_;
  return result;
}

}  // namespace

absl::StatusOr<BpeTrainResult> TrainBpe(const std::vector<std::string_view>& corpus,
                                        const BpeTrainerOptions& options) {
  if (options.num_merges < 1 || options.num_merges > kMaxMerges) {
    return absl::InvalidArgumentError(
        absl::StrCat("number of merges ", options.num_merges, " is outside 1..", kMaxMerges));
  }
  if (corpus.empty()) return absl::InvalidArgumentError("empty corpus: no segments to train on");
  int threads = options.num_threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Trainer trainer(options);
  absl::Status st = trainer.Load(corpus, threads);
  if (!st.ok()) return st;
  return trainer.Run();
}

absl::StatusOr<BpeTrainResult> TrainBpe(const std::vector<std::string>& corpus, const BpeTrainerOptions& options) {
  std::vector<std::string_view> views(corpus.begin(), corpus.end());
  return TrainBpe(views, options);
}

}  // namespace ecgbench::common::repr
