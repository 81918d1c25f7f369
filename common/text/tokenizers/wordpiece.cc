// WordPiece encode/decode, post-processing and vocab.txt export (wordpiece.h).
#include "common/text/tokenizers/wordpiece.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::text {

namespace {

// HF tokenizers' WordPiece decoder cleanup, applied to each token after the space is added.
void CleanupInto(std::string_view token, std::string* out) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},   {" ?", "?"},           {" !", "!"},   {" ,", ","},     {" ' ", "'"},   {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string s(token), next;
  for (const auto& [from, to] : kRules) {
    if (s.find(from) == std::string::npos) continue;
    next.clear();
    for (size_t pos = 0;;) {
      const size_t hit = s.find(from, pos);
      if (hit == std::string::npos) {
        next.append(s, pos, std::string::npos);
        break;
      }
      next.append(s, pos, hit - pos);
      next.append(to);
      pos = hit + from.size();
    }
    s.swap(next);
  }
  out->append(s);
}

}  // namespace

absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> WordPieceTokenizer::Create(WordPieceSpec spec) {
  const std::string source = spec.source;
  std::unique_ptr<WordPieceTokenizer> t(new WordPieceTokenizer(std::move(spec)));
  const WordPieceSpec& s = t->spec_;
  if (s.max_input_chars_per_word < 1) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": field \"model.max_input_chars_per_word\": must be >= 1"));
  }
  t->token_to_id_.reserve(s.vocab.size());
  for (const auto& [token, id] : s.vocab) {
    if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": field \"model.vocab\": empty token"));
    if (static_cast<size_t>(id) >= s.vocab.size()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": field \"model.vocab\": token \"", token, "\" has id ",
                                                     id, ", outside [0, ", s.vocab.size(), ") (ids must be dense)"));
    }
    if (!t->token_to_id_.emplace(token, id).second) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": field \"model.vocab\": token \"", token, "\" twice"));
    }
    if (static_cast<size_t>(id) >= t->id_to_token_.size()) t->id_to_token_.resize(static_cast<size_t>(id) + 1);
    if (!t->id_to_token_[static_cast<size_t>(id)].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": field \"model.vocab\": id ", id, " given to \"",
                                                     t->id_to_token_[static_cast<size_t>(id)], "\" and \"", token,
                                                     "\""));
    }
    t->id_to_token_[static_cast<size_t>(id)] = token;
    t->max_token_bytes_ = std::max(t->max_token_bytes_, token.size());
  }
  auto unk = t->token_to_id_.find(s.unk_token);
  if (unk == t->token_to_id_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": field \"model.unk_token\": \"", s.unk_token, "\" is not in the vocabulary"));
  }
  t->unk_id_ = unk->second;
  std::string normalized;
  for (const AddedTokenSpec& a : s.added_tokens) {
    const std::string* existing = t->id_to_token_.size() > static_cast<size_t>(a.id) ? &t->id_to_token_[a.id] : nullptr;
    if (existing != nullptr && !existing->empty() && *existing != a.content) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": field \"added_tokens\": token \"", a.content,
                                                     "\" has id ", a.id, ", which the vocabulary gives to \"",
                                                     *existing, "\""));
    }
    normalized.clear();
    if (a.normalized) t->NormalizeInto(a.content, &normalized);
    t->added_.Add(AddedToken{a.content, a.id, a.special, a.normalized}, a.normalized ? normalized : a.content);
  }
  for (const std::vector<int32_t>* ids : {&s.prefix_ids, &s.suffix_ids}) {
    for (int32_t id : *ids) {
      if (!t->IdToToken(id)) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": field \"post_processor\": special token id ", id, " is not in the vocabulary"));
      }
    }
  }
  t->pad_id_ = t->TokenToId(s.pad_token).value_or(0);
  return t;
}

void WordPieceTokenizer::NormalizeInto(std::string_view text, std::string* out) const {
  if (spec_.normalizer) {
    BertNormalize(*spec_.normalizer, text, out);
  } else {
    out->append(text);
  }
}

