// TextEncoder: the frozen BERT + WordPiece pair of MERL pretraining (see text_encoder.h).
#include "worker/nn/text_encoder/text_encoder.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker::nn {

using common::text::WordPieceTokenizer;

TextEncoder::TextEncoder(std::shared_ptr<BertModel> model, std::unique_ptr<WordPieceTokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {
  Freeze();
}

void TextEncoder::Freeze() {
  model_->eval();
  for (auto& p : model_->parameters()) p.set_requires_grad(false);
}

absl::StatusOr<std::unique_ptr<TextEncoder>> TextEncoder::Create(const BertConfig& config,
                                                                 std::unique_ptr<WordPieceTokenizer> tokenizer) {
  ECGBENCH_RETURN_IF_ERROR(ValidateBertConfig(config));
  if (tokenizer == nullptr) return absl::InvalidArgumentError("TextEncoder::Create: no tokenizer");
  if (tokenizer->vocab_size() > config.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat("the tokenizer's vocabulary (", tokenizer->vocab_size(),
                                                   " tokens) is larger than the model's vocab_size ",
                                                   config.vocab_size));
  }
  return std::unique_ptr<TextEncoder>(new TextEncoder(std::make_shared<BertModel>(config), std::move(tokenizer)));
}

absl::StatusOr<std::unique_ptr<TextEncoder>> TextEncoder::Load(const std::string& dir) {
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<WordPieceTokenizer> tokenizer, common::text::LoadWordPieceTokenizer(dir));
  ECGBENCH_ASSIGN_OR_RETURN(std::shared_ptr<BertModel> model, LoadBertModel(dir));
  if (tokenizer->vocab_size() > model->config().vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": the tokenizer's vocabulary (", tokenizer->vocab_size(),
                                                   " tokens) is larger than config.json's vocab_size ",
                                                   model->config().vocab_size));
  }
  return std::unique_ptr<TextEncoder>(new TextEncoder(std::move(model), std::move(tokenizer)));
}

absl::StatusOr<TextBatch> TextEncoder::Tokenize(const std::vector<std::string>& texts, int64_t max_length) const {
  if (texts.empty()) return absl::InvalidArgumentError("TextEncoder::Tokenize: empty batch");
  const int64_t lowest = std::max<int64_t>(1, static_cast<int64_t>(tokenizer_->num_special_tokens_to_add()));
  if (max_length < lowest || max_length > config().max_position_embeddings) {
    return absl::InvalidArgumentError(absl::StrCat("TextEncoder::Tokenize: max_length ", max_length, " is outside [",
                                                   lowest, ", ", config().max_position_embeddings,
                                                   "] (max_position_embeddings)"));
  }
  std::vector<std::vector<int32_t>> rows(texts.size());
  size_t longest = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    absl::StatusOr<std::vector<int32_t>> ids = tokenizer_->EncodeForModel(texts[i], max_length);
    if (!ids.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("TextEncoder::Tokenize: text ", i, ": ", ids.status().message()));
    }
    rows[i] = *std::move(ids);
    longest = std::max(longest, rows[i].size());
  }
  longest = std::max<size_t>(longest, 1);
  const auto b = static_cast<int64_t>(texts.size()), t = static_cast<int64_t>(longest);
  TextBatch batch{torch::full({b, t}, static_cast<int64_t>(tokenizer_->pad_id()), torch::kLong),
                  torch::zeros({b, t}, torch::kLong)};
  auto ids = batch.input_ids.accessor<int64_t, 2>();
  auto mask = batch.attention_mask.accessor<int64_t, 2>();
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size(); ++j) {
      ids[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = rows[i][j];
      mask[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = 1;
    }
  }
  return batch;
}

BertOutput TextEncoder::Forward(const TextBatch& batch) {
  torch::NoGradGuard no_grad;
  return model_->Forward(batch.input_ids, batch.attention_mask);
}

absl::StatusOr<torch::Tensor> TextEncoder::Encode(const std::vector<std::string>& texts, int64_t max_length) {
  ECGBENCH_ASSIGN_OR_RETURN(const TextBatch batch, Tokenize(texts, max_length));
  return Forward(batch).pooler_output;
}

void TextEncoder::To(const torch::Device& device) { model_->to(device); }

torch::Device TextEncoder::device() const { return model_->parameters().front().device(); }

void TextEncoder::RandomInit(uint64_t seed, double stddev) { RandomInitBert(*model_, seed, stddev); }

absl::Status TextEncoder::Save(const std::string& dir, common::model_io::DType dtype) const {
  ECGBENCH_ASSIGN_OR_RETURN(const std::string vocab, tokenizer_->VocabTxt());
  ECGBENCH_ASSIGN_OR_RETURN(const std::string tokenizer_config, tokenizer_->TokenizerConfigJson());
  ECGBENCH_RETURN_IF_ERROR(SaveBertModel(*model_, dir, dtype));
  const std::filesystem::path base(dir);
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic((base / "vocab.txt").string(), vocab));
  return common::WriteFileAtomic((base / "tokenizer_config.json").string(), tokenizer_config);
}

}  // namespace ecgbench::worker::nn
