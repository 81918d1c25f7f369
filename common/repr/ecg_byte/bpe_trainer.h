// ECG-Byte BPE training on symbol strings (upstream `byte_pair_encoding`, made fast and
// deterministic). Token ids: the 256 byte values (a symbol 'a'..'z' is its byte, 97..122) plus one
// id per merge, 256 + i for merge i, like upstream.
//
// Algorithm (docs/representations/ecg-byte.md): every position of the corpus holds a token id (uint16) and the
// tokens form a linked list implicitly (next = position + token length; prev through a back pointer
// stored at each token's last position). Pair counts are kept incrementally; each pair has a list of
// the positions where it occurred (entries go stale and are checked lazily) and the best pair comes
// from a max-heap with lazy invalidation. A merge touches only the occurrences of the merged pair and
// their neighbours: no recount per merge. The initial count and the position lists are built by
// `num_threads` threads; the result does not depend on the thread count.
//
// Selection: the pair with the highest count (adjacent occurrences, overlapping ones included, as
// upstream counts them); ties go to the lexicographically smallest (left id, right id). Upstream
// breaks ties arbitrarily (HashMap + parallel max), so its merges are not reproducible run to run.
// Replacement: left to right, non-overlapping (so "aaa" with pair (a, a) becomes [aa, a]).
// Stops early, with fewer merges than asked, when no pair occurs at least twice.
//
// Memory: about 10 bytes per corpus symbol at the start (60 M symbols: ~0.6 GB), less later.
// Thread-safe: TrainBpe is a pure function of its inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::repr {

inline constexpr int kByteVocabSize = 256;
// Largest number of merges (ids 256..65533 fit the trainer's 16-bit tokens).
inline constexpr int kMaxMerges = 65278;

struct BpeMerge {
  int32_t left = 0;
  int32_t right = 0;
  bool operator==(const BpeMerge& o) const { return left == o.left && right == o.right; }
};

struct BpeTrainerOptions {
  int num_merges = 6000;  // 1..kMaxMerges
  // false (default): every segment is its own sequence, no pair spans two segments (two ECGs).
  // true: upstream's behaviour: all segments concatenated with no separator into one sequence.
  bool concatenate = false;
  int num_threads = 1;  // for the initial count and position lists; <= 0: hardware concurrency
  // Called after every `progress_every` merges with (merges done, merges asked); may be empty.
  std::function<void(int, int)> progress;
  int progress_every = 500;
};

struct BpeTrainResult {
  std::vector<BpeMerge> merges;       // merge i creates id 256 + i
  std::vector<int64_t> merge_counts;  // the chosen pair's count when merge i was made
  int64_t num_sequences = 0;          // segments (1 when concatenated)
  int64_t num_symbols = 0;            // corpus symbols
  int64_t num_tokens = 0;             // tokens left after the last merge
  bool stopped_early = false;         // fewer merges than asked: no pair occurred twice
};

// Trains on `corpus` (symbol strings over a..z). InvalidArgument for: an empty corpus or one with no
// symbols ("empty corpus"), num_merges outside 1..kMaxMerges, a symbol outside a..z ("segment 3:
// symbol 'A' (byte 65) at position 12 is not in a..z"), more than 2^31 - 2 positions in all.
absl::StatusOr<BpeTrainResult> TrainBpe(const std::vector<std::string_view>& corpus,
                                        const BpeTrainerOptions& options);
absl::StatusOr<BpeTrainResult> TrainBpe(const std::vector<std::string>& corpus, const BpeTrainerOptions& options);

}  // namespace ecgbench::common::repr
