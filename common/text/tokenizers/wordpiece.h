// WordPieceTokenizer: BERT's tokenizer as HF tokenizers' BertTokenizerFast runs it. Encode: special
// and added tokens split out of the raw text first (never split further), then the BertNormalizer
// and BertPreTokenizer (bert_normalizer.h), then WordPiece per word: greedy longest-prefix match
// left to right, pieces after the first carry continuing_subword_prefix ("##"); a word with a
// position no vocabulary piece matches, or longer than max_input_chars_per_word code points,
// becomes one unk_token. Encode adds no [CLS]/[SEP] (the Tokenizer contract); EncodeForModel
// applies the post-processor (TemplateProcessing / BertProcessing for one sequence) and the
// truncation of tokenizer(text, truncation=True, max_length=N). Decode: HF's WordPiece decoder
// (tokens joined by spaces, "##" pieces glued to the previous token, cleanup of " ." " ," " 's" ...).
// Sources: a tokenizer.json with model.type "WordPiece", or BERT's vocab.txt with an optional
// tokenizer_config.json (as transformers converts a slow BertTokenizer). Immutable after loading
// apart from AddTokens: const methods are thread-safe; AddTokens must not run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/text/tokenizer.h"
#include "common/text/tokenizers/added_vocabulary.h"
#include "common/text/tokenizers/bert_normalizer.h"
#include "common/text/tokenizers/tokenizer_spec.h"

namespace ecgbench::common::text {

struct WordPieceSpec {
  std::string source;  // the file name used in messages
  std::vector<std::pair<std::string, int32_t>> vocab;
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  int64_t max_input_chars_per_word = 100;
  std::optional<BertNormalizerOptions> normalizer;  // none: text used as is
  bool bert_pre_tokenizer = true;                   // false: no pre-tokenizer (the text is one word)
  // Post-processor for one sequence: ids before and after the text ([CLS] / [SEP]).
  std::vector<int32_t> prefix_ids, suffix_ids;
  std::string pad_token = "[PAD]";  // from the padding section or tokenizer_config.json
  bool wordpiece_decoder = true;    // false: no decoder (tokens joined by spaces)
  std::string decoder_prefix = "##";
  bool decoder_cleanup = true;
  std::vector<AddedTokenSpec> added_tokens;
};

// The "model.type" of a tokenizer.json, read without parsing the whole file (stops at the field);
// nullopt when absent or when the text is not a JSON object.
std::optional<std::string> TokenizerJsonModelType(std::string_view json_text);

// A tokenizer.json whose model is WordPiece. InvalidArgument naming `source` and the field for
// any setting outside the list above (e.g. a Split pre-tokenizer, a pair-only template).
absl::StatusOr<WordPieceSpec> ParseWordPieceTokenizerJson(std::string_view json_text, const std::string& source);
// BERT's vocab.txt (one token per line, id = line number - 1) and the do_lower_case,
// tokenize_chinese_chars, strip_accents, unk/cls/sep/pad/mask_token fields of tokenizer_config.json
// (empty `config_json`: BertTokenizer's defaults). [CLS] text [SEP] as post-processor; the five
// special tokens become special added tokens when the vocabulary has them. InvalidArgument naming
// the file and line for a duplicate or empty token, a missing unk/cls/sep token.
absl::StatusOr<WordPieceSpec> ParseBertVocabTxt(std::string_view vocab_txt, const std::string& vocab_source,
                                                std::string_view config_json, const std::string& config_source);

class WordPieceTokenizer final : public Tokenizer {
 public:
  // InvalidArgument naming spec.source: duplicate ids or tokens, unk_token or a post-processor id
  // not in the vocabulary, max_input_chars_per_word < 1, an added token whose id holds another token.
  static absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> Create(WordPieceSpec spec);

  absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text) const override;
  absl::StatusOr<std::string> Decode(const std::vector<int32_t>& ids, bool skip_special = false) const override;
  int32_t vocab_size() const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override;
  std::optional<std::string> IdToToken(int32_t id) const override;
  std::vector<int32_t> AddTokens(const std::vector<std::string>& tokens, bool special) override;

  // prefix_ids + Encode(text) + suffix_ids, the text's ids cut on the right so the total is at most
  // max_length. InvalidArgument for invalid UTF-8, or max_length below the special tokens' count.
  absl::StatusOr<std::vector<int32_t>> EncodeForModel(std::string_view text, int64_t max_length) const;
  size_t num_special_tokens_to_add() const { return spec_.prefix_ids.size() + spec_.suffix_ids.size(); }
  // The pad token's id, or 0 when the vocabulary has no pad token.
  int32_t pad_id() const { return pad_id_; }
  const WordPieceSpec& spec() const { return spec_; }

  // vocab.txt (ids must be dense: 0 .. vocab_size - 1, added tokens included) and a
  // tokenizer_config.json that ParseBertVocabTxt reads back into the same tokenizer.
  // FailedPrecondition when the ids have holes or the normalizer is not a BertNormalizer.
  absl::StatusOr<std::string> VocabTxt() const;
  absl::StatusOr<std::string> TokenizerConfigJson() const;

 private:
  explicit WordPieceTokenizer(WordPieceSpec spec) : spec_(std::move(spec)) {}
  void EncodeSegment(std::string_view normalized, std::vector<int32_t>* out) const;
  void EncodeWord(std::string_view word, std::vector<int32_t>* out) const;
  void NormalizeInto(std::string_view text, std::string* out) const;

  WordPieceSpec spec_;
  absl::flat_hash_map<std::string, int32_t> token_to_id_;
  std::vector<std::string> id_to_token_;  // "" for ids with no token
  AddedVocabulary added_;
  int32_t unk_id_ = 0;
  int32_t pad_id_ = 0;
  size_t max_token_bytes_ = 0;
};

// `path`: a tokenizer.json (WordPiece), a vocab.txt, or a directory holding tokenizer.json or
// vocab.txt (+ tokenizer_config.json). NotFound / InvalidArgument naming the file.
absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> LoadWordPieceTokenizer(const std::string& path);

}  // namespace ecgbench::common::text
