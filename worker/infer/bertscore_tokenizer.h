// BertScoreTokenizer: a text's token ids as bert_score's sent_encode makes them (see
// docs/evaluation-bertscore.md, "Tokenization"): the text stripped of Python whitespace
// (str.strip); an empty text becomes [cls, sep]; otherwise, for byte-level BPE tokenizers
// (RoBERTa, GPT-2) a space is put in front (encode(..., add_prefix_space=True)), the text is
// encoded without special tokens, cut to max_length - 2 tokens (truncation=True,
// max_length=model_max_length) and wrapped as [cls] ids [sep]. cls/sep are the tokens whose
// BERTScore weight is 0 (idf_dict[cls] = idf_dict[sep] = 0), wherever they occur.
//
// Tokenizer files: tokenizer.json (byte-level BPE or WordPiece), else vocab.json + merges.txt
// (byte-level BPE, as the slow RobertaTokenizer bert_score uses reads them), else vocab.txt
// (WordPiece); tokenizer_config.json's model_max_length when present. Torch-free. Immutable after
// Load: Encode is const and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/text/tokenizer.h"

namespace ecgbench::worker::infer {

class BertScoreTokenizer {
 public:
  // `dir` holds the tokenizer files (above). max_length = min(tokenizer_config.json's
  // model_max_length, `max_sequence_length` (what the model's positions allow)).
  // NotFound when no tokenizer file is there; InvalidArgument naming the file and field for an
  // unsupported tokenizer, no cls/sep token, or max_length < 2.
  static absl::StatusOr<std::unique_ptr<BertScoreTokenizer>> Load(const std::string& dir,
                                                                   int64_t max_sequence_length);

  // [cls] ids [sep] (see above). InvalidArgument for text that is not valid UTF-8 (naming the byte).
  absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text) const;

  // Tokens that carry no weight in the greedy matching (bert_score's zero idf).
  bool IsSpecial(int32_t id) const { return id == cls_id_ || id == sep_id_; }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int64_t max_length() const { return max_length_; }
  bool adds_prefix_space() const { return prefix_space_; }
  const common::text::Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  BertScoreTokenizer() = default;

  std::unique_ptr<common::text::Tokenizer> tokenizer_;
  int32_t cls_id_ = 0;
  int32_t sep_id_ = 0;
  int64_t max_length_ = 0;
  bool prefix_space_ = false;
};

}  // namespace ecgbench::worker::infer
