// Layers of the Llama-family decoders (Llama 3.x, Qwen2/2.5, Gemma 2) as LibTorch modules, in the
// math of Hugging Face's modeling_llama.py / modeling_qwen2.py / modeling_gemma2.py. Children are
// registered under Hugging Face's names (self_attn.q_proj, mlp.gate_proj, input_layernorm, ...) so
// that named_parameters() are the checkpoint's tensor names and PEFT's module paths.
//
// Shapes: hidden states [B, L, hidden]; per-head tensors [B, heads, L, head_dim]. Attention masks
// (`mask` below) cover T = cached + new tokens and take one of three forms:
//   bool [B, 1, L, T]          true where query i may attend to key j (AllowedAttention, causal_lm.h);
//   float [B or 1, 1, L, T]    additive: 0 where allowed, the float32 minimum where not (built once
//                              per forward by DecoderModel, so the layers skip the conversion);
//   undefined                  no masking (every query sees every key: a single decode query).
// Masked scores get the float32 minimum (not -inf, as transformers does), so a fully masked row (a
// left-padding query) yields finite, ignored values instead of NaN.
// Thread-safety: a module instance is not thread-safe (LibTorch modules are not).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "common/model_io/model_config.h"

namespace ecgbench::worker::nn {

// RMSNorm in float32: x * rsqrt(mean(x^2) + eps) * w, or * (1 + w) for Gemma (offset_one; its
// weights are stored as offsets from one, initialised to zero).
class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(int64_t dim, double eps, bool offset_one);
  torch::Tensor forward(const torch::Tensor& x);
  bool offset_one() const { return offset_one_; }

  torch::Tensor weight;

 private:
  double eps_;
  bool offset_one_;
};
TORCH_MODULE(RmsNorm);

// RoPE inverse frequencies [head_dim / 2] (float32) as transformers' ROPE_INIT_FUNCTIONS compute
// them: default, "linear" (divided by factor) and "llama3" (low/high frequency bands, smooth band).
torch::Tensor RopeInverseFrequencies(const common::model_io::RopeConfig& rope, int64_t head_dim);
// cos and sin [B, 1, L, head_dim] for position ids [B, L] (cat(freqs, freqs), rotate_half layout).
std::pair<torch::Tensor, torch::Tensor> RopeCosSin(const torch::Tensor& inv_freq, const torch::Tensor& position_ids);
// x * cos + rotate_half(x) * sin for x [B, H, L, head_dim].
torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// x weight^T + bias (bias may be undefined), as torch::nn::functional::linear. When no gradient is
// recorded and x is one row (a batch-1 decode step), the output features are split over the
// intra-op threads, one BLAS call each: BLAS runs a one-row product (GEMV) on a single thread, and
// such a step is bound by reading the weights, which two cores read faster than one. Same values
// up to float rounding.
torch::Tensor FastLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// One layer's cached keys and values, [B, kv_heads, capacity, head_dim]; the first `length`
// positions are valid. Grows by doubling, so a decode step copies only the new token.
struct LayerCache {
  torch::Tensor key;
  torch::Tensor value;
  int64_t length = 0;

  // Appends this step's keys and values [B, H, L, D] and sets *k, *v to all of them (cached +
  // new, views into the buffers); capacity doubles, so a decode step copies only the new tokens.
  // Throws c10::Error when batch or head count change between steps.
  void Append(torch::Tensor* k, torch::Tensor* v);
};

// Adjusts a projection's output: the layer computes Adjust(x, proj(x), is_training()) instead of
// proj(x) when a hook is installed (LoRA, lora.h, installs one per adapted projection and owns its
// parameters; the layer only holds a shared reference). Null hook: the plain projection.
class ProjectionHook {
 public:
  virtual ~ProjectionHook() = default;
  virtual torch::Tensor Adjust(const torch::Tensor& x, const torch::Tensor& y, bool training) = 0;
};

// Several projections' weights (and biases) concatenated along the output features, so inference
// runs them as one GEMM. Rebuilt when any source parameter changed: updated in place (its version
// counter: loading, LoRA merge/unmerge, optimizer steps) or replaced (another storage, e.g. after
// Module::to). Costs a second copy of those weights while held; Clear() frees it.
class FusedProjections {
 public:
  // The fused weight and bias (bias undefined when the projections have none) of `parts`, in order.
  std::pair<torch::Tensor, torch::Tensor> Get(const std::vector<torch::nn::Linear*>& parts);
  void Clear();

 private:
  struct Stamp {
    c10::weak_intrusive_ptr<c10::StorageImpl> storage;  // weak: a replaced storage cannot be reused unnoticed
    const void* data = nullptr;
    int64_t version = 0;
  };
  std::vector<Stamp> stamps_;
  torch::Tensor weight_, bias_;
};

// Grouped-query self-attention. q/k/v biases per config.qkv_bias (Qwen2), o bias per
// config.out_proj_bias. Scale 1/sqrt(head_dim), or query_pre_attn_scalar^-0.5 and attention
// logit soft-capping for Gemma 2. Math path: softmax(Q K^T * scale (+ softcap) + mask) V, each kv
// head's query group multiplied as one [groups * L, D] block (no copy of K and V). In inference
// without hooks on q/k/v, the three projections run as one GEMM and RoPE runs once for q and k.
// Built against LibTorch >= 2 without soft-capping: at::scaled_dot_product_attention.
class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const common::model_io::ModelConfig& config);
  // With `cache`, this step's keys/values are appended and attention covers cached + new.
  // `mask`: see the top of this file.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, LayerCache* cache);

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  std::shared_ptr<ProjectionHook> q_hook, k_hook, v_hook, o_hook;  // see ProjectionHook

 private:
  torch::Tensor Attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                       const torch::Tensor& mask) const;

  int64_t heads_, kv_heads_, head_dim_;
  double scale_;
  double softcap_;  // 0: none
  FusedProjections qkv_;
};
TORCH_MODULE(Attention);

// Gated MLP: down(act(gate(x)) * up(x)); SiLU (SwiGLU) for Llama/Qwen2, tanh GELU (GeGLU) for Gemma 2.
// In inference without hooks on gate/up, the two run as one GEMM.
class GatedMlpImpl : public torch::nn::Module {
 public:
  explicit GatedMlpImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
  std::shared_ptr<ProjectionHook> gate_hook, up_hook, down_hook;  // see ProjectionHook

 private:
  common::model_io::Activation activation_;
  FusedProjections gate_up_;
};
TORCH_MODULE(GatedMlp);

// Pre-norm decoder layer. Gemma 2 adds post_attention_layernorm on the attention output and
// pre_/post_feedforward_layernorm around the MLP (its post_attention_layernorm is a post-norm;
// Llama's is the MLP's pre-norm, as the names in the checkpoints say).
class DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit DecoderLayerImpl(const common::model_io::ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, LayerCache* cache);

  Attention self_attn{nullptr};
  GatedMlp mlp{nullptr};
  RmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  RmsNorm pre_feedforward_layernorm{nullptr}, post_feedforward_layernorm{nullptr};  // Gemma 2 only

 private:
  bool gemma_;
};
TORCH_MODULE(DecoderLayer);

}  // namespace ecgbench::worker::nn
