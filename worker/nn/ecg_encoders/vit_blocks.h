// Vision-transformer pieces shared by ST-MEM, MTAE and MLAE (mae.h), in the math and under the
// parameter names of the ST-MEM code that ECG-Bench vendors: pre-norm blocks (attn.norm,
// attn.fn.to_qkv, attn.fn.to_out.0, ff.norm, ff.fn.net.0, ff.fn.net.3; exact-erf GELU; LayerNorm
// eps 1e-5), the encoder holder (to_patch_embedding.{1,2,3}, pos_embedding, sep_embedding /
// cls_embedding, lead_embeddings.{i}, block{i}, norm), 1-D sin-cos positions, per-sample random
// patch masking with a caller's generator, and the masked-patch MSE.
// Thread-safety: modules are not thread-safe; the free functions are pure.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace ecgbench::worker::nn {

// softmax(q k^T / sqrt(head_dim)) v over [B, T, width] with a biased qkv projection and an output
// projection to_out.0 (absent when heads == 1, as upstream drops it when head_dim == width).
class VitAttentionImpl : public torch::nn::Module {
 public:
  VitAttentionImpl(int64_t width, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear to_qkv{nullptr};
  torch::nn::Sequential to_out{nullptr};  // null when heads == 1

 private:
  int64_t heads_, head_dim_;
};
TORCH_MODULE(VitAttention);

// net = Linear(width, mlp) -> GELU -> (dropout 0) -> Linear(mlp, width), as "net.0" and "net.3".
class VitFeedForwardImpl : public torch::nn::Module {
 public:
  VitFeedForwardImpl(int64_t width, int64_t mlp_dim);
  torch::Tensor forward(const torch::Tensor& x) { return net->forward(x); }

  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(VitFeedForward);

// The "attn" and "ff" children of a block: fn(norm(x)).
class PreNormAttentionImpl : public torch::nn::Module {
 public:
  PreNormAttentionImpl(int64_t width, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x) { return fn->forward(norm->forward(x)); }

  torch::nn::LayerNorm norm{nullptr};
  VitAttention fn{nullptr};
};
TORCH_MODULE(PreNormAttention);

class PreNormFeedForwardImpl : public torch::nn::Module {
 public:
  PreNormFeedForwardImpl(int64_t width, int64_t mlp_dim);
  torch::Tensor forward(const torch::Tensor& x) { return fn->forward(norm->forward(x)); }

  torch::nn::LayerNorm norm{nullptr};
  VitFeedForward fn{nullptr};
};
TORCH_MODULE(PreNormFeedForward);

// x + attn(x), then x + ff(x) (drop rates are zero upstream, so there is no dropout).
class VitBlockImpl : public torch::nn::Module {
 public:
  VitBlockImpl(int64_t width, int64_t heads, int64_t mlp_dim);
  torch::Tensor forward(torch::Tensor x);

  PreNormAttention attn{nullptr};
  PreNormFeedForward ff{nullptr};
};
TORCH_MODULE(VitBlock);

struct VitEncoderOptions {
  int64_t patch_dim = 0;    // input features per patch
  int64_t num_patches = 0;  // n
  int64_t width = 0, depth = 0, heads = 0, mlp_dim = 0;
  bool sep = false;        // true: ST-MEM (SEP slots, n + 2 positions, lead embeddings); false: CLS (n + 1)
  int64_t num_leads = 0;   // lead embeddings (ST-MEM only)
};

// The "encoder" child of a masked autoencoder. pos_embedding is registered as a frozen parameter
// (requires_grad false, as upstream), so checkpoints carry it.
class VitEncoderImpl : public torch::nn::Module {
 public:
  explicit VitEncoderImpl(const VitEncoderOptions& options);
  // Blocks, then the final LayerNorm, over [B, T, width].
  torch::Tensor RunBlocks(torch::Tensor x);

  torch::nn::Sequential to_patch_embedding{nullptr};  // 0: (rearrange), 1: LN(patch), 2: Linear, 3: LN(width)
  torch::Tensor pos_embedding;                          // [1, n + 2 or n + 1, width]
  torch::Tensor sep_embedding;                          // [width] (ST-MEM)
  torch::Tensor cls_embedding;                          // [width] (MTAE, MLAE)
  std::vector<torch::Tensor> lead_embeddings;           // [width] each (ST-MEM)
  std::vector<VitBlock> blocks;                         // "block{i}"
  torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(VitEncoder);

// Upstream's get_1d_sincos_pos_embed: row i = [sin(i w_0..w_{d/2-1}), cos(...)], w_k =
// 10000^(-k / (d/2)), float32; `leading` / `trailing` zero rows (SEP or CLS slots) around n rows.
torch::Tensor SinCosPositions(int64_t dim, int64_t num_patches, int64_t leading, int64_t trailing);

// Random masking per row of `batch_shape` (e.g. {B, leads} for ST-MEM, {B} for MTAE / MLAE):
// noise U[0, 1) from `generator` (drawn on the CPU, so a seed gives the same mask on any device);
// the keep = int(n * (1 - mask_ratio)) patches with the smallest noise stay visible. With
// mask_ratio 0 nothing is masked and the order is the identity (generator unused, may be null).
struct PatchMask {
  torch::Tensor keep;     // int64 [..., keep]: visible patch indices, in shuffled order
  torch::Tensor restore;  // int64 [..., n]: position of each patch in the shuffled order
  torch::Tensor mask;     // float [..., n]: 1 = masked (hidden from the encoder), 0 = visible
  int64_t num_keep = 0;
  bool shuffled = false;  // false: mask_ratio 0, identity order
};
PatchMask RandomPatchMask(const std::vector<int64_t>& batch_shape, int64_t num_patches, double mask_ratio,
                          at::Generator* generator, const torch::Device& device);

// Upstream's forward_loss with norm_pix_loss false: mean over the last dim of (pred - target)^2,
// then the mean over masked patches only: sum(loss * mask) / sum(mask).
torch::Tensor MaskedPatchMse(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& mask);

// Upstream's ViT MAE init: every Linear weight xavier-uniform and bias 0, every LayerNorm 1 / 0
// (descendants of `root`; root itself is not visited, so this works inside its constructor),
// drawn from `generator` in module order.
void InitVitWeights(torch::nn::Module& root, at::Generator& generator);

}  // namespace ecgbench::worker::nn
