// Transformer layers of the vision towers as LibTorch modules, in the math of Hugging Face's
// modeling_clip.py, modeling_siglip.py and modeling_vit.py. Children are registered under the
// Hugging Face names, so named_parameters() are the checkpoint's tensor names:
//   CLIP / SigLIP layer: layer_norm1, self_attn.{q,k,v,out}_proj, layer_norm2, mlp.fc1, mlp.fc2
//   ViT layer: layernorm_before, attention.attention.{query,key,value}, attention.output.dense,
//              layernorm_after, intermediate.dense, output.dense
// Every layer is pre-norm with two residuals. No dropout modules: every checkpoint we load has
// dropout 0, so train() and eval() compute the same function.
// Shapes: hidden states [B, L, hidden]. Thread-safety: a module instance is not thread-safe.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "worker/nn/vision/vision_config.h"

namespace ecgbench::worker::nn {

torch::Tensor ApplyVisionActivation(VisionActivation activation, const torch::Tensor& x);

// softmax(q k^T / sqrt(head_dim)) v over `heads` heads; q [B, Lq, hidden], k and v [B, Lk, hidden]
// -> [B, Lq, hidden].
torch::Tensor MultiHeadAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                 int64_t heads);

// CLIPAttention / SiglipAttention: q_proj, k_proj, v_proj, out_proj, all with biases.
class TowerSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit TowerSelfAttentionImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(TowerSelfAttention);

// CLIPMLP / SiglipMLP: fc2(act(fc1(x))).
class TowerMlpImpl : public torch::nn::Module {
 public:
  explicit TowerMlpImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

 private:
  VisionActivation activation_;
};
TORCH_MODULE(TowerMlp);

// CLIPEncoderLayer / SiglipEncoderLayer.
class TowerEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit TowerEncoderLayerImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  TowerSelfAttention self_attn{nullptr};
  TowerMlp mlp{nullptr};
};
TORCH_MODULE(TowerEncoderLayer);

// CLIPEncoder / SiglipEncoder: "layers.N".
class TowerEncoderImpl : public torch::nn::Module {
 public:
  explicit TowerEncoderImpl(const VisionConfig& config);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::ModuleList layers{nullptr};

 private:
  std::vector<TowerEncoderLayer> typed_;  // the same modules as `layers`
};
TORCH_MODULE(TowerEncoder);

// ViTSelfAttention: query, key, value (biases per config.qkv_bias).
class VitSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit VitSelfAttentionImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(VitSelfAttention);

// A module holding one Linear named "dense" (ViTSelfOutput, ViTIntermediate, ViTOutput).
class VitDenseImpl : public torch::nn::Module {
 public:
  VitDenseImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x) { return dense(x); }

  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(VitDense);

// ViTAttention: attention (self-attention) then output.dense.
class VitAttentionImpl : public torch::nn::Module {
 public:
  explicit VitAttentionImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& x) { return output(attention(x)); }

  VitSelfAttention attention{nullptr};
  VitDense output{nullptr};
};
TORCH_MODULE(VitAttention);

// ViTLayer: h = x + attention(layernorm_before(x)); h + output(act(intermediate(layernorm_after(h)))).
class VitLayerImpl : public torch::nn::Module {
 public:
  explicit VitLayerImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  VitAttention attention{nullptr};
  VitDense intermediate{nullptr}, output{nullptr};
  torch::nn::LayerNorm layernorm_before{nullptr}, layernorm_after{nullptr};

 private:
  VisionActivation activation_;
};
TORCH_MODULE(VitLayer);

// ViTEncoder: "layer.N". Layers are run one at a time by the model (it needs every hidden state).
class VitEncoderImpl : public torch::nn::Module {
 public:
  explicit VitEncoderImpl(const VisionConfig& config);

  torch::nn::ModuleList layer{nullptr};
  std::vector<VitLayer> layers;  // the same modules as `layer`
};
TORCH_MODULE(VitEncoder);

}  // namespace ecgbench::worker::nn