void WordPieceTokenizer::EncodeWord(std::string_view word, std::vector<int32_t>* out) const {
  size_t chars = 0;
  for (unsigned char c : word) chars += (c & 0xC0) != 0x80;
  if (chars > static_cast<size_t>(spec_.max_input_chars_per_word)) {
    out->push_back(unk_id_);
    return;
  }
  const size_t first = out->size();
  std::string candidate;
  for (size_t start = 0; start < word.size();) {
    const std::string_view prefix = start > 0 ? std::string_view(spec_.continuing_subword_prefix) : std::string_view();
    // Longest piece first; no vocabulary token is longer than max_token_bytes_.
    size_t end =
        std::min(word.size(), start + (max_token_bytes_ > prefix.size() ? max_token_bytes_ - prefix.size() : 0));
    while (end < word.size() && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
    int32_t found = -1;
    while (end > start) {
      candidate.assign(prefix);
      candidate.append(word.substr(start, end - start));
      if (auto it = token_to_id_.find(candidate); it != token_to_id_.end()) {
        found = it->second;
        break;
      }
      do {
        --end;
      } while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
    }
    if (found < 0) {
      out->resize(first);
      out->push_back(unk_id_);
      return;
    }
    out->push_back(found);
    start = end;
  }
}

void WordPieceTokenizer::EncodeSegment(std::string_view normalized, std::vector<int32_t>* out) const {
  if (!spec_.bert_pre_tokenizer) {
    if (!normalized.empty()) EncodeWord(normalized, out);
    return;
  }
  std::vector<std::pair<uint32_t, uint32_t>> words;
  BertPreTokenize(normalized, &words);
  for (const auto& [b, e] : words) EncodeWord(normalized.substr(b, e - b), out);
}

absl::StatusOr<std::vector<int32_t>> WordPieceTokenizer::Encode(std::string_view text) const {
  ECGBENCH_RETURN_IF_ERROR(ValidateUtf8(text));
  std::vector<int32_t> out;
  out.reserve(text.size() / 4 + 4);
  std::string normalized;
  const auto push_token = [&out](int32_t id) { out.push_back(id); };
  const auto encode_segment = [&](std::string_view segment) { EncodeSegment(segment, &out); };
  added_.Split(
      text, /*normalized=*/false,
      [&](std::string_view gap) {
        normalized.clear();
        NormalizeInto(gap, &normalized);
        added_.Split(normalized, /*normalized=*/true, encode_segment, push_token);
      },
      push_token);
  return out;
}

absl::StatusOr<std::vector<int32_t>> WordPieceTokenizer::EncodeForModel(std::string_view text,
                                                                        int64_t max_length) const {
  const auto specials = static_cast<int64_t>(num_special_tokens_to_add());
  if (max_length < specials) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_length ", max_length, " is below the ", specials, " special tokens the post-processor adds"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(std::vector<int32_t> ids, Encode(text));
  if (static_cast<int64_t>(ids.size()) > max_length - specials) ids.resize(static_cast<size_t>(max_length - specials));
  std::vector<int32_t> out;
  out.reserve(ids.size() + static_cast<size_t>(specials));
  out.insert(out.end(), spec_.prefix_ids.begin(), spec_.prefix_ids.end());
  out.insert(out.end(), ids.begin(), ids.end());
  out.insert(out.end(), spec_.suffix_ids.begin(), spec_.suffix_ids.end());
  return out;
}

absl::StatusOr<std::string> WordPieceTokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string out, piece;
  bool first = true;
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string_view token;
    if (const AddedToken* a = added_.ById(ids[i])) {
      if (skip_special && a->special) continue;
      token = a->content;
    } else if (ids[i] >= 0 && static_cast<size_t>(ids[i]) < id_to_token_.size() && !id_to_token_[ids[i]].empty()) {
      token = id_to_token_[static_cast<size_t>(ids[i])];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("id ", ids[i], " at position ", i, " is not in the vocabulary (size ", vocab_size(), ")"));
    }
    if (!spec_.wordpiece_decoder) {
      if (!first) out.push_back(' ');
      out.append(token);
      first = false;
      continue;
    }
    piece.clear();
    if (!first) {
      if (token.substr(0, spec_.decoder_prefix.size()) == spec_.decoder_prefix) {
        token.remove_prefix(spec_.decoder_prefix.size());
      } else {
        piece.push_back(' ');
      }
    }
    piece.append(token);
    first = false;
    if (spec_.decoder_cleanup) {
      CleanupInto(piece, &out);
    } else {
      out.append(piece);
    }
  }
  return out;
}

int32_t WordPieceTokenizer::vocab_size() const {
  return std::max(static_cast<int32_t>(id_to_token_.size()) - 1, added_.max_id()) + 1;
}

std::optional<int32_t> WordPieceTokenizer::TokenToId(std::string_view token) const {
  if (auto id = added_.Find(token)) return id;
  if (auto it = token_to_id_.find(std::string(token)); it != token_to_id_.end()) return it->second;
  return std::nullopt;
}

std::optional<std::string> WordPieceTokenizer::IdToToken(int32_t id) const {
  if (const AddedToken* a = added_.ById(id)) return a->content;
  if (id >= 0 && static_cast<size_t>(id) < id_to_token_.size() && !id_to_token_[static_cast<size_t>(id)].empty()) {
    return id_to_token_[static_cast<size_t>(id)];
  }
  return std::nullopt;
}

