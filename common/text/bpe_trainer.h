// BpeTrainer: trains a byte-level BPE tokenizer (GPT-2 style) on a text corpus, like Hugging Face
// tokenizers' BpeTrainer behind a ByteLevel pre-tokenizer, and writes it as an HF tokenizer.json
// that LoadTokenizer (common/text/tokenizer.h) loads.
//
// Algorithm (docs/text-tokenizers.md, "Training a tokenizer"):
//  1. Every document is split with the ByteLevel pre-tokenizer's GPT-2 regex (pre_tokenizer.h,
//     SplitPattern::kGpt2) and the pieces are counted (a word = one distinct piece's bytes).
//  2. The alphabet is the 256 byte symbols of GPT-2's byte-to-unicode map (ByteToUnicode), ids 0..255
//     in code point order (the order of GPT-2's vocab.json).
//  3. Repeatedly the most frequent adjacent symbol pair (counted over words x word counts) is merged
//     into a new symbol, which takes the next id (a merge whose concatenation is already a token
//     reuses that id and adds no vocabulary entry). Ties: the pair with the smaller left id, then
//     the smaller right id (HF's order). Within a word, occurrences are merged left to right without
//     overlap. Pair counts are updated incrementally from the merged words only (a max-heap with
//     lazy re-insertion of stale counts plus a per-pair index of the words that contain it).
//  4. It stops when 256 + new tokens + special tokens reaches vocab_size, or when the most frequent
//     pair occurs fewer than max(1, min_frequency) times.
//  5. Special tokens take the ids right after the BPE vocabulary (as Llama 3 and GPT-2 do), in the
//     order of their set; they are not in model.vocab, only in added_tokens.
// The result depends only on the multiset of documents and the options (not on document order).
//
// Thread-safety: a BpeTrainer is not thread-safe (AddDocument mutates it); Train is const.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::common::text {

// The special tokens of a chat-template family.
enum class SpecialTokenSet {
  kLlama3,  // <|begin_of_text|> <|end_of_text|> <|start_header_id|> <|end_header_id|> <|eot_id|>
  kChatml,  // <|endoftext|> <|im_start|> <|im_end|>
  kGpt2,    // <|endoftext|>
};

// "llama3", "chatml", "gpt2"; InvalidArgument naming the accepted values otherwise.
absl::StatusOr<SpecialTokenSet> ParseSpecialTokenSet(std::string_view name);
std::string_view SpecialTokenSetName(SpecialTokenSet set);
const std::vector<std::string>& SpecialTokens(SpecialTokenSet set);

struct BpeTrainerOptions {
  int32_t vocab_size = 8192;  // the total: 256 byte symbols + merged symbols + special tokens
  int64_t min_frequency = 2;  // a pair seen fewer times is never merged (0 and 1 both mean "once")
  SpecialTokenSet specials = SpecialTokenSet::kLlama3;
};

// A trained model: ids 0..vocab.size()-1 are the BPE vocabulary, then the special tokens.
struct TrainedBpe {
  std::vector<std::string> vocab;                            // id -> token (byte-level characters)
  std::vector<std::pair<int32_t, int32_t>> merges;           // in rank order: (left id, right id)
  std::vector<std::string> special_tokens;                   // id vocab.size() + i
  int64_t words = 0;                                         // distinct pre-tokenized pieces
  int64_t pieces = 0;                                        // pieces counted, repeats included

  int32_t total_size() const { return static_cast<int32_t>(vocab.size() + special_tokens.size()); }
  // The tokenizer.json text: ByteLevel pre-tokenizer (use_regex, no prefix space), ByteLevel
  // decoder, no normalizer and no post-processor, BPE model with vocab (in id order) and merges
  // ("a b" strings), and the special tokens as added_tokens (special, not normalized).
  std::string ToTokenizerJson() const;
};

class BpeTrainer {
 public:
  // InvalidArgument when vocab_size < 256 + the number of special tokens (naming both numbers) or
  // min_frequency < 0.
  static absl::StatusOr<BpeTrainer> Create(const BpeTrainerOptions& options);

  // Counts the pieces of one document (UTF-8; an empty document adds nothing). InvalidArgument
  // "invalid UTF-8 at byte N" for malformed text (nothing of it is counted).
  absl::Status AddDocument(std::string_view text);

  int64_t documents() const { return documents_; }

  // Runs the merges. InvalidArgument "the corpus is empty ..." when no document had any text.
  absl::StatusOr<TrainedBpe> Train() const;

 private:
  explicit BpeTrainer(const BpeTrainerOptions& options) : options_(options) {}

  BpeTrainerOptions options_;
  absl::flat_hash_map<std::string, int64_t> word_counts_;  // piece bytes -> occurrences
  int64_t documents_ = 0;
  int64_t pieces_ = 0;
  // Reused between documents.
  std::vector<char32_t> cps_;
  std::vector<uint32_t> offsets_;
  std::vector<std::pair<uint32_t, uint32_t>> spans_;
};

}  // namespace ecgbench::common::text
