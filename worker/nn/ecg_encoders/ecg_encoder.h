// The ECG encoders of ECG-Bench (docs/encoders-ecg.md) behind one interface: an EcgEncoder turns a
// normalised signal [B, leads, L] into N embeddings [B, N, embed_dim()] for the LLaVA-style ELM
// (Embed), and the masked autoencoders / MERL add their pretraining forward passes (mae.h, merl.h).
// Kinds: "projection" (encoder-free: the flattened signal), "st_mem", "mtae", "mlae", "merl".
// Sizes come from a preset ("base": upstream's, "tiny": for tests and the quickstart) with
// per-field overrides; CreateEcgEncoder validates them and initialises the weights from a seed.
//
// Errors: bad options are InvalidArgument naming the field and the reason. Bad tensors passed to
// a module (wrong rank, lead count or length) throw c10::Error naming the encoder and the shapes,
// like every LibTorch module; the worker's task boundary converts them.
// Thread-safety: a module instance is not thread-safe (LibTorch modules are not).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::worker::nn {

// Sizes and behaviour of an encoder. Zero / empty fields take the preset's value (see
// ResolveEcgEncoderOptions); the defaults of the other fields are upstream's.
struct EcgEncoderOptions {
  std::string kind = "st_mem";  // projection | st_mem | mtae | mlae | merl
  std::string preset = "base";  // base (upstream sizes) | tiny
  int64_t num_leads = 12;
  int64_t segment_len = 500;  // samples per lead (L)
  uint64_t seed = 0;          // initial weights

  // ViT family (st_mem, mtae, mlae). Head dim = width / heads; decoder MLP = 4 * decoder_width.
  int64_t width = 0, depth = 0, heads = 0, mlp_dim = 0;  // base: 768, 12, 12, 3072
  int64_t decoder_width = 0, decoder_depth = 0, decoder_heads = 0;  // base: 256, 4, 4
  int64_t patch_size = 0;   // st_mem, mtae: 0 = PatchSizeFor(segment_len); mlae: 1 lead per patch
  double mask_ratio = 0.75;  // pretraining only; Embed never masks

  // MERL.
  std::vector<int64_t> resnet_blocks;  // Bottleneck blocks per stage; base: {3, 4, 23, 3} (ResNet-101)
  int64_t resnet_width = 0;            // first stage width; stages w, 2w, 4w, 8w (x4 out); base 64
  int64_t merl_dim = 0;                // projection / attention-pool width; base 256
  int64_t merl_heads = 0;              // attention-pool heads; base 4
  int64_t text_dim = 0;                // frozen text encoder width (MedCPT pooler); base 768
  double merl_dropout = 0.1;           // the two "views"
};

inline constexpr double kDefaultMaskRatio = 0.75;

// Upstream's rule (ECG-Bench calculate_patch_size): among the divisors p of L giving 16..64
// patches, the one whose patch count L / p is closest to 32 (the smallest p on a tie); without
// such a divisor, the divisor closest to floor(sqrt(L / 32)). 500 -> 20, 1250 -> 50, 2500 -> 100.
int64_t PatchSizeFor(int64_t segment_len);

// Fills preset values and checks the result: InvalidArgument "ecg encoder option 'FIELD': REASON"
// for an unknown kind or preset, non-positive sizes, a segment length the patch size does not
// divide, a width not divisible by its heads or odd (sin-cos positions), a mask ratio outside
// [0, 1) or one that keeps no patch, a resnet_blocks list that is not 4 positive counts.
absl::StatusOr<EcgEncoderOptions> ResolveEcgEncoderOptions(const EcgEncoderOptions& options);

// Base of every ECG encoder. Parameter names (named_parameters / named_buffers) are the upstream
// state-dict names without the ELM wrapper's prefix; encoder_io.h saves and loads them.
class EcgEncoder : public torch::nn::Module {
 public:
  explicit EcgEncoder(EcgEncoderOptions resolved) : options_(std::move(resolved)) {}
  ~EcgEncoder() override = default;

  // What the ELM injects: [B, num_leads, segment_len] (any floating dtype; converted to the
  // weights' dtype, as upstream; projection: float32) -> [B, num_tokens, embed_dim()] on the
  // signal's device (which must be the module's). Deterministic (no masking, no dropout, BatchNorm
  // running statistics, whatever is_training() says) and row-independent. Gradients flow when
  // grad mode is on; callers wrap it in torch::NoGradGuard for a frozen encoder (upstream's
  // get_encoder_embeddings always runs under no_grad). REQUIRES num_tokens >= 1 (projection: 1).
  virtual torch::Tensor Embed(const torch::Tensor& signal, int64_t num_tokens) = 0;
  virtual int64_t embed_dim() const = 0;

  const EcgEncoderOptions& options() const { return options_; }

 protected:
  // Throws c10::Error unless `signal` is a floating [B, num_leads, segment_len] tensor.
  void CheckSignal(const torch::Tensor& signal) const;

 private:
  EcgEncoderOptions options_;
};

// Encoder-free ELM ("projection"): no parameters; Embed returns the flattened signal, lead-major
// (lead 0's samples, then lead 1's, ...), as one token [B, 1, num_leads * L]. The ELM's
// Linear(num_leads * L -> hidden) is the ELM's projection, as upstream (projection_dim = 12 L).
class ProjectionEncoder : public EcgEncoder {
 public:
  explicit ProjectionEncoder(EcgEncoderOptions resolved) : EcgEncoder(std::move(resolved)) {}
  torch::Tensor Embed(const torch::Tensor& signal, int64_t num_tokens) override;
  int64_t embed_dim() const override { return options().num_leads * options().segment_len; }
};

// Resolves `options` and builds the encoder with seeded initial weights (upstream's schemes:
// xavier-uniform / sin-cos / N(0, 0.02) for the ViT family, PyTorch's defaults for MERL), float32
// on the CPU, in training mode. Errors: those of ResolveEcgEncoderOptions.
absl::StatusOr<std::shared_ptr<EcgEncoder>> CreateEcgEncoder(const EcgEncoderOptions& options);

}  // namespace ecgbench::worker::nn
