// The ECG-Byte tokenizer value: the merges (merge i: (left, right) -> id 256 + i), each token's
// full symbol expansion, and the encoders:
//  - kLongestMatch (upstream `encode_symbol`, the default): greedy longest-prefix match left to
//    right over a trie of the 26 symbols and every merge's expansion; when two merges expand to the
//    same symbols the later id wins, as in upstream's trie. The trie is built once, at Create, as a
//    dense 26-way child table per node in breadth-first order.
//  - kMergeRank (standard BPE, as HF tokenizers and SentencePiece apply it): repeatedly merge the
//    adjacent pair with the lowest merge rank, leftmost first. On a training segment this gives the
//    trainer's own final tokenization.
// Decode maps ids back to symbols; Decode(Encode(s)) == s for every s over a..z, in both modes.
// Immutable after Create: all const methods are thread-safe. Copying copies the tables.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/repr/ecg_byte/bpe_trainer.h"

namespace ecgbench::common::repr {

// Limits that keep a tokenizer (and a hostile tokenizer file) within memory.
inline constexpr int64_t kMaxTokenSymbols = int64_t{1} << 16;   // symbols in one token
inline constexpr int64_t kMaxTotalSymbols = int64_t{1} << 23;   // summed over all merges

enum class EncodeMode { kLongestMatch, kMergeRank };

class EcgByteTokenizer {
 public:
  // Validates the merges: 1..kMaxMerges of them (none is allowed too: the 26 symbols only), each
  // side a symbol byte 'a'..'z' (97..122) or an earlier merge's id (< 256 + i), expansions within the
  // limits above, no pair twice. InvalidArgument "merges[4][1]: id 300 is not defined before merge 4 (ids 97..122
  // and 256..259)".
  static absl::StatusOr<EcgByteTokenizer> Create(std::vector<BpeMerge> merges);

  int vocab_size() const { return kByteVocabSize + static_cast<int>(merges_.size()); }
  int num_merges() const { return static_cast<int>(merges_.size()); }
  const std::vector<BpeMerge>& merges() const { return merges_; }
  // The symbols of token `id` (a byte id gives that one byte). REQUIRES 0 <= id < vocab_size().
  std::string_view Symbols(int32_t id) const {
    return std::string_view(expansions_).substr(static_cast<size_t>(offsets_[id]),
                                                static_cast<size_t>(offsets_[id + 1] - offsets_[id]));
  }
  // True for the ids that can occur in an encoding: 'a'..'z' and every merge id.
  bool IsSymbolToken(int32_t id) const;
  // The smallest id with the same expansion as `id` (merges can build the same symbols twice; an HF
  // vocab keeps one id per string). REQUIRES 0 <= id < vocab_size().
  int32_t CanonicalId(int32_t id) const { return canonical_[static_cast<size_t>(id)]; }
  int64_t max_token_symbols() const { return max_token_symbols_; }

  // Appends the ids of `symbols` to *ids. InvalidArgument (symbols.h ValidateSymbols) for a symbol
  // outside a..z; *ids is then unchanged.
  absl::Status EncodeAppend(std::string_view symbols, EncodeMode mode, std::vector<int32_t>* ids) const;
  absl::StatusOr<std::vector<int32_t>> Encode(std::string_view symbols,
                                              EncodeMode mode = EncodeMode::kLongestMatch) const;
  // InvalidArgument "id 70000 at position 3 is outside the vocabulary (0..6255)" or "... is a byte
  // token that no encoding produces" for ids other than a..z and merges.
  absl::Status DecodeAppend(const int32_t* ids, size_t n, std::string* symbols) const;
  absl::StatusOr<std::string> Decode(const std::vector<int32_t>& ids) const;

 private:
  EcgByteTokenizer() = default;
  void BuildTrie();
  void EncodeLongest(std::string_view s, std::vector<int32_t>* ids) const;
  void EncodeRank(std::string_view s, std::vector<int32_t>* ids) const;

  std::vector<BpeMerge> merges_;
  std::string expansions_;        // all tokens' symbols, id order
  std::vector<int64_t> offsets_;  // vocab_size + 1
  std::vector<int32_t> canonical_;
  int64_t max_token_symbols_ = 1;
  // Trie: node n's children at trie_[n * 27 + c] (0 = none; the root is node 0 and never a child),
  // its token id (or -1) at trie_[n * 27 + 26].
  std::vector<int32_t> trie_;
  absl::flat_hash_map<uint64_t, int32_t> rank_;  // (left << 32 | right) -> merge index
};

}  // namespace ecgbench::common::repr
