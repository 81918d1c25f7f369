// BertScoreTokenizer (bertscore_tokenizer.h): picks the tokenizer from the folder's files and
// reproduces bert_score's sent_encode around it.
#include "worker/infer/bertscore_tokenizer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/eval/text_normalize.h"
#include "common/text/tokenizers/byte_level_bpe.h"
#include "common/text/tokenizers/tokenizer_spec.h"
#include "common/text/tokenizers/unicode.h"
#include "common/text/tokenizers/wordpiece.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace ecgbench::worker::infer {
namespace {

namespace fs = std::filesystem;
using common::text::Tokenizer;

// [token, id] of a post-processor's "cls" / "sep" entry.
absl::StatusOr<int32_t> ProcessorTokenId(const nlohmann::json& processor, const char* key, const std::string& file) {
  const nlohmann::json* entry = processor.contains(key) ? &processor[key] : nullptr;
  if (entry == nullptr || !entry->is_array() || entry->size() != 2 || !(*entry)[1].is_number_unsigned()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": field \"post_processor.", key, "\": expected [token, id]"));
  }
  return static_cast<int32_t>((*entry)[1].get<uint64_t>());
}

absl::StatusOr<int32_t> TokenIdByName(const Tokenizer& tokenizer, const char* token, const std::string& file) {
  const std::optional<int32_t> id = tokenizer.TokenToId(token);
  if (!id) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": the vocabulary has no \"", token,
                                                   "\" token (RoBERTa wraps each text as <s> ... </s>)"));
  }
  return *id;
}

// tokenizer.json with a BPE model: RoBERTa's file marks <mask> lstrip, which the tokenizer library
// does not implement; it only changes texts that contain the literal "<mask>", so it is relaxed.
absl::StatusOr<std::unique_ptr<Tokenizer>> ByteLevelFromJson(const std::string& text, const std::string& file,
                                                             int32_t* cls, int32_t* sep) {
  ECGBENCH_ASSIGN_OR_RETURN(nlohmann::json root, common::ParseJson(text, file));
  if (root.is_object() && root.contains("added_tokens") && root["added_tokens"].is_array()) {
    for (nlohmann::json& token : root["added_tokens"]) {
      for (const char* key : {"lstrip", "rstrip"}) {
        if (token.is_object() && token.contains(key) && token[key] == true) {
          spdlog::debug("{}: {} of an added token is not reproduced", file, key);
          token[key] = false;
        }
      }
    }
  }
  std::string relaxed;
  try {
    relaxed = root.dump();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", e.what()));
  }
  ECGBENCH_ASSIGN_OR_RETURN(common::text::TokenizerSpec spec, common::text::ParseTokenizerJson(relaxed, file));
  if (!spec.byte_level) {
    return absl::InvalidArgumentError(absl::StrCat(
        file, ": field \"pre_tokenizer\": BERTScore supports byte-level BPE (RoBERTa, GPT-2) and WordPiece (BERT) "
              "tokenizers, this BPE has no ByteLevel pre-tokenizer"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(auto bpe, common::text::ByteLevelBpeTokenizer::Create(std::move(spec)));
  const nlohmann::json& processor = root.contains("post_processor") ? root["post_processor"] : nlohmann::json();
  const std::string type = processor.is_object() && processor.contains("type") && processor["type"].is_string()
                               ? processor["type"].get<std::string>()
                               : "";
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    ECGBENCH_ASSIGN_OR_RETURN(*cls, ProcessorTokenId(processor, "cls", file));
    ECGBENCH_ASSIGN_OR_RETURN(*sep, ProcessorTokenId(processor, "sep", file));
  } else {
    ECGBENCH_ASSIGN_OR_RETURN(*cls, TokenIdByName(*bpe, "<s>", file));
    ECGBENCH_ASSIGN_OR_RETURN(*sep, TokenIdByName(*bpe, "</s>", file));
  }
  return std::unique_ptr<Tokenizer>(std::move(bpe));
}

// vocab.json + merges.txt, as the slow RobertaTokenizer reads them: its special tokens are never split.
absl::StatusOr<std::unique_ptr<Tokenizer>> ByteLevelFromVocab(const std::string& dir, int32_t* cls, int32_t* sep) {
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> t, common::text::LoadTokenizer(dir));
  for (const char* special : {"<s>", "<pad>", "</s>", "<unk>", "<mask>"}) {
    if (t->TokenToId(special)) t->AddTokens({special}, /*special=*/true);
  }
  const std::string file = (fs::path(dir) / "vocab.json").string();
  ECGBENCH_ASSIGN_OR_RETURN(*cls, TokenIdByName(*t, "<s>", file));
  ECGBENCH_ASSIGN_OR_RETURN(*sep, TokenIdByName(*t, "</s>", file));
  return t;
}

absl::StatusOr<std::unique_ptr<Tokenizer>> WordPiece(const std::string& dir, int32_t* cls, int32_t* sep) {
  ECGBENCH_ASSIGN_OR_RETURN(auto wp, common::text::LoadWordPieceTokenizer(dir));
  const common::text::WordPieceSpec& spec = wp->spec();
  if (spec.prefix_ids.size() != 1 || spec.suffix_ids.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.source, ": field \"post_processor\": BERTScore needs one token before and one after the text "
                     "([CLS] text [SEP]), this one adds ",
        spec.prefix_ids.size(), " and ", spec.suffix_ids.size()));
  }
  *cls = spec.prefix_ids[0];
  *sep = spec.suffix_ids[0];
  return std::unique_ptr<Tokenizer>(std::move(wp));
}

