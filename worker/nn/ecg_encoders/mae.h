// The masked-autoencoder ECG encoders of ECG-Bench: ST-MEM (per-lead time patches with SEP and
// lead embeddings, lead-wise decoding), MTAE (time patches over all leads, CLS) and MLAE (one patch
// per lead, CLS). Each is a ViT encoder (vit_blocks.h) plus upstream's 256-wide decoder:
// to_decoder_embedding, mask_embedding, frozen sin-cos decoder_pos_embed, decoder_blocks.{i},
// decoder_norm (eps 1e-6), decoder_head.
//
// Embed (the ELM embedding, docs/encoders-ecg.md "Embedding rule"): the decoder latents (after the
// decoder blocks, before decoder_norm) of a forward pass WITHOUT masking, ST-MEM's averaged over
// leads, adaptive-average-pooled over tokens to N -> [B, N, decoder_width]. Upstream takes the
// same latents from a forward pass with random 75 % masking, so its embeddings are random.
// Thread-safety: not thread-safe (LibTorch modules are not).
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "worker/nn/ecg_encoders/ecg_encoder.h"
#include "worker/nn/ecg_encoders/vit_blocks.h"

namespace ecgbench::worker::nn {

// One masked forward pass. Patch tensors follow Patchify's layout.
struct MaeOutput {
  torch::Tensor pred;     // reconstructed patches, Patchify(signal)'s shape
  torch::Tensor mask;     // float, pred's shape without the last dim; 1 = masked
  torch::Tensor restore;  // int64, mask's shape: each patch's position in the shuffled order
  torch::Tensor encoded;  // encoder output after its norm: [B, tokens, width] (visible + SEP/CLS)
  torch::Tensor tokens;   // decoder latents before decoder_norm, [B, T, decoder_width] (ST-MEM:
                          // mean over leads, T = n + 2; MTAE / MLAE: T = n + 1)
};

class MaskedAutoencoder : public EcgEncoder {
 public:
  // mask_ratio 0: no masking (generator unused, may be null); otherwise `generator` draws the
  // masks (seeded: reproducible). Throws c10::Error on a bad signal.
  virtual MaeOutput ForwardMae(const torch::Tensor& signal, double mask_ratio, at::Generator* generator) = 0;
  // The reconstruction targets: ST-MEM [B, leads, n, p]; MTAE [B, n, p * leads] (sample-major,
  // "b c (n p) -> b n (p c)"); MLAE [B, leads, L].
  virtual torch::Tensor Patchify(const torch::Tensor& signal) const = 0;

  // MaskedPatchMse(ForwardMae(signal, options().mask_ratio, &generator)) against Patchify(signal).
  torch::Tensor PretrainLoss(const torch::Tensor& signal, at::Generator& generator);
  torch::Tensor Embed(const torch::Tensor& signal, int64_t num_tokens) override;
  int64_t embed_dim() const override { return options().decoder_width; }
  int64_t num_patches() const { return num_patches_; }
  int64_t patch_size() const { return patch_size_; }

  VitEncoder encoder{nullptr};
  torch::nn::Linear to_decoder_embedding{nullptr};
  torch::Tensor mask_embedding;     // [1, 1, decoder_width]
  torch::Tensor decoder_pos_embed;  // [1, positions, decoder_width], frozen
  torch::nn::ModuleList decoder_blocks{nullptr};
  torch::nn::LayerNorm decoder_norm{nullptr};
  torch::nn::Linear decoder_head{nullptr};

 protected:
  // Registers the encoder and decoder and initialises them as upstream (sin-cos positions,
  // N(0, 0.02) SEP / CLS / lead / mask embeddings, xavier-uniform Linear weights).
  MaskedAutoencoder(const EcgEncoderOptions& resolved, const VitEncoderOptions& encoder_options, int64_t patch_size,
                    int64_t head_out);
  // Decoder blocks over [rows, T, decoder_width].
  torch::Tensor RunDecoderBlocks(torch::Tensor x);
  // Gathers the visible rows of `x` [..., n, D] along dim -2: [..., keep, D].
  static torch::Tensor GatherVisible(const torch::Tensor& x, const PatchMask& mask);
  // Mask embeddings appended to `visible` [..., keep, D] and unshuffled to [..., n, D].
  torch::Tensor Unshuffle(const torch::Tensor& visible, const PatchMask& mask) const;

 private:
  int64_t num_patches_, patch_size_;
};

// ST-MEM (Na et al., ICLR 2024): patches of patch_size samples per lead.
class StMem : public MaskedAutoencoder {
 public:
  explicit StMem(const EcgEncoderOptions& resolved);
  MaeOutput ForwardMae(const torch::Tensor& signal, double mask_ratio, at::Generator* generator) override;
  torch::Tensor Patchify(const torch::Tensor& signal) const override;
};

// MTAE (time patches across all leads) and MLAE (each lead one patch), ECG-Bench's MaeFE models.
class ClsMae : public MaskedAutoencoder {
 public:
  enum class Axis { kTime, kLead };
  ClsMae(const EcgEncoderOptions& resolved, Axis axis);
  MaeOutput ForwardMae(const torch::Tensor& signal, double mask_ratio, at::Generator* generator) override;
  torch::Tensor Patchify(const torch::Tensor& signal) const override;

 private:
  Axis axis_;
};

}  // namespace ecgbench::worker::nn
