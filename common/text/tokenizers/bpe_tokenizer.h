// BpeTokenizer: the part of a BPE Tokenizer that HF tokenizers' pipeline shares between byte-level
// BPE and SentencePiece-style BPE: added/special tokens split out first (raw tokens on the raw text,
// normalized ones on the normalized text), the normalizer, id <-> token lookups, AddTokens.
// Subclasses encode one normalized segment (EncodeSegment) and decode token strings (DecodeTokens).
// Immutable after construction apart from AddTokens: the const methods are thread-safe; AddTokens
// must not run concurrently with anything else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/text/tokenizer.h"
#include "common/text/tokenizers/added_vocabulary.h"
#include "common/text/tokenizers/bpe_model.h"
#include "common/text/tokenizers/tokenizer_spec.h"

namespace ecgbench::common::text {

class BpeTokenizer : public Tokenizer {
 public:
  absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text) const final;
  absl::StatusOr<std::string> Decode(const std::vector<int32_t>& ids, bool skip_special = false) const final;
  int32_t vocab_size() const final;
  std::optional<int32_t> TokenToId(std::string_view token) const final;
  std::optional<std::string> IdToToken(int32_t id) const final;
  std::vector<int32_t> AddTokens(const std::vector<std::string>& tokens, bool special) final;

  const BpeModel& model() const { return model_; }

 protected:
  // Per-Encode buffers, reused across the segments and words of one call.
  struct EncodeScratch {
    std::string normalized;  // owned by BpeTokenizer::Encode
    std::string mapped;
    std::vector<char32_t> cps;
    std::vector<uint32_t> offsets;
    std::vector<std::pair<uint32_t, uint32_t>> pieces;
    std::vector<int32_t> symbols;
    MergeScratch merge;
  };
  // One decoded token: its string and whether it is an added token.
  struct DecodeToken {
    std::string_view text;
    bool added;
  };

  BpeTokenizer(BpeModel model, std::vector<NormalizerStep> normalizer, std::string source)
      : model_(std::move(model)), normalizer_(std::move(normalizer)), source_(std::move(source)) {}
  // Registers the file's added tokens. InvalidArgument naming the token when its id is taken by a
  // different vocabulary token.
  absl::Status InitAddedTokens(const std::vector<AddedTokenSpec>& tokens);

  // Appends the ids of `segment` (normalized text with no added token in it; valid UTF-8).
  virtual void EncodeSegment(std::string_view segment, EncodeScratch& scratch, std::vector<int32_t>* out) const = 0;
  // Appends the text of `tokens` (special tokens already filtered out when skipping them).
  virtual void DecodeTokens(const std::vector<DecodeToken>& tokens, std::string* out) const = 0;

  void Normalize(std::string_view in, std::string* out) const;

  BpeModel model_;

 private:
  std::vector<NormalizerStep> normalizer_;
  std::string source_;
  AddedVocabulary added_;
};

}  // namespace ecgbench::common::text
