// GPT-2 (GPT2LMHeadModel) and OPT (OPTForCausalLM) as LibTorch modules in the math of Hugging
// Face's modeling_gpt2.py / modeling_opt.py, with HF's module tree so named_parameters() are the
// checkpoint's tensor names:
//   transformer.{wte,wpe}, transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
//   mlp.c_proj}, transformer.ln_f, lm_head (GPT-2; c_* are Conv1D with weight [in, out])
//   model.decoder.{embed_tokens, embed_positions, project_in, project_out, final_layer_norm},
//   model.decoder.layers.N.{self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2,
//   final_layer_norm}, lm_head (OPT; project_in/out only when word_embed_proj_dim != hidden_size,
//   the decoder's final_layer_norm only with do_layer_norm_before)
// lm_head is null with tie_word_embeddings (the logits then use the token embeddings).
//
// Inputs follow causal_lm.h (DecoderInputs, KvCache): left padding, an attention mask over cached
// + new tokens, token ids or embeddings. Positions: GPT-2 uses PositionIdsFromMask (what
// generate() passes); OPT uses its own rule cumsum(mask) * mask - 1 (padding -1), looked up at
// row position + 2. Given position_ids are used as they are (OPT adds its offset 2). Dropout is not
// applied (ModelConfig carries no dropout rates); the math equals HF's eval mode.
//
// Errors: shape and range violations throw c10::Error (TORCH_CHECK) with the offending values;
// callers at module boundaries catch it. Thread-safety: not thread-safe (one model per thread, or
// external locking). Gradients flow unless the caller holds a torch::NoGradGuard.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "common/model_io/model_config.h"
#include "worker/nn/causal_lm.h"
#include "worker/nn/layers.h"

namespace ecgbench::worker::nn {

// transformers' Conv1D: y = x W + b with weight [in, out] (the transpose of nn.Linear's).
class Gpt2Conv1DImpl : public torch::nn::Module {
 public:
  Gpt2Conv1DImpl(int64_t in_features, int64_t out_features);
  // x W + b, then hook->Adjust(x, y, is_training()) when a hook is installed (LoRA).
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight, bias;
  std::shared_ptr<ProjectionHook> hook;  // see ProjectionHook (layers.h)
};
TORCH_MODULE(Gpt2Conv1D);

// Fused-qkv multi-head attention; scores / sqrt(head_dim) (scale_attn_weights) / (layer + 1)
// (scale_attn_by_inverse_layer_idx).
class Gpt2AttentionImpl : public torch::nn::Module {
 public:
  Gpt2AttentionImpl(const common::model_io::ModelConfig& config, int64_t layer_index);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed, LayerCache* cache);

  Gpt2Conv1D c_attn{nullptr}, c_proj{nullptr};

 private:
  int64_t heads_, head_dim_, hidden_;
  double scale_;
};
TORCH_MODULE(Gpt2Attention);

class Gpt2MlpImpl : public torch::nn::Module {
 public:
  explicit Gpt2MlpImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  Gpt2Conv1D c_fc{nullptr}, c_proj{nullptr};

 private:
  common::model_io::Activation activation_;
};
TORCH_MODULE(Gpt2Mlp);

// Pre-LN block: h = x + attn(ln_1(x)); h + mlp(ln_2(h)).
class Gpt2BlockImpl : public torch::nn::Module {
 public:
  Gpt2BlockImpl(const common::model_io::ModelConfig& config, int64_t layer_index);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed, LayerCache* cache);

  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  Gpt2Attention attn{nullptr};
  Gpt2Mlp mlp{nullptr};
};
TORCH_MODULE(Gpt2Block);

// HF's "transformer" submodule (GPT2Model). forward returns ln_f's output [B, L, hidden].
class Gpt2ModelImpl : public torch::nn::Module {
 public:
  explicit Gpt2ModelImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const DecoderInputs& inputs, KvCache* cache);

  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};

 private:
  common::model_io::ModelConfig config_;
  std::vector<Gpt2Block> blocks_;
};
TORCH_MODULE(Gpt2Model);

// OPT attention: q_proj(x) * head_dim^-0.5, then softmax(Q K^T masked) V.
class OptAttentionImpl : public torch::nn::Module {
 public:
  explicit OptAttentionImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed, LayerCache* cache);

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  std::shared_ptr<ProjectionHook> q_hook, k_hook, v_hook, out_hook;  // see ProjectionHook

 private:
  int64_t heads_, head_dim_;
  double scale_;
};
TORCH_MODULE(OptAttention);