// tokenizer_config.json's model_max_length (absent: nullopt). transformers writes a huge float
// (VERY_LARGE_INTEGER) when the tokenizer has no limit.
absl::StatusOr<std::optional<double>> ModelMaxLength(const std::string& dir) {
  const std::string file = (fs::path(dir) / "tokenizer_config.json").string();
  if (!common::FileExists(file)) return std::nullopt;
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, common::ReadFile(file));
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json root, common::ParseJson(text, file));
  if (!root.is_object() || !root.contains("model_max_length") || root["model_max_length"].is_null()) {
    return std::nullopt;
  }
  if (!root["model_max_length"].is_number()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": field \"model_max_length\": must be a number"));
  }
  return root["model_max_length"].get<double>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<BertScoreTokenizer>> BertScoreTokenizer::Load(const std::string& dir,
                                                                              int64_t max_sequence_length) {
  std::unique_ptr<BertScoreTokenizer> t(new BertScoreTokenizer());
  const std::string json_file = (fs::path(dir) / "tokenizer.json").string();
  if (common::FileExists(json_file)) {
    ECGBENCH_ASSIGN_OR_RETURN(const std::string text, common::ReadFile(json_file));
    if (common::text::TokenizerJsonModelType(text) == "WordPiece") {
      ECGBENCH_ASSIGN_OR_RETURN(t->tokenizer_, WordPiece(dir, &t->cls_id_, &t->sep_id_));
    } else {
      ECGBENCH_ASSIGN_OR_RETURN(t->tokenizer_, ByteLevelFromJson(text, json_file, &t->cls_id_, &t->sep_id_));
      t->prefix_space_ = true;
    }
  } else if (common::FileExists((fs::path(dir) / "vocab.json").string()) &&
             common::FileExists((fs::path(dir) / "merges.txt").string())) {
    ECGBENCH_ASSIGN_OR_RETURN(t->tokenizer_, ByteLevelFromVocab(dir, &t->cls_id_, &t->sep_id_));
    t->prefix_space_ = true;
  } else if (common::FileExists((fs::path(dir) / "vocab.txt").string())) {
    ECGBENCH_ASSIGN_OR_RETURN(t->tokenizer_, WordPiece(dir, &t->cls_id_, &t->sep_id_));
  } else {
    return absl::NotFoundError(
        absl::StrCat(dir, ": no tokenizer.json, nor vocab.json + merges.txt, nor vocab.txt, in this directory"));
  }
  t->max_length_ = max_sequence_length;
  ECGBENCH_ASSIGN_OR_RETURN(const std::optional<double> model_max, ModelMaxLength(dir));
  if (model_max && *model_max < static_cast<double>(max_sequence_length)) {
    t->max_length_ = static_cast<int64_t>(std::floor(*model_max));
  }
  if (t->max_length_ < 2) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": the longest input is ", t->max_length_,
                                                   " tokens, BERTScore needs at least 2 (<s> and </s>)"));
  }
  return t;
}

absl::StatusOr<std::vector<int32_t>> BertScoreTokenizer::Encode(std::string_view text) const {
  ECGBENCH_RETURN_IF_ERROR(common::text::ValidateUtf8(text));
  std::vector<int32_t> out;
  const std::string_view stripped = common::eval::StripPython(text);
  if (stripped.empty()) return std::vector<int32_t>{cls_id_, sep_id_};
  std::vector<int32_t> ids;
  if (prefix_space_) {
    std::string spaced;
    spaced.reserve(stripped.size() + 1);
    spaced.append(1, ' ').append(stripped);
    ECGBENCH_ASSIGN_OR_RETURN(ids, tokenizer_->Encode(spaced));
  } else {
    ECGBENCH_ASSIGN_OR_RETURN(ids, tokenizer_->Encode(stripped));
  }
  const size_t keep = std::min(ids.size(), static_cast<size_t>(max_length_ - 2));
  out.reserve(keep + 2);
  out.push_back(cls_id_);
  out.insert(out.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(keep));
  out.push_back(sep_id_);
  return out;
}

}  // namespace ecgbench::worker::infer
