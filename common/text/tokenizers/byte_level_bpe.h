// ByteLevelBpeTokenizer: byte-level BPE as HF tokenizers runs it for GPT-2, Llama 3 and Qwen 2.5.
// Encode: added tokens split out, normalizer (none or NFC), the pre-tokenizer regex (GPT-2 or
// Llama 3 / Qwen 2 pattern, pre_tokenizer.h), each piece's UTF-8 bytes mapped to GPT-2's
// byte-to-unicode characters, then BPE by merge rank (a piece that is itself a token is emitted
// whole when the model has ignore_merges, as Llama 3's). Decode: token characters mapped back to
// bytes, the bytes read as UTF-8 with U+FFFD for invalid sequences; added tokens are emitted as
// their text. Thread-safety as BpeTokenizer.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/text/tokenizers/bpe_tokenizer.h"
#include "common/text/tokenizers/tokenizer_spec.h"

namespace ecgbench::common::text {

class ByteLevelBpeTokenizer final : public BpeTokenizer {
 public:
  // InvalidArgument naming spec.source and the field: a spec that is not byte-level (pre-tokenizer
  // without ByteLevel, decoder other than ByteLevel, byte_fallback on, a normalizer other than NFC),
  // a vocabulary missing one of the 256 byte tokens, or the BpeModel's errors.
  static absl::StatusOr<std::unique_ptr<ByteLevelBpeTokenizer>> Create(TokenizerSpec spec);

  std::optional<SplitPattern> split() const { return split_; }

 private:
  ByteLevelBpeTokenizer(BpeModel model, std::vector<NormalizerStep> normalizer, std::string source)
      : BpeTokenizer(std::move(model), std::move(normalizer), std::move(source)) {}
  void EncodeSegment(std::string_view segment, EncodeScratch& scratch, std::vector<int32_t>* out) const override;
  void DecodeTokens(const std::vector<DecodeToken>& tokens, std::string* out) const override;
  void EncodePiece(std::string_view piece, EncodeScratch& scratch, std::vector<int32_t>* out) const;

  std::optional<SplitPattern> split_;
  bool add_prefix_space_ = false;
  std::array<int32_t, 256> byte_ids_{};           // token id of each byte's character
  std::array<std::string, 256> byte_chars_;       // UTF-8 of each byte's character
  std::array<int16_t, 0x144> char_to_byte_{};     // inverse map (code points below U+0144), -1 if none
};

// GPT-2's byte-to-unicode map: the code point standing for byte b.
char32_t ByteToUnicode(uint8_t b);

}  // namespace ecgbench::common::text