std::vector<int32_t> WordPieceTokenizer::AddTokens(const std::vector<std::string>& tokens, bool special) {
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
    auto it = token_to_id_.find(content);
    const int32_t id = it != token_to_id_.end() ? it->second : vocab_size();
    // HF add_tokens: special tokens are matched raw, the others after normalization.
    normalized.clear();
    if (!special) NormalizeInto(content, &normalized);
    added_.Add(AddedToken{content, id, special, !special}, special ? content : normalized);
    ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<std::string> WordPieceTokenizer::VocabTxt() const {
  std::string out;
  for (int32_t id = 0; id < vocab_size(); ++id) {
    const std::optional<std::string> token = IdToToken(id);
    if (!token)
      return absl::FailedPreconditionError(absl::StrCat(spec_.source, ": id ", id, " has no token (ids have holes)"));
    if (token->find('\n') != std::string::npos) {
      return absl::FailedPreconditionError(absl::StrCat(spec_.source, ": token ", id, " holds a newline"));
    }
    absl::StrAppend(&out, *token, "\n");
  }
  return out;
}

absl::StatusOr<std::string> WordPieceTokenizer::TokenizerConfigJson() const {
  const auto fail = [&](const char* why) {
    return absl::FailedPreconditionError(
        absl::StrCat(spec_.source, ": cannot be written as vocab.txt + tokenizer_config.json: ", why));
  };
  if (!spec_.normalizer || !spec_.normalizer->clean_text)
    return fail("the normalizer is not a BertNormalizer with clean_text");
  if (!spec_.bert_pre_tokenizer) return fail("no BertPreTokenizer");
  if (spec_.max_input_chars_per_word != 100 || spec_.continuing_subword_prefix != "##") {
    return fail("max_input_chars_per_word is not 100 or the subword prefix is not ##");
  }
  if (!spec_.wordpiece_decoder || spec_.decoder_prefix != "##" || !spec_.decoder_cleanup)
    return fail("the decoder is not WordPiece(##, cleanup)");
  if (spec_.prefix_ids.size() != 1 || spec_.suffix_ids.size() != 1)
    return fail("the post-processor is not [CLS] $A [SEP]");
  nlohmann::json j = nlohmann::json::object();
  j["tokenizer_class"] = "BertTokenizer";
  j["do_lower_case"] = spec_.normalizer->lowercase;
  j["tokenize_chinese_chars"] = spec_.normalizer->handle_chinese_chars;
  j["strip_accents"] =
      spec_.normalizer->strip_accents ? nlohmann::json(*spec_.normalizer->strip_accents) : nlohmann::json();
  j["unk_token"] = spec_.unk_token;
  j["cls_token"] = *IdToToken(spec_.prefix_ids[0]);
  j["sep_token"] = *IdToToken(spec_.suffix_ids[0]);
  j["pad_token"] = spec_.pad_token;
  if (TokenToId("[MASK]")) j["mask_token"] = "[MASK]";
  return j.dump(2) + "\n";
}

absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> LoadWordPieceTokenizer(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string file = path;
  if (fs::is_directory(path, ec)) {
    const std::string json = (fs::path(path) / "tokenizer.json").string(),
                      vocab = (fs::path(path) / "vocab.txt").string();
    if (FileExists(json)) {
      file = json;
    } else if (FileExists(vocab)) {
      file = vocab;
    } else {
      return absl::NotFoundError(absl::StrCat(path, ": no tokenizer.json, nor vocab.txt, in this directory"));
    }
  }
  if (!FileExists(file)) return absl::NotFoundError(absl::StrCat(file, ": no such file or directory"));
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, ReadFile(file));
  if (absl::EndsWith(file, ".txt")) {
    const std::string config = (fs::path(file).parent_path() / "tokenizer_config.json").string();
    std::string config_text;
    if (FileExists(config)) {
      ECGBENCH_ASSIGN_OR_RETURN(config_text, ReadFile(config));
    }
    ECGBENCH_ASSIGN_OR_RETURN(WordPieceSpec spec, ParseBertVocabTxt(text, file, config_text, config));
    return WordPieceTokenizer::Create(std::move(spec));
  }
  const std::optional<std::string> type = TokenizerJsonModelType(text);
  if (type && *type != "WordPiece") {
    return absl::InvalidArgumentError(absl::StrCat(file, ": field \"model.type\": ", *type, " is not WordPiece"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(WordPieceSpec spec, ParseWordPieceTokenizerJson(text, file));
  return WordPieceTokenizer::Create(std::move(spec));
}

}  // namespace ecgbench::common::text
