// config.json of a Hugging Face vision encoder, parsed into one typed VisionConfig for the three
// families the ELMs use: CLIP (model_type "clip", CLIPModel: the vision tower + visual_projection),
// SigLIP ("siglip", SiglipModel: the vision tower with its attention-pooling head) and ViT ("vit",
// ViTModel or ViTForMaskedImageModeling). Torch-free; pure functions, thread-safe.
//
// Where the fields live: CLIP and SigLIP keep the tower's sizes in the "vision_config" sub-object
// (CLIP's projection_dim is top-level: CLIPModel sizes visual_projection from it); ViT keeps them at
// the top level. Defaults: an absent (or null) field takes the default of transformers'
// CLIPVisionConfig / SiglipVisionConfig / ViTConfig, which describe exactly the base checkpoints
// (clip-vit-base-patch32, siglip-base-patch16-224, vit-base-patch16-224-in21k); real SigLIP
// configs rely on them (their vision_config often holds only patch_size).
// Errors (InvalidArgument) name the file and the field ("vision_config.patch_size"): a wrong JSON
// type, a non-positive size, a patch size not dividing the image size, heads not dividing the
// width, an unsupported activation or model_type, a SigLIP tower without its head.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ecgbench::worker::nn {

enum class VisionArchitecture { kClip, kSiglip, kVit };
// "clip", "siglip", "vit" (the top-level model_type).
std::string_view VisionArchitectureName(VisionArchitecture arch);

// ACT2FN names: quick_gelu (x * sigmoid(1.702 x), CLIP), gelu (erf, ViT), gelu_pytorch_tanh /
// gelu_new / gelu_fast (the tanh approximation, SigLIP).
enum class VisionActivation { kQuickGelu, kGelu, kGeluTanh };

struct VisionConfig {
  VisionArchitecture architecture = VisionArchitecture::kVit;
  std::string model_type;       // "clip", "siglip" or "vit"
  int64_t image_size = 224;     // square images only (as every checkpoint we use)
  int64_t patch_size = 16;      // CLIP default 32
  int64_t num_channels = 3;
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  double layer_norm_eps = 1e-12;  // CLIP 1e-5, SigLIP 1e-6, ViT 1e-12
  VisionActivation hidden_act = VisionActivation::kGelu;
  std::string hidden_act_name = "gelu";  // the config's spelling, written back by Save
  double initializer_range = 0.02;       // std of fresh weights (ViT's mask_token / SimMIM decoder)
  int64_t projection_dim = 512;          // CLIP: visual_projection's output width
  bool qkv_bias = true;                  // ViT: query/key/value biases
  int64_t encoder_stride = 16;           // ViT SimMIM: PixelShuffle factor (== patch_size)
  // ViT: the model has embeddings.mask_token and the SimMIM decoder (ViTForMaskedImageModeling,
  // checkpoint names prefixed "vit."). Set from "architectures" or by the loader (vision_encoder.h).
  bool masked_image_modeling = false;

  int64_t patches_per_side() const { return image_size / patch_size; }
  int64_t num_patches() const { return patches_per_side() * patches_per_side(); }
  // Tokens through the encoder: CLIP and ViT prepend a class token; SigLIP has none.
  int64_t sequence_length() const { return num_patches() + (architecture == VisionArchitecture::kSiglip ? 0 : 1); }
  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  // Width of the image embedding: CLIP projection_dim, SigLIP and ViT hidden_size.
  int64_t embed_dim() const { return architecture == VisionArchitecture::kClip ? projection_dim : hidden_size; }
};

// A config with the family's defaults (the base checkpoint's sizes).
VisionConfig DefaultVisionConfig(VisionArchitecture arch);

// `file_name` is used in messages only.
absl::StatusOr<VisionConfig> ParseVisionConfig(std::string_view json_text, std::string_view file_name);
// `path` is a config.json or a directory holding one.
absl::StatusOr<VisionConfig> LoadVisionConfig(const std::string& path);
// config.json text in transformers' layout (CLIPConfig / SiglipConfig / ViTConfig field names and
// nesting, "architectures" CLIPModel / SiglipModel / ViTModel or ViTForMaskedImageModeling), so
// ParseVisionConfig and transformers' AutoConfig read back the same tower. Validates first.
absl::StatusOr<std::string> SerializeVisionConfig(const VisionConfig& config);
// The checks ParseVisionConfig applies, for configs built in code ("config" names the source).
absl::Status ValidateVisionConfig(const VisionConfig& config, const std::string& file_name = "vision config");

}  // namespace ecgbench::worker::nn
