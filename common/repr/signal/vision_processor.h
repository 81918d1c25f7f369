// The HF image processors' pixel path on a uint8 RGB image (HWC), as transformers' slow processors
// do it (image_transforms.py): resize with PIL (pil_resize.h) -> center crop -> rescale -> normalize
// -> channels first. Output: float32 CHW [3 x out_h x out_w] (224 x 224 for the presets).
// - resize: kShortestEdge gives (h, w) = get_resize_output_image_size(default_to_square=False): the
//   short side becomes s, the long side int(s * long / short) (float64 division, truncation), so a
//   12 x 1250 stacked signal becomes 224 x 23333 under CLIP; kHeightWidth gives height x width.
// - center crop (crop_h x crop_w from an h x w image): top = floor((h - crop_h) / 2), left likewise;
//   when the crop is larger than the image, the missing pixels are zeros (uint8 0), placed as
//   transformers' padding does (the formula above covers both cases).
// - rescale: float32(double(v) * rescale_factor); normalize: (x - mean[c]) / std[c] in float32 (a
//   non-rescaled image is first cast to float32, as transformers' normalize does).
// Only the cropped region is resampled (no full-size intermediate): the values are the same.
// VisionProcessor is immutable and thread-safe; each thread brings its own VisionWorkspace.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/repr/signal/pil_resize.h"
#include "common/repr/signal/vision_config.h"

namespace ecgbench::common::repr {

// Per-thread cache: the resize plan of the last input size and scratch buffers. Not thread-safe.
class VisionWorkspace {
 public:
  VisionWorkspace() = default;

 private:
  friend class VisionProcessor;
  std::optional<PilResizePlan> plan_;
  PilResizeScratch scratch_;
  std::vector<uint8_t> pixels_;  // the resized region (uint8 HWC)
};

class VisionProcessor {
 public:
  // InvalidArgument for a config with non-positive sizes or a zero std.
  static absl::StatusOr<VisionProcessor> Create(const VisionProcessorConfig& config);

  const VisionProcessorConfig& config() const { return config_; }
  // (height, width) of the output for an in_h x in_w input. InvalidArgument for non-positive sizes
  // or a shortest-edge resize whose long side would exceed 2^24 pixels.
  absl::StatusOr<std::pair<int, int>> OutputSize(int in_h, int in_w) const;
  // (height, width) after the resize step alone (the input size when do_resize is false).
  absl::StatusOr<std::pair<int, int>> ResizedSize(int in_h, int in_w) const;

  // image: in_h x in_w x 3 uint8 (HWC); out: 3 * out_h * out_w floats (CHW). InvalidArgument when
  // sizes do not match. No allocation when `workspace` already served an input of the same size.
  absl::Status Process(absl::Span<const uint8_t> image, int in_h, int in_w, VisionWorkspace* workspace,
                       absl::Span<float> out) const;

 private:
  explicit VisionProcessor(const VisionProcessorConfig& config);
  VisionProcessorConfig config_;
  std::array<std::array<float, 256>, 3> lut_;  // uint8 value -> output float, per channel
};

}  // namespace ecgbench::common::repr
