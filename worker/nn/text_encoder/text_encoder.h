// The frozen text encoder of MERL pretraining: a BERT model (HF BertModel, e.g.
// ncbi/MedCPT-Query-Encoder) with its WordPiece tokenizer, turning report texts into
// pooler_output vectors [B, hidden_size]. BertModel (bert_model.h) is the LibTorch module with
// Hugging Face parameter names; TextEncoder bundles it with the tokenizer and runs it frozen:
// eval mode, requires_grad false on every parameter, no autograd graph (NoGradGuard).
//
// Checkpoint folder: config.json (model_type "bert"), model.safetensors or a sharded index (names
// with or without the "bert." prefix; the MLM/NSP heads cls.* and position_ids buffers are
// ignored), and tokenizer.json (WordPiece) or vocab.txt (+ tokenizer_config.json).
// Errors are absl::Status naming the file, the field or tensor and the reason.
// Thread-safety: Tokenize is const and thread-safe (the tokenizer is immutable), so a data loader
// thread may tokenize while another thread runs the model; everything else must not run
// concurrently on one instance (LibTorch modules are not thread-safe).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model_io/dtype.h"
#include "common/text/tokenizers/wordpiece.h"
#include "worker/nn/text_encoder/bert_model.h"

namespace ecgbench::worker::nn {

// Token ids of a batch of texts: [CLS] text [SEP], truncated to max_length (HF truncation=True),
// padded on the right with the tokenizer's pad id to the longest row. CPU int64 tensors [B, T];
// attention_mask is 1 on real tokens, 0 on padding.
struct TextBatch {
  torch::Tensor input_ids;
  torch::Tensor attention_mask;
};

class TextEncoder {
 public:
  // MERL upstream tokenizes the report with max_length 64 (BERT's own limit is 512).
  static constexpr int64_t kMerlMaxLength = 64;

  // Loads `dir` (see above), float32 on CPU, frozen.
  static absl::StatusOr<std::unique_ptr<TextEncoder>> Load(const std::string& dir);
  // A model with LibTorch's default init (call RandomInit for seeded weights) and `tokenizer`,
  // frozen. InvalidArgument when the config is invalid or the tokenizer's vocabulary is larger
  // than config.vocab_size.
  static absl::StatusOr<std::unique_ptr<TextEncoder>> Create(
      const BertConfig& config, std::unique_ptr<common::text::WordPieceTokenizer> tokenizer);

  // InvalidArgument for texts that are not valid UTF-8 (naming the row and byte), an empty batch,
  // or max_length < 2 or above config.max_position_embeddings.
  absl::StatusOr<TextBatch> Tokenize(const std::vector<std::string>& texts, int64_t max_length) const;

  // Tokenize + Forward: pooler_output [B, hidden_size], float32, on the model's device.
  absl::StatusOr<torch::Tensor> Encode(const std::vector<std::string>& texts, int64_t max_length);
  // pooler_output and last_hidden_state of a tokenized batch (moved to the model's device).
  BertOutput Forward(const TextBatch& batch);

  void To(const torch::Device& device);
  torch::Device device() const;

  const BertConfig& config() const { return model_->config(); }
  int64_t hidden_size() const { return model_->config().hidden_size; }
  BertModel& model() { return *model_; }
  const common::text::WordPieceTokenizer& tokenizer() const { return *tokenizer_; }

  // Seeded random weights (tests, benchmarks): every tensor ~ N(0, stddev^2), LayerNorm weights
  // 1 + N(0, stddev^2). Same seed, same weights.
  void RandomInit(uint64_t seed, double stddev);
  // Writes `dir`/config.json, model.safetensors (HF BertModel names, no prefix, stored as
  // `dtype`), vocab.txt and tokenizer_config.json, each atomically; creates `dir`.
  absl::Status Save(const std::string& dir, common::model_io::DType dtype = common::model_io::DType::kF32) const;

 private:
  TextEncoder(std::shared_ptr<BertModel> model, std::unique_ptr<common::text::WordPieceTokenizer> tokenizer);
  void Freeze();

  std::shared_ptr<BertModel> model_;
  std::unique_ptr<common::text::WordPieceTokenizer> tokenizer_;
};

}  // namespace ecgbench::worker::nn
