// The shared masked-autoencoder machinery (decoder, masking plumbing, loss, ELM embedding) and
// MTAE / MLAE (mae.h). ST-MEM's forward pass is in st_mem.cc.
#include "worker/nn/ecg_encoders/mae.h"

#include <ATen/CPUGeneratorImpl.h>

#include <vector>

namespace ecgbench::worker::nn {
namespace {

VitEncoderOptions ClsEncoderOptions(const EcgEncoderOptions& o, ClsMae::Axis axis) {
  VitEncoderOptions e;
  const bool time = axis == ClsMae::Axis::kTime;
  e.patch_dim = time ? o.patch_size * o.num_leads : o.segment_len;
  e.num_patches = time ? o.segment_len / o.patch_size : o.num_leads;
  e.width = o.width;
  e.depth = o.depth;
  e.heads = o.heads;
  e.mlp_dim = o.mlp_dim;
  e.sep = false;
  return e;
}

}  // namespace

MaskedAutoencoder::MaskedAutoencoder(const EcgEncoderOptions& resolved, const VitEncoderOptions& eo,
                                     int64_t patch_size, int64_t head_out)
    : EcgEncoder(resolved), num_patches_(eo.num_patches), patch_size_(patch_size) {
  const EcgEncoderOptions& o = options();
  const int64_t d = o.decoder_width;
  encoder = register_module("encoder", VitEncoder(eo));
  to_decoder_embedding = register_module("to_decoder_embedding", torch::nn::Linear(o.width, d));
  mask_embedding = register_parameter("mask_embedding", torch::zeros({1, 1, d}));
  const int64_t trailing = eo.sep ? 1 : 0;  // SEP slots at both ends; CLS in front only
  decoder_pos_embed = register_parameter("decoder_pos_embed", torch::zeros({1, eo.num_patches + 1 + trailing, d}),
                                         /*requires_grad=*/false);
  decoder_blocks = register_module("decoder_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.decoder_depth; ++i) decoder_blocks->push_back(VitBlock(d, o.decoder_heads, 4 * d));
  decoder_norm = register_module("decoder_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-6)));
  decoder_head = register_module("decoder_head", torch::nn::Linear(d, head_out));

  // Upstream's initialize_weights, in its order.
  torch::NoGradGuard no_grad;
  at::Generator generator = at::detail::createCPUGenerator(o.seed);
  encoder->pos_embedding.copy_(SinCosPositions(o.width, eo.num_patches, 1, trailing).unsqueeze(0));
  decoder_pos_embed.copy_(SinCosPositions(d, eo.num_patches, 1, trailing).unsqueeze(0));
  if (eo.sep) {
    encoder->sep_embedding.normal_(0.0, 0.02, generator);
    mask_embedding.normal_(0.0, 0.02, generator);
    for (torch::Tensor& lead : encoder->lead_embeddings) lead.normal_(0.0, 0.02, generator);
  } else {
    encoder->cls_embedding.normal_(0.0, 0.02, generator);
    mask_embedding.normal_(0.0, 0.02, generator);
  }
  InitVitWeights(*this, generator);
}

torch::Tensor MaskedAutoencoder::RunDecoderBlocks(torch::Tensor x) {
  for (const std::shared_ptr<torch::nn::Module>& block : *decoder_blocks) x = block->as<VitBlock>()->forward(x);
  return x;
}

torch::Tensor MaskedAutoencoder::GatherVisible(const torch::Tensor& x, const PatchMask& mask) {
  if (!mask.shuffled) return x;
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes[sizes.size() - 2] = mask.num_keep;
  return x.gather(-2, mask.keep.unsqueeze(-1).expand(sizes));
}

torch::Tensor MaskedAutoencoder::Unshuffle(const torch::Tensor& visible, const PatchMask& mask) const {
  if (!mask.shuffled) return visible;
  std::vector<int64_t> sizes = visible.sizes().vec();
  sizes[sizes.size() - 2] = num_patches_ - mask.num_keep;
  const torch::Tensor full = torch::cat({visible, mask_embedding.expand(sizes)}, -2);
  return full.gather(-2, mask.restore.unsqueeze(-1).expand(full.sizes()));
}

torch::Tensor MaskedAutoencoder::PretrainLoss(const torch::Tensor& signal, at::Generator& generator) {
  const MaeOutput out = ForwardMae(signal, options().mask_ratio, &generator);
  return MaskedPatchMse(out.pred, Patchify(signal.to(to_decoder_embedding->weight.scalar_type())), out.mask);
}

torch::Tensor MaskedAutoencoder::Embed(const torch::Tensor& signal, int64_t num_tokens) {
  TORCH_CHECK(num_tokens >= 1, "ecg encoder '", options().kind, "': num_tokens must be >= 1, got ", num_tokens);
  const MaeOutput out = ForwardMae(signal, 0.0, nullptr);
  return torch::adaptive_avg_pool1d(out.tokens.transpose(1, 2), {num_tokens}).transpose(1, 2).contiguous();
}

ClsMae::ClsMae(const EcgEncoderOptions& resolved, Axis axis)
    : MaskedAutoencoder(resolved, ClsEncoderOptions(resolved, axis), axis == Axis::kTime ? resolved.patch_size : 1,
                        ClsEncoderOptions(resolved, axis).patch_dim),
      axis_(axis) {}

torch::Tensor ClsMae::Patchify(const torch::Tensor& signal) const {
  if (axis_ == Axis::kLead) return signal;  // "b (n p) t -> b n (p t)" with p = 1: one lead per patch
  const int64_t b = signal.size(0), c = signal.size(1), p = patch_size();
  // "b c (n p) -> b n (p c)": within a patch, sample-major, all leads of a sample together.
  return signal.reshape({b, c, num_patches(), p}).permute({0, 2, 3, 1}).reshape({b, num_patches(), p * c});
}

MaeOutput ClsMae::ForwardMae(const torch::Tensor& signal, double mask_ratio, at::Generator* generator) {
  CheckSignal(signal);
  const int64_t b = signal.size(0), n = num_patches(), w = options().width;
  const torch::Tensor& pos = encoder->pos_embedding;  // [1, n + 1, width]
  torch::Tensor x = encoder->to_patch_embedding->forward(Patchify(signal.to(to_decoder_embedding->weight.scalar_type()))) + pos.narrow(1, 1, n);
  const PatchMask m = RandomPatchMask({b}, n, mask_ratio, generator, x.device());
  x = GatherVisible(x, m);
  const torch::Tensor cls = (encoder->cls_embedding.view({1, 1, w}) + pos.narrow(1, 0, 1)).expand({b, 1, w});
  MaeOutput out;
  out.encoded = encoder->RunBlocks(torch::cat({cls, x}, 1));
  const torch::Tensor y = to_decoder_embedding->forward(out.encoded);
  torch::Tensor z = torch::cat({y.narrow(1, 0, 1), Unshuffle(y.narrow(1, 1, m.num_keep), m)}, 1) + decoder_pos_embed;
  out.tokens = RunDecoderBlocks(z);
  out.pred = decoder_head->forward(decoder_norm->forward(out.tokens)).narrow(1, 1, n);
  out.mask = m.mask;
  out.restore = m.restore;
  return out;
}

}  // namespace ecgbench::worker::nn
