// SentencePieceBpeTokenizer: SentencePiece-style BPE as HF tokenizers runs it for Gemma 2 (and
// Llama 2-style files): normalizer Replace(" " -> "▁") [+ Prepend("▁")], no pre-tokenizer (each
// text segment between added tokens is one word), BPE over characters by merge rank with
// byte_fallback (a character missing from the vocabulary becomes its UTF-8 bytes as <0xHH>
// tokens, else the unk token, fused when fuse_unk). Decode runs the file's decoder steps in order:
// Replace, ByteFallback (runs of <0xHH> read as UTF-8, one U+FFFD per byte when invalid), Fuse,
// Strip. Thread-safety as BpeTokenizer.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/text/tokenizers/bpe_tokenizer.h"
#include "common/text/tokenizers/tokenizer_spec.h"

namespace ecgbench::common::text {

class SentencePieceBpeTokenizer final : public BpeTokenizer {
 public:
  // InvalidArgument naming spec.source and the field: a ByteLevel pre-tokenizer or decoder, a
  // byte_fallback model without all 256 <0xHH> tokens, or the BpeModel's errors.
  static absl::StatusOr<std::unique_ptr<SentencePieceBpeTokenizer>> Create(TokenizerSpec spec);

 private:
  SentencePieceBpeTokenizer(BpeModel model, std::vector<NormalizerStep> normalizer, std::string source)
      : BpeTokenizer(std::move(model), std::move(normalizer), std::move(source)) {}
  void EncodeSegment(std::string_view segment, EncodeScratch& scratch, std::vector<int32_t>* out) const override;
  void DecodeTokens(const std::vector<DecodeToken>& tokens, std::string* out) const override;

  std::vector<DecoderStep> decoder_;
  std::array<int32_t, 256> byte_token_ids_{};  // id of "<0xHH>" per byte (byte_fallback)
};

}  // namespace ecgbench::common::text
