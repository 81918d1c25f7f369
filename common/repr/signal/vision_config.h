// The preprocessing settings of a Hugging Face image processor (CLIPImageProcessor,
// SiglipImageProcessor, ViTImageProcessor; transformers' slow, PIL-based processors): built-in
// presets for the encoders upstream uses and a loader for a model's preprocessor_config.json.
// Pure data and pure functions; thread-safe.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/repr/signal/pil_resize.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::repr {

enum class ResizeMode {
  kShortestEdge,  // size {"shortest_edge": s}: short side -> s, long side int(s * long / short)
  kHeightWidth,   // size {"height", "width"}: exact output size
};

struct VisionProcessorConfig {
  std::string name;  // "clip", "siglip", "vit" or the file it was loaded from
  bool do_resize = true;
  ResizeMode resize_mode = ResizeMode::kHeightWidth;
  int shortest_edge = 224;
  int height = 224;
  int width = 224;
  ResampleFilter resample = ResampleFilter::kBicubic;
  bool do_center_crop = false;
  int crop_height = 224;
  int crop_width = 224;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  // As float32, like np.array(mean, dtype=np.float32) in transformers' normalize().
  std::array<float, 3> image_mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std = {0.5f, 0.5f, 0.5f};
};

// openai/clip-vit-*: shortest edge 224 BICUBIC, center crop 224 x 224, 1/255, OpenAI CLIP mean/std.
VisionProcessorConfig ClipPreset();
// google/siglip-*: 224 x 224 BICUBIC, 1/255, mean = std = 0.5.
VisionProcessorConfig SiglipPreset();
// google/vit-*: 224 x 224 BILINEAR, 1/255, mean = std = 0.5.
VisionProcessorConfig VitPreset();
// "clip" | "siglip" | "vit"; InvalidArgument listing them otherwise.
absl::StatusOr<VisionProcessorConfig> VisionPresetByName(std::string_view name);

// A preprocessor_config.json. The processor class (image_processor_type or feature_extractor_type:
// CLIP*, Siglip*, ViT*) picks the preset whose defaults fill absent fields, and how an integer
// "size" reads (CLIP: shortest edge; others: square). Fields read: do_resize, size
// ({shortest_edge} | {height, width} | int), resample (2 | 3), do_center_crop, crop_size
// ({height, width} | int), do_rescale, rescale_factor, do_normalize, image_mean, image_std (3
// numbers or one), do_convert_rgb (true or absent). Other fields are ignored, except an unknown
// "do_*" set to true (a step we do not implement). Errors (InvalidArgument) name `what` and the field.
absl::StatusOr<VisionProcessorConfig> ParsePreprocessorConfig(const nlohmann::json& json, std::string_view what);
absl::StatusOr<VisionProcessorConfig> LoadPreprocessorConfig(const std::string& path);

}  // namespace ecgbench::common::repr
