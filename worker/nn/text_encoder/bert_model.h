// BertModel in LibTorch with Hugging Face's parameter names (embeddings.word_embeddings.weight,
// encoder.layer.N.attention.self.query.weight, ..., pooler.dense.weight), so checkpoints load by
// name and named_parameters() match transformers' BertModel.state_dict(). Post-LayerNorm encoder,
// absolute learned positions, token types, GELU (erf) feed-forward, additive attention mask,
// pooler_output = tanh(pooler.dense(last_hidden_state[:, 0])). No dropout (inference only).
// Bad input throws c10::Error (TORCH_CHECK) naming the expected and given shapes; the I/O
// functions return absl::Status. Thread-safety: a module instance is not thread-safe.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/model_io/checkpoint.h"
#include "common/model_io/dtype.h"
#include "worker/nn/text_encoder/bert_config.h"

namespace ecgbench::worker::nn {

struct BertOutput {
  torch::Tensor last_hidden_state;  // [B, T, hidden_size]
  torch::Tensor pooler_output;      // [B, hidden_size]
};

class BertModel : public torch::nn::Module {
 public:
  // Validates nothing: pass a config checked by ValidateBertConfig. Float32 on CPU, LibTorch's
  // default init.
  explicit BertModel(const BertConfig& config);

  // input_ids int64 [B, T] (T <= max_position_embeddings, ids < vocab_size); attention_mask
  // [B, T] (1 real, 0 padding; undefined = all real); token_type_ids [B, T] (undefined = zeros).
  BertOutput Forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {},
                     const torch::Tensor& token_type_ids = {});

  const BertConfig& config() const { return config_; }

 private:
  struct Layer {
    torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, attn_out{nullptr};
    torch::nn::LayerNorm attn_norm{nullptr};
    torch::nn::Linear intermediate{nullptr}, output{nullptr};
    torch::nn::LayerNorm output_norm{nullptr};
  };
  torch::Tensor LayerForward(Layer& layer, const torch::Tensor& h, const torch::Tensor& bias);

  BertConfig config_;
  torch::nn::Embedding word_embeddings_{nullptr}, position_embeddings_{nullptr}, token_type_embeddings_{nullptr};
  torch::nn::LayerNorm embeddings_norm_{nullptr};
  std::vector<Layer> layers_;
  torch::nn::Linear pooler_{nullptr};
};

// Copies `checkpoint`'s tensors into `model`. Names may carry the "bert." prefix
// (BertForPreTraining / BertForMaskedLM checkpoints); cls.* heads and *.position_ids buffers are
// skipped. Every parameter must be present with its exact shape; any other tensor is an error.
// Errors (InvalidArgument) name the checkpoint, the tensor and both shapes.
absl::Status LoadBertWeights(BertModel& model, const common::model_io::Checkpoint& checkpoint);
// `dir`/config.json and its weights, float32 on CPU, in eval mode.
absl::StatusOr<std::shared_ptr<BertModel>> LoadBertModel(const std::string& dir);
// Writes `dir`/model.safetensors (BertModel names, no prefix, tensors stored as `dtype`: F32, F16
// or BF16) and `dir`/config.json, each atomically; creates `dir`.
absl::Status SaveBertModel(BertModel& model, const std::string& dir,
                           common::model_io::DType dtype = common::model_io::DType::kF32);
// Every tensor ~ N(0, stddev^2), LayerNorm weights 1 + N(0, stddev^2); same seed, same weights.
void RandomInitBert(BertModel& model, uint64_t seed, double stddev);

}  // namespace ecgbench::worker::nn
