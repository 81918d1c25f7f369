// The Llama-family causal LM (LlamaForCausalLM, Qwen2ForCausalLM, Gemma2ForCausalLM) as one
// LibTorch module built from the layers in layers.h, with Hugging Face's module tree:
//   model.embed_tokens, model.layers.N.{self_attn,mlp,...}, model.norm, lm_head
// (lm_head absent with tie_word_embeddings: the logits use model.embed_tokens.weight), so
// named_parameters() are the checkpoint's tensor names.
//
// Inputs follow transformers' generate(): a 2-D attention mask over cached + new tokens (1 = real,
// 0 = padding; batches are left-padded), position ids = cumsum(mask) - 1 (padding gets 1) unless
// given. Masks: causal, padding-aware, and the sliding window on the layers the config marks
// (Gemma 2's even layers; Qwen2 with use_sliding_window). Inputs are token ids or embeddings (an
// ELM injects ECG embeddings); Gemma 2 scales either by sqrt(hidden_size), as transformers does.
//
// Errors: shape violations throw c10::Error (TORCH_CHECK) with the offending shapes; callers at
// module boundaries catch it (worker/compat). Thread-safety: not thread-safe (one model per thread,
// or external locking). Gradients flow unless the caller holds a torch::NoGradGuard.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "common/model_io/model_config.h"
#include "worker/nn/layers.h"

namespace ecgbench::worker::nn {

// Per-layer keys and values of the tokens seen so far (see LayerCache). One per generation.
class KvCache {
 public:
  explicit KvCache(int64_t num_layers) : layers_(static_cast<size_t>(num_layers)) {}
  int64_t length() const { return layers_.empty() ? 0 : layers_[0].length; }
  LayerCache& layer(int64_t i) { return layers_[static_cast<size_t>(i)]; }
  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }
  void Clear() { for (LayerCache& l : layers_) l = LayerCache(); }

 private:
  std::vector<LayerCache> layers_;
};

struct DecoderInputs {
  torch::Tensor input_ids;       // [B, L] int64; or undefined with inputs_embeds
  torch::Tensor inputs_embeds;   // [B, L, hidden]; used when input_ids is undefined
  torch::Tensor attention_mask;  // [B, cached + L], nonzero = attend; undefined: all ones
  torch::Tensor position_ids;    // [B, L]; undefined: from attention_mask
};

// Bool [B, 1, L, T] where query i (absolute index T - L + i) may attend to key j: j <= that index,
// attention_mask[b, j] != 0, and with `window` > 0 also index - j < window.
torch::Tensor AllowedAttention(const torch::Tensor& attention_mask, int64_t new_tokens, int64_t window);
// Position ids [B, L] of the last `new_tokens` columns of a [B, T] mask: cumsum - 1, padding 1.
torch::Tensor PositionIdsFromMask(const torch::Tensor& attention_mask, int64_t new_tokens);

// Hugging Face's "model" submodule (LlamaModel and kin).
class DecoderModelImpl : public torch::nn::Module {
 public:
  explicit DecoderModelImpl(const common::model_io::ModelConfig& config);
  // Final normed hidden states [B, L, hidden].
  torch::Tensor forward(const DecoderInputs& inputs, KvCache* cache);

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RmsNorm norm{nullptr};

 private:
  common::model_io::ModelConfig config_;
  std::vector<DecoderLayer> layer_modules_;
  std::vector<int64_t> windows_;  // per layer; 0 = full attention
  torch::Tensor inv_freq_;        // buffer "inv_freq" is not registered: checkpoints do not carry it
};
TORCH_MODULE(DecoderModel);

class CausalLMImpl : public torch::nn::Module {
 public:
  // REQUIRES: config.architecture is kLlama, kQwen2 or kGemma2 (CreateCausalLM checks it).
  explicit CausalLMImpl(const common::model_io::ModelConfig& config);

  // Logits [B, L, vocab] (float32 for fp32 weights). With `cache`, the new tokens' keys and values
  // are appended and attention covers the cached tokens too (attention_mask then spans both).
  torch::Tensor forward(const DecoderInputs& inputs, KvCache* cache = nullptr);
  // Hidden states -> logits (lm_head or tied embeddings; Gemma 2's final soft-capping).
  torch::Tensor Logits(const torch::Tensor& hidden);
  // The token embeddings of `ids` [B, L] (unscaled: forward applies Gemma's scale to ids and
  // embeddings alike), for building inputs_embeds that mix text and ECG embeddings.
  torch::Tensor EmbedTokens(const torch::Tensor& ids) { return model->embed_tokens(ids); }
  KvCache NewCache() const { return KvCache(config_.num_hidden_layers); }
  const common::model_io::ModelConfig& config() const { return config_; }
  void set_vocab_size(int64_t vocab_size) { config_.vocab_size = vocab_size; }  // after a resize

  DecoderModel model{nullptr};
  torch::nn::Linear lm_head{nullptr};  // null when tied

 private:
  common::model_io::ModelConfig config_;
  double final_softcap_ = 0;
};
TORCH_MODULE(CausalLM);

}  // namespace ecgbench::worker::nn
