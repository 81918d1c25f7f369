// Shared encode/decode pipeline of the BPE tokenizers (bpe_tokenizer.h).
#include "common/text/tokenizers/bpe_tokenizer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::text {

absl::Status BpeTokenizer::InitAddedTokens(const std::vector<AddedTokenSpec>& tokens) {
  std::string normalized;
  for (const AddedTokenSpec& t : tokens) {
    const std::string* existing = model_.Token(t.id);
    if (existing != nullptr && *existing != t.content) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": field \"added_tokens\": token \"", t.content, "\" has id ", t.id,
                                                     ", which the vocabulary gives to \"", *existing, "\""));
    }
    normalized.clear();
    if (t.normalized) Normalize(t.content, &normalized);
    added_.Add(AddedToken{t.content, t.id, t.special, t.normalized}, t.normalized ? normalized : t.content);
  }
  return absl::OkStatus();
}

void BpeTokenizer::Normalize(std::string_view in, std::string* out) const {
  out->assign(in);
  std::string tmp;
  for (const NormalizerStep& step : normalizer_) {
    switch (step.kind) {
      case NormalizerStep::Kind::kNfc:
        tmp.clear();
        AppendNfc(*out, &tmp);
        out->swap(tmp);
        break;
      case NormalizerStep::Kind::kReplace:
        absl::StrReplaceAll({{step.pattern, step.content}}, out);
        break;
      case NormalizerStep::Kind::kPrepend:
        if (!out->empty()) out->insert(0, step.content);
        break;
    }
  }
}

absl::StatusOr<std::vector<int32_t>> BpeTokenizer::Encode(std::string_view text) const {
  ECGBENCH_RETURN_IF_ERROR(ValidateUtf8(text));
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  EncodeScratch scratch;
  const auto push_token = [&out](int32_t id) { out.push_back(id); };
  const auto encode_segment = [&](std::string_view segment) { EncodeSegment(segment, scratch, &out); };
  added_.Split(
      text, /*normalized=*/false,
      [&](std::string_view gap) {
        if (normalizer_.empty()) {
          added_.Split(gap, /*normalized=*/true, encode_segment, push_token);
          return;
        }
        Normalize(gap, &scratch.normalized);
        added_.Split(scratch.normalized, /*normalized=*/true, encode_segment, push_token);
      },
      push_token);
  return out;
}

absl::StatusOr<std::string> BpeTokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::vector<DecodeToken> tokens;
  tokens.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string* t = model_.Token(ids[i]);
    if (const AddedToken* a = added_.ById(ids[i])) {
      // An added token that is also a vocabulary token decodes like one (e.g. "\u0120the" -> " the").
      if (!(skip_special && a->special)) tokens.push_back({a->content, t == nullptr});
      continue;
    }
    if (t == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("id ", ids[i], " at position ", i, " is not in the vocabulary (size ", vocab_size(), ")"));
    }
    tokens.push_back({*t, false});
  }
  std::string out;
  DecodeTokens(tokens, &out);
  return out;
}

int32_t BpeTokenizer::vocab_size() const { return std::max(model_.max_id(), added_.max_id()) + 1; }

std::optional<int32_t> BpeTokenizer::TokenToId(std::string_view token) const {
  if (auto id = added_.Find(token)) return id;
  return model_.Find(token);
}

std::optional<std::string> BpeTokenizer::IdToToken(int32_t id) const {
  if (const AddedToken* a = added_.ById(id)) return a->content;
  if (const std::string* t = model_.Token(id)) return *t;
  return std::nullopt;
}

std::vector<int32_t> BpeTokenizer::AddTokens(const std::vector<std::string>& tokens, bool special) {
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  std::string normalized;
  for (const std::string& content : tokens) {
    if (content.empty()) {
      ids.push_back(-1);
      continue;
    }
    if (auto id = added_.Find(content)) {
      ids.push_back(*id);
      continue;
    }
    const int32_t id = model_.Find(content).value_or(vocab_size());
    // HF add_tokens: special tokens are matched raw, the others after normalization.
    const bool normalized_match = !special;
    normalized.clear();
    if (normalized_match) Normalize(content, &normalized);
    added_.Add(AddedToken{content, id, special, normalized_match}, normalized_match ? normalized : content);
    ids.push_back(id);
  }
  return ids;
}

}  // namespace ecgbench::common::text
