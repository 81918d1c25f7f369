// ST-MEM's masked forward pass (mae.h): per-lead patches, SEP slots and lead embeddings in the
// encoder, mask embeddings and lead-wise decoding in the decoder.
#include "worker/nn/ecg_encoders/mae.h"

namespace ecgbench::worker::nn {
namespace {

VitEncoderOptions StMemEncoderOptions(const EcgEncoderOptions& o) {
  VitEncoderOptions e;
  e.patch_dim = o.patch_size;
  e.num_patches = o.segment_len / o.patch_size;
  e.width = o.width;
  e.depth = o.depth;
  e.heads = o.heads;
  e.mlp_dim = o.mlp_dim;
  e.sep = true;
  e.num_leads = o.num_leads;
  return e;
}

}  // namespace

StMem::StMem(const EcgEncoderOptions& resolved)
    : MaskedAutoencoder(resolved, StMemEncoderOptions(resolved), resolved.patch_size, resolved.patch_size) {}

torch::Tensor StMem::Patchify(const torch::Tensor& signal) const {
  return signal.reshape({signal.size(0), signal.size(1), num_patches(), patch_size()});
}

MaeOutput StMem::ForwardMae(const torch::Tensor& signal, double mask_ratio, at::Generator* generator) {
  CheckSignal(signal);
  const int64_t b = signal.size(0), c = options().num_leads, n = num_patches();
  const int64_t w = options().width, d = options().decoder_width;
  const torch::Tensor& pos = encoder->pos_embedding;  // [1, n + 2, width]: SEP, patches, SEP
  torch::Tensor x = encoder->to_patch_embedding->forward(Patchify(signal.to(to_decoder_embedding->weight.scalar_type())));  // [B, C, n, W]
  x = x + pos.narrow(1, 1, n).unsqueeze(1);
  const PatchMask m = RandomPatchMask({b, c}, n, mask_ratio, generator, x.device());
  x = GatherVisible(x, m);
  const int64_t k = m.num_keep;

  const torch::Tensor sep = encoder->sep_embedding.view({1, 1, 1, w});
  const torch::Tensor left = (sep + pos.narrow(1, 0, 1).unsqueeze(1)).expand({b, c, 1, w});
  const torch::Tensor right = (sep + pos.narrow(1, n + 1, 1).unsqueeze(1)).expand({b, c, 1, w});
  const torch::Tensor leads = torch::stack(encoder->lead_embeddings).view({1, c, 1, w});
  x = torch::cat({left, x, right}, 2) + leads;  // [B, C, k + 2, W]
  MaeOutput out;
  out.encoded = encoder->RunBlocks(x.reshape({b, c * (k + 2), w}));

  const torch::Tensor y = to_decoder_embedding->forward(out.encoded).view({b, c, k + 2, d});
  const torch::Tensor& dpos = decoder_pos_embed;  // [1, n + 2, D]
  const torch::Tensor body = Unshuffle(y.narrow(2, 1, k), m) + dpos.narrow(1, 1, n).unsqueeze(1);
  const torch::Tensor left_dec = y.narrow(2, 0, 1) + dpos.narrow(1, 0, 1).unsqueeze(1);
  const torch::Tensor right_dec = y.narrow(2, k + 1, 1) + dpos.narrow(1, n + 1, 1).unsqueeze(1);
  // Lead-wise decoding: each lead is its own sequence, so the leads run as B * C rows at once
  // (upstream loops over the leads with the same blocks; the math is identical).
  const torch::Tensor z = torch::cat({left_dec, body, right_dec}, 2).reshape({b * c, n + 2, d});
  const torch::Tensor latents = RunDecoderBlocks(z).view({b, c, n + 2, d});
  out.tokens = latents.mean(1);
  out.pred = decoder_head->forward(decoder_norm->forward(latents)).narrow(2, 1, n);
  out.mask = m.mask;
  out.restore = m.restore;
  return out;
}

}  // namespace ecgbench::worker::nn
