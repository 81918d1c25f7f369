// Tokenizer: the text tokenizers of the LLM stack behind one small interface (LevelDB-style: an
// abstract class plus a factory). Implementations: byte-level BPE from a Hugging Face
// tokenizer.json or GPT-2 vocab.json + merges.txt (GPT-2, Llama 3, Qwen 2.5; byte_level_bpe.h) and
// SentencePiece-style BPE with byte fallback from a tokenizer.json (Gemma 2; sentencepiece_bpe.h).
// Encode and Decode behave like the reference (HF tokenizers) for these models: special and added
// tokens are matched in the text first and never split, the rest is normalized, pre-tokenized and
// BPE-merged by rank. Encode never adds BOS/EOS (add_special_tokens=False): templates do that.
// Torch-free. A Tokenizer is immutable after loading apart from AddTokens: every const method is
// thread-safe; AddTokens must not run concurrently with any other call.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::common::text {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of `text` (UTF-8). InvalidArgument for text that is not valid UTF-8 (naming the
  // byte offset); never fails otherwise (byte fallback / byte-level BPE cover every input).
  virtual absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text) const = 0;
  // Text of `ids` (special tokens included as their strings unless skip_special).
  // InvalidArgument naming the position for an id outside the vocabulary.
  virtual absl::StatusOr<std::string> Decode(const std::vector<int32_t>& ids, bool skip_special = false) const = 0;

  virtual int32_t vocab_size() const = 0;  // largest id + 1, added tokens included
  // The id of a token string (special, added or regular), if any.
  virtual std::optional<int32_t> TokenToId(std::string_view token) const = 0;
  virtual std::optional<std::string> IdToToken(int32_t id) const = 0;

  // Adds tokens that are matched whole in the text before BPE (like HF add_tokens / special
  // tokens), with ids vocab_size(), vocab_size() + 1, ... (an existing token keeps its id).
  // Returns their ids (-1 for an empty string, which is not added). Special tokens are matched in
  // the raw text, the others after normalization (HF add_tokens). Used for ECG-Byte's
  // `signal_<id>` tokens and the `<signal>` placeholder.
  virtual std::vector<int32_t> AddTokens(const std::vector<std::string>& tokens, bool special) = 0;
};

// Implemented in common/text/tokenizers (library ecgbench_text_tokenizers).
// Loads `path`: a tokenizer.json file, or a directory holding tokenizer.json, or a directory with
// GPT-2's vocab.json + merges.txt, or BERT's vocab.txt (file or directory). The model type comes
// from the file (BPE with a ByteLevel pre-tokenizer/decoder, BPE with byte_fallback and the
// SentencePiece normalizer/decoder, or WordPiece with the BERT normalizer and pre-tokenizer).
// Errors name the file and the field: NotFound, InvalidArgument (malformed or unsupported, e.g.
// "tokenizer.json: field \"model.type\": Unigram is not supported (BPE only)").
absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& path);
// The text of a tokenizer.json (what LoadTokenizer does with the file's contents); `source` names
// it in errors. Used by the fuzz target of the tokenizer.json loader.
absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizerJson(std::string_view json_text, const std::string& source);

}  // namespace ecgbench::common::text
