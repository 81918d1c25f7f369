// ViT pieces of the ECG masked autoencoders (vit_blocks.h).
#include "worker/nn/ecg_encoders/vit_blocks.h"

#include <cmath>
#include <string>

namespace ecgbench::worker::nn {

VitAttentionImpl::VitAttentionImpl(int64_t width, int64_t heads) : heads_(heads), head_dim_(width / heads) {
  TORCH_CHECK(heads >= 1 && width % heads == 0, "VitAttention: width ", width, " is not divisible by heads ", heads);
  to_qkv = register_module("to_qkv", torch::nn::Linear(torch::nn::LinearOptions(width, 3 * width).bias(true)));
  if (heads > 1) to_out = register_module("to_out", torch::nn::Sequential(torch::nn::Linear(width, width)));
}

torch::Tensor VitAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), t = x.size(1);
  // [B, T, 3, H, D] -> three [B, H, T, D]; the chunk order (q, k, v) and the (h d) split are upstream's.
  const torch::Tensor qkv = to_qkv->forward(x).view({b, t, 3, heads_, head_dim_}).permute({2, 0, 3, 1, 4});
  const torch::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  const torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2)) * std::pow(static_cast<double>(head_dim_), -0.5);
  torch::Tensor out = torch::matmul(scores.softmax(-1), v).permute({0, 2, 1, 3}).reshape({b, t, heads_ * head_dim_});
  return to_out ? to_out->forward(out) : out;
}

VitFeedForwardImpl::VitFeedForwardImpl(int64_t width, int64_t mlp_dim) {
  net = register_module("net", torch::nn::Sequential(torch::nn::Linear(width, mlp_dim), torch::nn::GELU(),
                                                     torch::nn::Identity(), torch::nn::Linear(mlp_dim, width)));
}

PreNormAttentionImpl::PreNormAttentionImpl(int64_t width, int64_t heads) {
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5)));
  fn = register_module("fn", VitAttention(width, heads));
}

PreNormFeedForwardImpl::PreNormFeedForwardImpl(int64_t width, int64_t mlp_dim) {
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5)));
  fn = register_module("fn", VitFeedForward(width, mlp_dim));
}

VitBlockImpl::VitBlockImpl(int64_t width, int64_t heads, int64_t mlp_dim) {
  attn = register_module("attn", PreNormAttention(width, heads));
  ff = register_module("ff", PreNormFeedForward(width, mlp_dim));
}

torch::Tensor VitBlockImpl::forward(torch::Tensor x) {
  x = attn->forward(x) + x;
  return ff->forward(x) + x;
}

VitEncoderImpl::VitEncoderImpl(const VitEncoderOptions& o) {
  to_patch_embedding = register_module(
      "to_patch_embedding",
      torch::nn::Sequential(torch::nn::Identity(), torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.patch_dim})),
                            torch::nn::Linear(o.patch_dim, o.width),
                            torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.width}))));
  const int64_t positions = o.num_patches + (o.sep ? 2 : 1);
  pos_embedding = register_parameter("pos_embedding", torch::zeros({1, positions, o.width}), /*requires_grad=*/false);
  if (o.sep) {
    sep_embedding = register_parameter("sep_embedding", torch::zeros({o.width}));
    // Upstream's nn.ParameterList: names lead_embeddings.0 .. lead_embeddings.{leads-1}.
    auto holder = register_module("lead_embeddings", std::make_shared<torch::nn::Module>());
    for (int64_t i = 0; i < o.num_leads; ++i) {
      lead_embeddings.push_back(holder->register_parameter(std::to_string(i), torch::zeros({o.width})));
    }
  } else {
    cls_embedding = register_parameter("cls_embedding", torch::zeros({o.width}));
  }
  for (int64_t i = 0; i < o.depth; ++i) {
    blocks.push_back(register_module("block" + std::to_string(i), VitBlock(o.width, o.heads, o.mlp_dim)));
  }
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.width})));
}