// Pre-LN (do_layer_norm_before) or post-LN (OPT-350m) layer with a ReLU (per config) MLP.
class OptDecoderLayerImpl : public torch::nn::Module {
 public:
  explicit OptDecoderLayerImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed, LayerCache* cache);

  OptAttention self_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  std::shared_ptr<ProjectionHook> fc1_hook, fc2_hook;  // see ProjectionHook

 private:
  bool pre_norm_;
  common::model_io::Activation activation_;
};
TORCH_MODULE(OptDecoderLayer);

// HF's "model.decoder" (OPTDecoder). forward returns hidden states [B, L, word_embed_proj_dim].
class OptDecoderImpl : public torch::nn::Module {
 public:
  explicit OptDecoderImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const DecoderInputs& inputs, KvCache* cache);

  torch::nn::Embedding embed_tokens{nullptr}, embed_positions{nullptr};
  torch::nn::Linear project_in{nullptr}, project_out{nullptr};  // null when not needed
  torch::nn::LayerNorm final_layer_norm{nullptr};               // null for post-LN
  torch::nn::ModuleList layers{nullptr};

 private:
  common::model_io::ModelConfig config_;
  std::vector<OptDecoderLayer> layer_modules_;
};
TORCH_MODULE(OptDecoder);

// HF's "model" (OPTModel): only the decoder.
class OptModelImpl : public torch::nn::Module {
 public:
  explicit OptModelImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const DecoderInputs& inputs, KvCache* cache) { return decoder->forward(inputs, cache); }

  OptDecoder decoder{nullptr};
};
TORCH_MODULE(OptModel);

// The causal LMs expose CausalLM's surface: forward (logits [B, L, vocab]), Logits, EmbedTokens
// (the inputs_embeds width is embedding_dim(): hidden_size, OPT's word_embed_proj_dim), NewCache.
// REQUIRES: config.architecture is kGpt2 / kOpt respectively (CreateGpt2 / CreateOpt check it).
class Gpt2LMHeadModelImpl : public torch::nn::Module {
 public:
  explicit Gpt2LMHeadModelImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const DecoderInputs& inputs, KvCache* cache = nullptr);
  torch::Tensor Logits(const torch::Tensor& hidden);
  torch::Tensor EmbedTokens(const torch::Tensor& ids) { return transformer->wte(ids); }
  KvCache NewCache() const { return KvCache(config_.num_hidden_layers); }
  int64_t embedding_dim() const { return config_.hidden_size; }
  const common::model_io::ModelConfig& config() const { return config_; }
  void set_vocab_size(int64_t vocab_size) { config_.vocab_size = vocab_size; }  // after a resize

  Gpt2Model transformer{nullptr};
  torch::nn::Linear lm_head{nullptr};  // null when tied

 private:
  common::model_io::ModelConfig config_;
};
TORCH_MODULE(Gpt2LMHeadModel);

class OptForCausalLMImpl : public torch::nn::Module {
 public:
  explicit OptForCausalLMImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const DecoderInputs& inputs, KvCache* cache = nullptr);
  torch::Tensor Logits(const torch::Tensor& hidden);
  torch::Tensor EmbedTokens(const torch::Tensor& ids) { return model->decoder->embed_tokens(ids); }
  KvCache NewCache() const { return KvCache(config_.num_hidden_layers); }
  int64_t embedding_dim() const { return config_.opt()->word_embed_proj_dim; }
  const common::model_io::ModelConfig& config() const { return config_; }
  void set_vocab_size(int64_t vocab_size) { config_.vocab_size = vocab_size; }  // after a resize

  OptModel model{nullptr};
  torch::nn::Linear lm_head{nullptr};  // null when tied

 private:
  common::model_io::ModelConfig config_;
};
TORCH_MODULE(OptForCausalLM);

// OPT's default positions for the last `new_tokens` columns of a [B, T] mask:
// cumsum(mask) * mask - 1 (padding -1), before the offset 2.
torch::Tensor OptPositionsFromMask(const torch::Tensor& attention_mask, int64_t new_tokens);

}  // namespace ecgbench::worker::nn
