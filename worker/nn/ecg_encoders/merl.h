// MERL (Liu et al., ICML 2024) as ECG-Bench uses it: a 1-D ResNet of Bottleneck blocks (conv1 k7
// s2 p3, BatchNorm, ReLU, no max-pool; stages w, 2w, 4w, 8w with 4x expansion, strides 1, 2, 2, 2)
// and the pretraining head: downconv (Conv1d k1 -> merl_dim), an attention pool (learned CLS +
// positional embedding over the ResNet's output length + 1, multi-head attention from the CLS
// query, c_proj), the average-pool branch with two bias-free Linear "views" under dropout, and the
// text projection MLP (text_dim -> merl_dim -> GELU -> merl_dim) for the frozen text encoder's
// pooled output. Parameter names are upstream's MERLPretrain names (resnet.layer3.0.conv2.weight,
// att_pool_head.mhsa.in_proj_weight, proj_t.0.weight, ...).
//
// Embed: the ResNet's output [B, 32 w, L'] -> AdaptiveAvgPool1d(N) -> [B, N, 32 w], computed with
// BatchNorm running statistics whatever the module's mode (the statistics are not updated).
// Thread-safety: not thread-safe (LibTorch modules are not).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "worker/nn/ecg_encoders/ecg_encoder.h"

namespace ecgbench::worker::nn {

// conv1 (1x1) -> conv2 (3, stride) -> conv3 (1x1, 4 * width), BatchNorm + ReLU, with a projection
// shortcut (shortcut.0 conv, shortcut.1 BatchNorm) when stride or channel count change.
class Bottleneck1dImpl : public torch::nn::Module {
 public:
  Bottleneck1dImpl(int64_t in_channels, int64_t width, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x) { return Forward(x, false); }
  // running_stats: BatchNorm uses its running statistics even in training mode (nothing updated).
  torch::Tensor Forward(const torch::Tensor& x, bool running_stats);

  torch::nn::Conv1d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm1d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential shortcut{nullptr};  // null: identity
};
TORCH_MODULE(Bottleneck1d);

class ResNet1dImpl : public torch::nn::Module {
 public:
  ResNet1dImpl(int64_t in_channels, int64_t width, const std::vector<int64_t>& blocks);
  // [B, in_channels, L] -> [B, 32 * width, OutputLength(L)].
  torch::Tensor forward(const torch::Tensor& x) { return Forward(x, false); }
  torch::Tensor Forward(const torch::Tensor& x, bool running_stats);  // see Bottleneck1dImpl
  int64_t out_channels() const { return out_channels_; }
  // L after conv1 (stride 2) and the three stride-2 stages: 500 -> 32, 1250 -> 79, 2500 -> 157.
  static int64_t OutputLength(int64_t length);

  torch::nn::Conv1d conv1{nullptr};
  torch::nn::BatchNorm1d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};

 private:
  int64_t out_channels_;
};
TORCH_MODULE(ResNet1d);

// The "mhsa" child: torch.nn.MultiheadAttention's parameters (in_proj_weight [3E, E],
// in_proj_bias, out_proj) and math (q scaled by 1 / sqrt(E / heads), softmax, out_proj).
class PoolAttentionImpl : public torch::nn::Module {
 public:
  PoolAttentionImpl(int64_t dim, int64_t heads);
  // query [B, Q, E], keys and values from `memory` [B, T, E] -> [B, Q, E].
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& memory);

  torch::Tensor in_proj_weight, in_proj_bias;
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(PoolAttention);

// Upstream's AttentionPool2d over a 1-D sequence. Note: the CLS token gets positional_embedding[0]
// twice (once with the CLS, once with the whole sequence), as upstream computes it.
class AttentionPool1dImpl : public torch::nn::Module {
 public:
  AttentionPool1dImpl(int64_t length, int64_t dim, int64_t heads);
  // [B, dim, length] -> [B, dim].
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor positional_embedding;  // [1, length + 1, dim]
  torch::Tensor cls_token;             // [1, 1, dim]
  PoolAttention mhsa{nullptr};
  torch::nn::Linear c_proj{nullptr};
};
TORCH_MODULE(AttentionPool1d);

// One pretraining forward pass (merl_dim wide). Feed them, gathered across ranks, to MerlLoss
// (contrastive_loss.h) with ProjectText's output.
struct MerlPretrainOutput {
  torch::Tensor ecg;    // attention-pooled, L2-normalised [B, merl_dim] (cross-modal side)
  torch::Tensor view1;  // dropout(linear1(avg-pooled)) [B, merl_dim] (uni-modal views)
  torch::Tensor view2;  // dropout(linear2(avg-pooled))
};

class MerlEncoder : public EcgEncoder {
 public:
  explicit MerlEncoder(const EcgEncoderOptions& resolved);
  torch::Tensor Embed(const torch::Tensor& signal, int64_t num_tokens) override;
  int64_t embed_dim() const override { return resnet->out_channels(); }

  // Uses the module's mode: BatchNorm batch statistics and dropout (keep masks drawn on the CPU
  // from `generator`) in training, running statistics and no dropout in eval.
  MerlPretrainOutput PretrainForward(const torch::Tensor& signal, at::Generator& generator);
  // proj_t over the frozen text encoder's pooled output [B, text_dim], L2-normalised.
  torch::Tensor ProjectText(const torch::Tensor& text_embedding);

  ResNet1d resnet{nullptr};
  torch::nn::Conv1d downconv{nullptr};
  AttentionPool1d att_pool_head{nullptr};
  torch::nn::Linear linear1{nullptr}, linear2{nullptr};
  torch::nn::Sequential proj_t{nullptr};  // 0: Linear(text, dim), 1: GELU, 2: Linear(dim, dim)
};

}  // namespace ecgbench::worker::nn
