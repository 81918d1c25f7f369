// BertModel in LibTorch with Hugging Face's parameter names (embeddings.word_embeddings.weight,
// encoder.layer.N.attention.self.query.weight, ..., pooler.dense.weight), so checkpoints load by
// name and named_parameters() match transformers' BertModel.state_dict(). Post-LayerNorm encoder,
// absolute learned positions, token types, GELU (erf) feed-forward, additive attention mask,
// pooler_output = tanh(pooler.dense(last_hidden_state[:, 0])). No dropout (inference only).
// RoBERTa (config.family kRoberta, HF RobertaModel) is the same module with position ids counted
// from pad_token_id + 1 over the non-pad tokens; its checkpoints carry the "roberta." prefix and an
// lm_head.* (ignored) and, for RobertaForMaskedLM ones like roberta-large, no pooler (build the
// model without one). HiddenState gives the output of any layer (BERTScore's representation).
// Bad input throws c10::Error (TORCH_CHECK) naming the expected and given shapes; the I/O
// functions return absl::Status. Thread-safety: a module instance is not thread-safe.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

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
  // default init. Without the pooling layer (HF add_pooling_layer=False) there are no pooler.*
  // parameters and Forward's pooler_output is undefined.
  explicit BertModel(const BertConfig& config, bool add_pooling_layer = true);

  // input_ids int64 [B, T] (T <= config.max_sequence_length(), ids < vocab_size); attention_mask
  // [B, T] (1 real, 0 padding; undefined = all real); token_type_ids [B, T] (undefined = zeros).
  BertOutput Forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {},
                     const torch::Tensor& token_type_ids = {});
  // The hidden states after encoder layer `layer` [B, T, hidden_size] (0: the embeddings' output;
  // num_hidden_layers: last_hidden_state, as HF's output_hidden_states[layer]); runs only the
  // first `layer` layers. Token types zero. REQUIRES 0 <= layer <= num_hidden_layers (TORCH_CHECK).
  torch::Tensor HiddenState(const torch::Tensor& input_ids, const torch::Tensor& attention_mask, int64_t layer);

  const BertConfig& config() const { return config_; }
  bool has_pooler() const { return !pooler_.is_empty(); }

 private:
  struct Layer {
    torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, attn_out{nullptr};
    torch::nn::LayerNorm attn_norm{nullptr};
    torch::nn::Linear intermediate{nullptr}, output{nullptr};
    torch::nn::LayerNorm output_norm{nullptr};
  };
  torch::Tensor LayerForward(Layer& layer, const torch::Tensor& h, const torch::Tensor& bias);
  // Checks the inputs; returns the embeddings' output and the additive attention bias (undefined
  // without a mask).
  std::pair<torch::Tensor, torch::Tensor> Embed(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                                const torch::Tensor& token_type_ids);

  BertConfig config_;
  torch::nn::Embedding word_embeddings_{nullptr}, position_embeddings_{nullptr}, token_type_embeddings_{nullptr};
  torch::nn::LayerNorm embeddings_norm_{nullptr};
  std::vector<Layer> layers_;
  torch::nn::Linear pooler_{nullptr};
};

// Copies `checkpoint`'s tensors into `model`. Names may carry the "bert." or "roberta." prefix
// (BertForPreTraining / BertForMaskedLM / RobertaForMaskedLM checkpoints); cls.* and lm_head.*
// heads and *.position_ids buffers are skipped, and so are pooler.* when the model has no pooler
// and, with `skip_later_layers`, encoder.layer.N.* for N >= the model's num_hidden_layers (a model
// truncated like bert_score's). Every parameter must be present with its exact shape; any other
// tensor is an error. Errors (InvalidArgument) name the checkpoint, the tensor and both shapes.
absl::Status LoadBertWeights(BertModel& model, const common::model_io::Checkpoint& checkpoint,
                             bool skip_later_layers = false);
// `dir`/config.json (model_type "bert") and its weights, float32 on CPU, in eval mode.
absl::StatusOr<std::shared_ptr<BertModel>> LoadBertModel(const std::string& dir);

struct BertLoadOptions {
  bool add_pooling_layer = true;  // false: no pooler; the checkpoint's pooler.* (if any) skipped
  int64_t num_layers = -1;        // >= 0: keep the first num_layers layers (<= num_hidden_layers)
};
// `dir`/config.json (model_type "bert" or "roberta") and its weights, float32 on CPU, eval mode.
// InvalidArgument when options.num_layers exceeds config.json's num_hidden_layers.
absl::StatusOr<std::shared_ptr<BertModel>> LoadBertFamilyModel(const std::string& dir, const BertLoadOptions& options);
// Writes `dir`/model.safetensors (BertModel names, no prefix, tensors stored as `dtype`: F32, F16
// or BF16) and `dir`/config.json, each atomically; creates `dir`.
absl::Status SaveBertModel(BertModel& model, const std::string& dir,
                           common::model_io::DType dtype = common::model_io::DType::kF32);
// Every tensor ~ N(0, stddev^2), LayerNorm weights 1 + N(0, stddev^2); same seed, same weights.
void RandomInitBert(BertModel& model, uint64_t seed, double stddev);

}  // namespace ecgbench::worker::nn