torch::Tensor VitEncoderImpl::RunBlocks(torch::Tensor x) {
  for (VitBlock& block : blocks) x = block->forward(x);
  return norm->forward(x);
}

torch::Tensor SinCosPositions(int64_t dim, int64_t num_patches, int64_t leading, int64_t trailing) {
  TORCH_CHECK(dim % 2 == 0, "sin-cos positions need an even width, got ", dim);
  const torch::Tensor grid = torch::arange(num_patches, torch::kFloat);
  torch::Tensor omega = torch::arange(dim / 2, torch::kFloat) / (static_cast<double>(dim) / 2.0);
  omega = 1.0 / torch::pow(10000.0, omega);
  const torch::Tensor angles = grid.unsqueeze(1) * omega.unsqueeze(0);
  return torch::cat({torch::zeros({leading, dim}), torch::cat({angles.sin(), angles.cos()}, 1),
                     torch::zeros({trailing, dim})},
                    0);
}

PatchMask RandomPatchMask(const std::vector<int64_t>& batch_shape, int64_t num_patches, double mask_ratio,
                          at::Generator* generator, const torch::Device& device) {
  TORCH_CHECK(mask_ratio >= 0.0 && mask_ratio < 1.0, "mask_ratio ", mask_ratio, " is outside [0, 1)");
  const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(device);
  std::vector<int64_t> shape = batch_shape;
  shape.push_back(num_patches);
  PatchMask m;
  if (mask_ratio == 0.0) {
    m.num_keep = num_patches;
    m.keep = torch::arange(num_patches, long_options).expand(shape);
    m.restore = m.keep;
    m.mask = torch::zeros(shape, torch::TensorOptions().device(device));
    return m;
  }
  TORCH_CHECK(generator != nullptr, "random patch masking with mask_ratio ", mask_ratio, " needs a generator");
  // int(n * (1 - ratio)) in double arithmetic, as Python computes it.
  m.num_keep = static_cast<int64_t>(static_cast<double>(num_patches) * (1.0 - mask_ratio));
  TORCH_CHECK(m.num_keep >= 1, "mask_ratio ", mask_ratio, " keeps no patch of ", num_patches);
  const torch::Tensor noise = torch::rand(shape, *generator, torch::kFloat);
  const torch::Tensor shuffle = noise.argsort(/*dim=*/-1, /*descending=*/false).to(device);
  m.restore = shuffle.argsort(/*dim=*/-1, /*descending=*/false);
  m.keep = shuffle.narrow(-1, 0, m.num_keep);
  m.shuffled = true;
  torch::Tensor sorted_mask = torch::ones(shape, torch::TensorOptions().device(device));
  sorted_mask.narrow(-1, 0, m.num_keep).zero_();
  m.mask = sorted_mask.gather(-1, m.restore);
  return m;
}

torch::Tensor MaskedPatchMse(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask) {
  TORCH_CHECK(pred.sizes() == target.sizes(), "MaskedPatchMse: pred ", pred.sizes(), " and target ", target.sizes(),
              " differ");
  TORCH_CHECK(mask.sizes() == pred.sizes().slice(0, pred.dim() - 1), "MaskedPatchMse: mask ", mask.sizes(),
              " does not match pred ", pred.sizes(), " without its last dim");
  const torch::Tensor per_patch = (pred - target).pow(2).mean(-1);
  return (per_patch * mask).sum() / mask.sum();
}

void InitVitWeights(torch::nn::Module& root, at::Generator& generator) {
  torch::NoGradGuard no_grad;
  for (const std::shared_ptr<torch::nn::Module>& module : root.modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::Linear>()) {
      const double fan_out = static_cast<double>(linear->weight.size(0));
      const double fan_in = static_cast<double>(linear->weight.size(1));
      const double bound = std::sqrt(6.0 / (fan_in + fan_out));
      linear->weight.uniform_(-bound, bound, generator);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* norm = module->as<torch::nn::LayerNorm>()) {
      norm->weight.fill_(1.0);
      norm->bias.zero_();
    }
  }
}

}  // namespace ecgbench::worker::nn
