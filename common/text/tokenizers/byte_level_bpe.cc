// Byte-level BPE (byte_level_bpe.h).
#include "common/text/tokenizers/byte_level_bpe.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::text {

char32_t ByteToUnicode(uint8_t b) {
  // Printable Latin-1 bytes stand for themselves; the other 68 map to U+0100.. in byte order.
  if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE) return b;
  int n = 0;
  for (int x = 0; x < b; ++x) {
    if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE)) ++n;
  }
  return static_cast<char32_t>(0x100 + n);
}

absl::StatusOr<std::unique_ptr<ByteLevelBpeTokenizer>> ByteLevelBpeTokenizer::Create(TokenizerSpec spec) {
  const std::string& src = spec.source;
  const auto field = [&src](const std::string& f, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(src, ": field \"", f, "\": ", why));
  };
  if (!spec.byte_level) return field("pre_tokenizer", "byte-level BPE needs a ByteLevel pre-tokenizer");
  if (spec.model.byte_fallback) return field("model.byte_fallback", "must be false for byte-level BPE");
  for (const NormalizerStep& n : spec.normalizer) {
    if (n.kind != NormalizerStep::Kind::kNfc) return field("normalizer", "byte-level BPE supports no normalizer or NFC only");
  }
  if (spec.decoder.size() != 1 || spec.decoder[0].kind != DecoderStep::Kind::kByteLevel) {
    return field("decoder", "byte-level BPE needs the ByteLevel decoder");
  }
  ECGBENCH_ASSIGN_OR_RETURN(BpeModel model, BpeModel::Create(std::move(spec.model), src));
  std::unique_ptr<ByteLevelBpeTokenizer> t(new ByteLevelBpeTokenizer(std::move(model), spec.normalizer, src));
  t->split_ = spec.split;
  t->add_prefix_space_ = spec.add_prefix_space;
  t->char_to_byte_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = ByteToUnicode(static_cast<uint8_t>(b));
    std::string& s = t->byte_chars_[static_cast<size_t>(b)];
    AppendUtf8(cp, &s);
    const auto id = t->model_.Find(s);
    if (!id) return field("model.vocab", absl::StrFormat("the byte-level token \"%s\" (byte 0x%02X) is missing", s, b));
    t->byte_ids_[static_cast<size_t>(b)] = *id;
    t->char_to_byte_[cp] = static_cast<int16_t>(b);
  }
  ECGBENCH_RETURN_IF_ERROR(t->InitAddedTokens(spec.added_tokens));
  return t;
}

void ByteLevelBpeTokenizer::EncodePiece(std::string_view piece, EncodeScratch& s, std::vector<int32_t>* out) const {
  if (model_.ignore_merges()) {
    s.mapped.clear();
    for (unsigned char b : piece) s.mapped += byte_chars_[b];
    if (auto id = model_.Find(s.mapped)) {
      out->push_back(*id);
      return;
    }
  }
  s.symbols.clear();
  for (unsigned char b : piece) s.symbols.push_back(byte_ids_[b]);
  model_.MergeAndAppend(s.symbols, s.merge, out);
}

void ByteLevelBpeTokenizer::EncodeSegment(std::string_view segment, EncodeScratch& s, std::vector<int32_t>* out) const {
  std::string prefixed;
  if (add_prefix_space_ && !segment.empty() && segment[0] != ' ') {
    prefixed.assign(1, ' ').append(segment);
    segment = prefixed;
  }
  if (!split_) {
    EncodePiece(segment, s, out);
    return;
  }
  // The segment is valid UTF-8 (checked by Encode; NFC keeps it valid).
  if (!DecodeUtf8(segment, &s.cps, &s.offsets).ok()) return;
  s.pieces.clear();
  PreTokenize(*split_, s.cps.data(), s.cps.size(), &s.pieces);
  for (const auto& [b, e] : s.pieces) {
    EncodePiece(segment.substr(s.offsets[b], s.offsets[e] - s.offsets[b]), s, out);
  }
}

void ByteLevelBpeTokenizer::DecodeTokens(const std::vector<DecodeToken>& tokens, std::string* out) const {
  std::string bytes;
  std::vector<char32_t> cps;
  std::vector<uint32_t> offsets;
  for (const DecodeToken& t : tokens) {
    if (t.added) {
      AppendUtf8Lossy(bytes, out);
      bytes.clear();
      out->append(t.text);
      continue;
    }
    // HF: a token whose characters are all byte characters gives those bytes, else its own UTF-8.
    bool mapped = DecodeUtf8(t.text, &cps, &offsets).ok();
    for (size_t i = 0; mapped && i < cps.size(); ++i) mapped = cps[i] < char_to_byte_.size() && char_to_byte_[cps[i]] >= 0;
    if (!mapped) {
      bytes.append(t.text);
      continue;
    }
    for (char32_t c : cps) bytes.push_back(static_cast<char>(char_to_byte_[c]));
  }
  AppendUtf8Lossy(bytes, out);
}

}  // namespace ecgbench::common::text
