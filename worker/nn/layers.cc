// Llama-family decoder layers: RMSNorm, RoPE, grouped-query attention with a KV cache, gated MLP,
// decoder layer (see layers.h for the contract).
#include "worker/nn/layers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ecgbench::worker::nn {
namespace {

using common::model_io::Activation;
using common::model_io::ModelConfig;
using common::model_io::RopeConfig;
using common::model_io::RopeType;

torch::nn::Linear MakeLinear(int64_t in, int64_t out, bool bias) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

// proj(x), adjusted by the projection's hook when one is installed (LoRA).
torch::Tensor Project(torch::nn::Linear& proj, const std::shared_ptr<ProjectionHook>& hook, const torch::Tensor& x,
                      bool training) {
  torch::Tensor y = proj(x);
  return hook ? hook->Adjust(x, y, training) : y;
}

// Appends [B, kv_heads, L, D] to the layer cache and returns the valid prefix (cached + new).
torch::Tensor AppendToCache(torch::Tensor& buffer, int64_t length, const torch::Tensor& fresh) {
  const int64_t need = length + fresh.size(2);
  if (!buffer.defined() || buffer.size(2) < need) {
    TORCH_CHECK(length == 0 || (buffer.size(0) == fresh.size(0) && buffer.size(1) == fresh.size(1)),
                "KV cache: batch or head count changed between steps (", buffer.sizes(), " vs ", fresh.sizes(), ")");
    const int64_t old_capacity = buffer.defined() ? buffer.size(2) : 0;
    const int64_t capacity = std::max<int64_t>({need, 2 * old_capacity, 16});
    torch::Tensor grown = torch::empty({fresh.size(0), fresh.size(1), capacity, fresh.size(3)}, fresh.options());
    if (length > 0) grown.narrow(2, 0, length).copy_(buffer.narrow(2, 0, length));
    buffer = grown;
  }
  TORCH_CHECK(buffer.size(0) == fresh.size(0), "KV cache: batch size ", fresh.size(0), " but the cache holds ",
              buffer.size(0));
  buffer.narrow(2, length, fresh.size(2)).copy_(fresh);
  return buffer.narrow(2, 0, need);
}

}  // namespace

void LayerCache::Append(torch::Tensor* k, torch::Tensor* v) {
  *k = AppendToCache(key, length, *k);
  *v = AppendToCache(value, length, *v);
  length = k->size(2);
}

RmsNormImpl::RmsNormImpl(int64_t dim, double eps, bool offset_one) : eps_(eps), offset_one_(offset_one) {
  weight = register_parameter("weight", offset_one ? torch::zeros({dim}) : torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  const torch::Tensor h = x.to(torch::kFloat);
  const torch::Tensor normed = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps_);
  if (offset_one_) return (normed * (1.0 + weight.to(torch::kFloat))).to(x.scalar_type());
  return weight * normed.to(x.scalar_type());
}

torch::Tensor RopeInverseFrequencies(const RopeConfig& rope, int64_t head_dim) {
  // 1 / theta^(arange(0, d, 2) / d), in float32 as transformers computes it.
  const torch::Tensor exponents = torch::arange(0, head_dim, 2, torch::kLong).to(torch::kFloat) / static_cast<double>(head_dim);
  torch::Tensor inv_freq = 1.0 / torch::pow(torch::tensor(rope.theta, torch::kFloat), exponents);
  if (rope.type == RopeType::kLinear) return inv_freq / rope.factor;
  if (rope.type != RopeType::kLlama3) return inv_freq;
  const double old_context = static_cast<double>(rope.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / rope.low_freq_factor;
  const double high_freq_wavelen = old_context / rope.high_freq_factor;
  const torch::Tensor wavelen = 2 * M_PI / inv_freq;
  torch::Tensor scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / rope.factor, inv_freq);
  const torch::Tensor smooth =
      (old_context / wavelen - rope.low_freq_factor) / (rope.high_freq_factor - rope.low_freq_factor);
  const torch::Tensor smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
  const torch::Tensor medium = wavelen.ge(high_freq_wavelen).logical_and(wavelen.le(low_freq_wavelen));
  return torch::where(medium, smoothed, scaled);
}

std::pair<torch::Tensor, torch::Tensor> RopeCosSin(const torch::Tensor& inv_freq, const torch::Tensor& position_ids) {
  const torch::Tensor freqs = position_ids.to(torch::kFloat).unsqueeze(-1) * inv_freq.to(torch::kFloat);  // [B, L, D/2]
  const torch::Tensor emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);                                   // [B, 1, L, D]
  return {emb.cos(), emb.sin()};
}

torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  const torch::Tensor rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos.to(x.scalar_type()) + rotated * sin.to(x.scalar_type());
}

