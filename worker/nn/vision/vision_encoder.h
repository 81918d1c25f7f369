// The vision encoders of the image ELMs (CLIP, SigLIP, ViT) behind one interface, and their
// Hugging Face checkpoint I/O. A VisionEncoder is a torch::nn::Module whose named_parameters() are
// the checkpoint's tensor names (vision_model.encoder.layers.0.self_attn.q_proj.weight, ...), so
// optimizers, freezing, .to(device) and LoRA targeting work on it directly. The concrete towers
// are in vision_models.h (ViT adds masked image modeling there).
//
// Input: pixels [B, num_channels, image_size, image_size], floating, already resized and
// normalised by the model's processor (common/repr/image). Inference is deterministic: no dropout
// (every supported checkpoint has dropout 0) and no random masking (upstream drew a random 75 %
// ViT patch mask even at ELM inference; docs/encoders-vision.md). Bad input throws c10::Error
// (TORCH_CHECK) naming the expected and the given shape; the I/O functions return absl::Status.
// Thread-safety: a module instance is not thread-safe (LibTorch modules are not).
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model_io/checkpoint.h"
#include "common/model_io/dtype.h"
#include "worker/nn/vision/vision_config.h"

namespace ecgbench::worker::nn {

class VisionEncoder : public torch::nn::Module {
 public:
  explicit VisionEncoder(VisionConfig config) : config_(std::move(config)) {}

  const VisionConfig& config() const { return config_; }
  // CLIP: projection_dim; SigLIP and ViT: hidden_size.
  int64_t embed_dim() const { return config_.embed_dim(); }

  // The embedding upstream's ELMs consume, [B, embed_dim]:
  //   CLIP   CLIPModel's image_embeds: visual_projection(post_layernorm(h[:, 0])) / its L2 norm
  //   SigLIP SiglipModel's image_embeds: pooler_output (attention-pooling head) / its L2 norm
  //   ViT    mean over hidden_states (embeddings output + every layer), then over all tokens
  torch::Tensor Embed(const torch::Tensor& pixels);
  // Before the L2 normalisation: CLIP get_image_features, SigLIP pooler_output; ViT as Embed.
  virtual torch::Tensor Features(const torch::Tensor& pixels) = 0;

 protected:
  // Throws c10::Error unless `pixels` is floating [B >= 1, num_channels, image_size, image_size];
  // returns it on `like`'s device and dtype.
  torch::Tensor CheckPixels(const torch::Tensor& pixels, const torch::Tensor& like) const;

 private:
  VisionConfig config_;
};

struct VisionLoadOptions {
  // ViT: build embeddings.mask_token and the SimMIM decoder (ViTForMaskedImageModeling) even when
  // the checkpoint is a plain ViTModel (vit-base-patch16-224-in21k, as upstream loads it); the
  // tensors the checkpoint lacks start as transformers initialises them (mask_token zeros, decoder
  // weight ~ trunc_normal(0, initializer_range), bias zeros), seeded by `init_seed`, with a warning.
  bool masked_image_modeling = false;
  uint64_t init_seed = 0;
};

// The tower `config` describes, float32 on CPU, weights as LibTorch initialises them.
absl::StatusOr<std::shared_ptr<VisionEncoder>> CreateVisionEncoder(const VisionConfig& config);

// `dir`/config.json and its weights (model.safetensors or a sharded index), float32 on CPU, in
// eval mode. Every parameter must be present with its exact shape; tensors the tower does not have
// are errors, except those of the parts we do not build: CLIP's and SigLIP's text tower
// (text_model.*, text_projection.weight, logit_scale, logit_bias), position_ids buffers, ViT's
// pooler.* and classifier.*. ViT checkpoints may use ViTModel names or ViTForMaskedImageModeling's
// ("vit." prefix, decoder.0.*); one holding embeddings.mask_token loads as masked image modeling.
// Errors (InvalidArgument unless the file is missing) name the checkpoint, the tensor and both shapes.
absl::StatusOr<std::shared_ptr<VisionEncoder>> LoadVisionEncoder(const std::string& dir,
                                                                 const VisionLoadOptions& options = {});
// Copies `checkpoint`'s tensors into `encoder` (the checks of LoadVisionEncoder).
absl::Status LoadVisionWeights(VisionEncoder& encoder, const common::model_io::Checkpoint& checkpoint,
                               const VisionLoadOptions& options = {});

// Writes `dir`/model.safetensors (tensors stored as `dtype`: F32, F16 or BF16) under the names
// transformers' CLIPModel / SiglipModel / ViTModel (ViTForMaskedImageModeling for a masked-image-
// modeling ViT) load, and `dir`/config.json; each atomically; creates `dir`.
absl::Status SaveVisionEncoder(VisionEncoder& encoder, const std::string& dir,
                               common::model_io::DType dtype = common::model_io::DType::kF32);

// Seeded random weights for tests and benchmarks: every tensor ~ N(0, stddev^2), LayerNorm weights
// 1 + N(0, stddev^2). Same seed, same weights.
void RandomInit(VisionEncoder& encoder, uint64_t seed, double stddev);

}  // namespace ecgbench::worker::nn
