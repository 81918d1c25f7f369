// SentencePiece-style BPE with byte fallback (sentencepiece_bpe.h).
#include "common/text/tokenizers/sentencepiece_bpe.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::text {

namespace {

// Length of the UTF-8 sequence starting with lead byte c (input is valid UTF-8).
inline size_t Utf8Length(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of a "<0xHH>" token, or -1.
int ByteOfToken(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  const int hi = HexDigit(t[3]), lo = HexDigit(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

void FlushBytes(std::string& bytes, std::vector<std::string>* out) {
  if (bytes.empty()) return;
  if (ValidateUtf8(bytes).ok()) {
    out->push_back(bytes);
  } else {
    for (size_t i = 0; i < bytes.size(); ++i) out->emplace_back("\xEF\xBF\xBD");
  }
  bytes.clear();
}

// Removes up to `start` leading and `stop` trailing occurrences of the character `c` (UTF-8).
void Strip(std::string* s, const std::string& c, int start, int stop) {
  size_t b = 0;
  for (int k = 0; k < start && b + c.size() <= s->size() && s->compare(b, c.size(), c) == 0; ++k) b += c.size();
  size_t e = s->size();
  for (int k = 0; k < stop && e >= b + c.size() && s->compare(e - c.size(), c.size(), c) == 0; ++k) e -= c.size();
  *s = s->substr(b, e - b);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SentencePieceBpeTokenizer>> SentencePieceBpeTokenizer::Create(TokenizerSpec spec) {
  const std::string& src = spec.source;
  const auto field = [&src](const std::string& f, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(src, ": field \"", f, "\": ", why));
  };
  if (spec.byte_level || spec.split) return field("pre_tokenizer", "SentencePiece-style BPE takes no pre-tokenizer (null)");
  for (const DecoderStep& d : spec.decoder) {
    if (d.kind == DecoderStep::Kind::kByteLevel) return field("decoder", "ByteLevel does not go with a SentencePiece-style BPE model");
  }
  ECGBENCH_ASSIGN_OR_RETURN(BpeModel model, BpeModel::Create(std::move(spec.model), src));
  std::unique_ptr<SentencePieceBpeTokenizer> t(new SentencePieceBpeTokenizer(std::move(model), spec.normalizer, src));
  t->decoder_ = spec.decoder;
  t->byte_token_ids_.fill(-1);
  if (t->model_.byte_fallback()) {
    for (int b = 0; b < 256; ++b) {
      const std::string name = absl::StrFormat("<0x%02X>", b);
      const auto id = t->model_.Find(name);
      if (!id) return field("model.vocab", absl::StrCat("byte_fallback needs the token \"", name, "\""));
      t->byte_token_ids_[static_cast<size_t>(b)] = *id;
    }
  }
  ECGBENCH_RETURN_IF_ERROR(t->InitAddedTokens(spec.added_tokens));
  return t;
}

void SentencePieceBpeTokenizer::EncodeSegment(std::string_view word, EncodeScratch& s, std::vector<int32_t>* out) const {
  if (model_.ignore_merges()) {
    if (auto id = model_.Find(word)) {
      out->push_back(*id);
      return;
    }
  }
  s.symbols.clear();
  bool last_unk = false;
  for (size_t i = 0; i < word.size();) {
    const size_t len = std::min(Utf8Length(static_cast<unsigned char>(word[i])), word.size() - i);
    const std::string_view ch = word.substr(i, len);
    i += len;
    if (auto id = model_.Find(ch)) {
      s.symbols.push_back(*id);
      last_unk = false;
    } else if (model_.byte_fallback()) {
      for (unsigned char b : ch) s.symbols.push_back(byte_token_ids_[b]);
      last_unk = false;
    } else if (model_.unk_id()) {
      if (!(model_.fuse_unk() && last_unk)) s.symbols.push_back(*model_.unk_id());
      last_unk = true;
    }
  }
  model_.MergeAndAppend(s.symbols, s.merge, out);
}

void SentencePieceBpeTokenizer::DecodeTokens(const std::vector<DecodeToken>& tokens, std::string* out) const {
  std::vector<std::string> cur, next;
  cur.reserve(tokens.size());
  for (const DecodeToken& t : tokens) cur.emplace_back(t.text);
  std::string bytes;
  for (const DecoderStep& step : decoder_) {
    switch (step.kind) {
      case DecoderStep::Kind::kReplace:
        for (std::string& t : cur) absl::StrReplaceAll({{step.pattern, step.content}}, &t);
        break;
      case DecoderStep::Kind::kByteFallback:
        next.clear();
        for (std::string& t : cur) {
          const int b = ByteOfToken(t);
          if (b >= 0) {
            bytes.push_back(static_cast<char>(b));
            continue;
          }
          FlushBytes(bytes, &next);
          next.push_back(std::move(t));
        }
        FlushBytes(bytes, &next);
        cur.swap(next);
        break;
      case DecoderStep::Kind::kFuse: {
        std::string all;
        for (const std::string& t : cur) all += t;
        cur.assign(1, std::move(all));
        break;
      }
      case DecoderStep::Kind::kStrip:
        for (std::string& t : cur) Strip(&t, step.content, step.start, step.stop);
        break;
      case DecoderStep::Kind::kByteLevel:
        break;  // rejected by Create
    }
  }
  // HF joins the tokens with spaces when the file has no decoder, with nothing after a decoder.
  for (size_t i = 0; i < cur.size(); ++i) {
    if (decoder_.empty() && i > 0) out->push_back(' ');
    out->append(cur[i]);
  }
}

}  // namespace ecgbench::common::text