AttentionImpl::AttentionImpl(const ModelConfig& config)
    : heads_(config.num_attention_heads),
      kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim),
      scale_(1.0 / std::sqrt(static_cast<double>(config.head_dim))),
      softcap_(0) {
  if (const auto* gemma = config.gemma2()) {
    scale_ = 1.0 / std::sqrt(gemma->query_pre_attn_scalar);
    softcap_ = gemma->attn_logit_softcapping.value_or(0.0);
  }
  const int64_t hidden = config.hidden_size;
  q_proj = register_module("q_proj", MakeLinear(hidden, heads_ * head_dim_, config.qkv_bias));
  k_proj = register_module("k_proj", MakeLinear(hidden, kv_heads_ * head_dim_, config.qkv_bias));
  v_proj = register_module("v_proj", MakeLinear(hidden, kv_heads_ * head_dim_, config.qkv_bias));
  o_proj = register_module("o_proj", MakeLinear(heads_ * head_dim_, hidden, config.out_proj_bias));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                     const torch::Tensor& allowed, LayerCache* cache) {
  const int64_t batch = x.size(0), len = x.size(1), groups = heads_ / kv_heads_;
  const bool training = is_training();
  torch::Tensor q = Project(q_proj, q_hook, x, training).view({batch, len, heads_, head_dim_}).transpose(1, 2);
  torch::Tensor k = Project(k_proj, k_hook, x, training).view({batch, len, kv_heads_, head_dim_}).transpose(1, 2);
  torch::Tensor v = Project(v_proj, v_hook, x, training).view({batch, len, kv_heads_, head_dim_}).transpose(1, 2);
  q = ApplyRope(q, cos, sin);
  k = ApplyRope(k, cos, sin);
  if (cache != nullptr) cache->Append(&k, &v);
  // Query head h uses kv head h / groups (transformers' repeat_kv): view the queries as
  // [B, kv_heads, groups, L, D] and broadcast K and V over the group dimension.
  const torch::Tensor qg = q.reshape({batch, kv_heads_, groups, len, head_dim_});
  torch::Tensor scores = torch::matmul(qg, k.unsqueeze(2).transpose(-1, -2)).to(torch::kFloat) * scale_;
  if (softcap_ > 0) scores = torch::tanh(scores / softcap_) * softcap_;
  scores = scores.masked_fill(allowed.unsqueeze(1).logical_not(), std::numeric_limits<float>::lowest());
  const torch::Tensor probs = torch::softmax(scores, -1).to(v.scalar_type());
  const torch::Tensor out = torch::matmul(probs, v.unsqueeze(2));  // [B, kv_heads, groups, L, D]
  const torch::Tensor heads_out =
      out.reshape({batch, heads_, len, head_dim_}).transpose(1, 2).reshape({batch, len, heads_ * head_dim_});
  return Project(o_proj, o_hook, heads_out, training);
}

GatedMlpImpl::GatedMlpImpl(const ModelConfig& config) : activation_(config.activation) {
  TORCH_CHECK(activation_ == Activation::kSilu || activation_ == Activation::kGeluTanh || activation_ == Activation::kGelu,
              "gated MLP: unsupported activation '", config.activation_name, "'");
  gate_proj = register_module("gate_proj", MakeLinear(config.hidden_size, config.intermediate_size, config.mlp_bias));
  up_proj = register_module("up_proj", MakeLinear(config.hidden_size, config.intermediate_size, config.mlp_bias));
  down_proj = register_module("down_proj", MakeLinear(config.intermediate_size, config.hidden_size, config.mlp_bias));
}

torch::Tensor GatedMlpImpl::forward(const torch::Tensor& x) {
  const bool training = is_training();
  const torch::Tensor gate = Project(gate_proj, gate_hook, x, training);
  torch::Tensor activated;
  switch (activation_) {
    case Activation::kSilu: activated = torch::silu(gate); break;
    case Activation::kGeluTanh: activated = at::gelu(gate, "tanh"); break;
    default: activated = at::gelu(gate); break;
  }
  return Project(down_proj, down_hook, activated * Project(up_proj, up_hook, x, training), training);
}

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& config) : gemma_(config.gemma2() != nullptr) {
  self_attn = register_module("self_attn", Attention(config));
  mlp = register_module("mlp", GatedMlp(config));
  const int64_t hidden = config.hidden_size;
  const double eps = config.norm_eps;
  input_layernorm = register_module("input_layernorm", RmsNorm(hidden, eps, gemma_));
  post_attention_layernorm = register_module("post_attention_layernorm", RmsNorm(hidden, eps, gemma_));
  if (gemma_) {
    pre_feedforward_layernorm = register_module("pre_feedforward_layernorm", RmsNorm(hidden, eps, true));
    post_feedforward_layernorm = register_module("post_feedforward_layernorm", RmsNorm(hidden, eps, true));
  }
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                        const torch::Tensor& allowed, LayerCache* cache) {
  torch::Tensor attn = self_attn(input_layernorm(x), cos, sin, allowed, cache);
  if (gemma_) {
    const torch::Tensor h = x + post_attention_layernorm(attn);
    return h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)));
  }
  const torch::Tensor h = x + attn;
  return h + mlp(post_attention_layernorm(h));
}

}  // namespace ecgbench::worker::nn
