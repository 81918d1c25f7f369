// Transformer layers of the CLIP, SigLIP and ViT towers (see vision_layers.h).
#include "worker/nn/vision/vision_layers.h"

#include <cmath>
#include <string>

namespace ecgbench::worker::nn {
namespace {

torch::nn::LayerNorm MakeLayerNorm(const VisionConfig& c) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
}

torch::nn::Linear MakeLinear(int64_t in, int64_t out, bool bias = true) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

}  // namespace

torch::Tensor ApplyVisionActivation(VisionActivation activation, const torch::Tensor& x) {
  switch (activation) {
    case VisionActivation::kQuickGelu: return x * torch::sigmoid(1.702 * x);
    case VisionActivation::kGelu: return torch::gelu(x);
    case VisionActivation::kGeluTanh: return torch::gelu(x, "tanh");
  }
  TORCH_INTERNAL_ASSERT(false, "unknown vision activation");
}

torch::Tensor MultiHeadAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                 int64_t heads) {
  const int64_t batch = q.size(0), lq = q.size(1), lk = k.size(1), hidden = q.size(2);
  const int64_t head_dim = hidden / heads;
  const auto split = [&](const torch::Tensor& t, int64_t length) {
    return t.reshape({batch, length, heads, head_dim}).transpose(1, 2);
  };
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  const torch::Tensor scores = torch::matmul(split(q, lq) * scale, split(k, lk).transpose(-2, -1));
  const torch::Tensor context = torch::matmul(torch::softmax(scores, -1), split(v, lk));
  return context.transpose(1, 2).reshape({batch, lq, hidden});
}

TowerSelfAttentionImpl::TowerSelfAttentionImpl(const VisionConfig& c) : heads_(c.num_attention_heads) {
  q_proj = register_module("q_proj", MakeLinear(c.hidden_size, c.hidden_size));
  k_proj = register_module("k_proj", MakeLinear(c.hidden_size, c.hidden_size));
  v_proj = register_module("v_proj", MakeLinear(c.hidden_size, c.hidden_size));
  out_proj = register_module("out_proj", MakeLinear(c.hidden_size, c.hidden_size));
}

torch::Tensor TowerSelfAttentionImpl::forward(const torch::Tensor& x) {
  return out_proj(MultiHeadAttention(q_proj(x), k_proj(x), v_proj(x), heads_));
}

TowerMlpImpl::TowerMlpImpl(const VisionConfig& c) : activation_(c.hidden_act) {
  fc1 = register_module("fc1", MakeLinear(c.hidden_size, c.intermediate_size));
  fc2 = register_module("fc2", MakeLinear(c.intermediate_size, c.hidden_size));
}

torch::Tensor TowerMlpImpl::forward(const torch::Tensor& x) { return fc2(ApplyVisionActivation(activation_, fc1(x))); }

TowerEncoderLayerImpl::TowerEncoderLayerImpl(const VisionConfig& c) {
  self_attn = register_module("self_attn", TowerSelfAttention(c));
  layer_norm1 = register_module("layer_norm1", MakeLayerNorm(c));
  mlp = register_module("mlp", TowerMlp(c));
  layer_norm2 = register_module("layer_norm2", MakeLayerNorm(c));
}

torch::Tensor TowerEncoderLayerImpl::forward(const torch::Tensor& x) {
  const torch::Tensor h = x + self_attn(layer_norm1(x));
  return h + mlp(layer_norm2(h));
}

TowerEncoderImpl::TowerEncoderImpl(const VisionConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    typed_.emplace_back(c);
    layers->push_back(typed_.back());
  }
}

torch::Tensor TowerEncoderImpl::forward(torch::Tensor x) {
  for (TowerEncoderLayer& layer : typed_) x = layer(x);
  return x;
}

VitSelfAttentionImpl::VitSelfAttentionImpl(const VisionConfig& c) : heads_(c.num_attention_heads) {
  query = register_module("query", MakeLinear(c.hidden_size, c.hidden_size, c.qkv_bias));
  key = register_module("key", MakeLinear(c.hidden_size, c.hidden_size, c.qkv_bias));
  value = register_module("value", MakeLinear(c.hidden_size, c.hidden_size, c.qkv_bias));
}

torch::Tensor VitSelfAttentionImpl::forward(const torch::Tensor& x) {
  return MultiHeadAttention(query(x), key(x), value(x), heads_);
}

VitDenseImpl::VitDenseImpl(int64_t in, int64_t out) { dense = register_module("dense", MakeLinear(in, out)); }

VitAttentionImpl::VitAttentionImpl(const VisionConfig& c) {
  attention = register_module("attention", VitSelfAttention(c));
  output = register_module("output", VitDense(c.hidden_size, c.hidden_size));
}

VitLayerImpl::VitLayerImpl(const VisionConfig& c) : activation_(c.hidden_act) {
  attention = register_module("attention", VitAttention(c));
  intermediate = register_module("intermediate", VitDense(c.hidden_size, c.intermediate_size));
  output = register_module("output", VitDense(c.intermediate_size, c.hidden_size));
  layernorm_before = register_module("layernorm_before", MakeLayerNorm(c));
  layernorm_after = register_module("layernorm_after", MakeLayerNorm(c));
}

torch::Tensor VitLayerImpl::forward(const torch::Tensor& x) {
  const torch::Tensor h = x + attention(layernorm_before(x));
  return h + output(ApplyVisionActivation(activation_, intermediate(layernorm_after(h))));
}

VitEncoderImpl::VitEncoderImpl(const VisionConfig& c) {
  layer = register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    layers.emplace_back(c);
    layer->push_back(layers.back());
  }
}

}  // namespace ecgbench::worker::nn
