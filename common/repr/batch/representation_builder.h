// RepresentationBuilder: one stored segment (12 x L float32 mV, lead-major) -> one model input, for
// each representation kind (upstream HEAD's dataloaders; reference section 3):
//   signal          normalize -> perturb (noise AFTER normalization, as upstream's ECGSignal)
//                   -> float32 [12 x L]
//   stacked_signal  perturb -> normalize + stack (uint8 12 x L x 3, stacked.h) -> vision processor
//                   -> float32 [3 x H x W]
//   image           perturb -> render the raw mV (ecg_plot.h, DefaultEcgPlotOptions(layout)) ->
//                   optional augmentation (image_augment.h) -> vision processor -> float32 [3 x H x W]
//   token           perturb -> normalize -> symbols (symbols.h) -> ECG-Byte ids, longest match,
//                   truncated to the first max_tokens ids when max_tokens > 0 -> int32 [T]
//   features        perturb -> the 288 RAG features of the raw mV (common/rag/ecg_features.h, 24
//                   per lead) -> signed log compression sign(f) log(1 + |f|) (the features span
//                   ten orders of magnitude: spectral power next to durations) -> float32 [12 x 24]
// Perturbations: noise as perturb.h; blackout replaces the segment by zeros at the same point of the
// pipeline (signal: the output is all zeros; token: the symbols of a zero signal; stacked_signal /
// image: the processed picture of a zero signal); no_signal skips the segment altogether: has_ecg is
// false, a dense output is all zeros and a token output is empty (the collator builds a text-only
// example).
// Randomness (noise, augmentation) depends only on (options.seed, sample_index, epoch).
//
// Ownership and threads: one builder per loader thread. It owns its workspaces (normalization
// buffer, stacked image, renderer, augmenter, vision workspace, symbol string), so after the first
// sample of a given length no call allocates (the token output vector aside, which only grows).
// Not thread-safe. Errors are InvalidArgument naming the sample: "sample 7: normalize: input[37] is nan".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/rag/ecg_features.h"
#include "common/repr/batch/representation_options.h"
#include "common/repr/image/ecg_plot.h"
#include "common/repr/image/image_augment.h"
#include "common/repr/image/rgb_image.h"
#include "common/repr/signal/vision_processor.h"

namespace ecgbench::common::repr {

inline constexpr int kSegmentLeads = 12;

// One built sample (reused between calls: its vectors keep their capacity).
struct RepresentationSample {
  bool has_ecg = true;             // false for no_signal
  std::vector<int64_t> shape;      // dense kinds: {12, L} or {3, H, W}; token: {T}
  std::vector<float> values;       // dense kinds: the product of shape floats, C order
  std::vector<int32_t> token_ids;  // token: the ids; empty for the dense kinds
};

class RepresentationBuilder {
 public:
  // InvalidArgument when options.Validate() fails or the vision config is unusable.
  static absl::StatusOr<std::unique_ptr<RepresentationBuilder>> Create(const RepresentationOptions& options);
  ~RepresentationBuilder();
  RepresentationBuilder(const RepresentationBuilder&) = delete;
  RepresentationBuilder& operator=(const RepresentationBuilder&) = delete;

  const RepresentationOptions& options() const { return options_; }
  bool is_dense() const { return options_.kind != RepresentationKind::kToken; }

  // The shape of one dense sample for segments of `length` samples: signal {12, L}, stacked_signal
  // and image {3, H, W}. InvalidArgument for kind token, length <= 0, or a size the renderer or the
  // vision processor refuses.
  absl::StatusOr<std::vector<int64_t>> DenseShape(int64_t length) const;

  // Builds sample `sample_index` (>= 0) of epoch `epoch` (>= 0) from `segment` (12 * length floats)
  // into *out, whatever the kind.
  absl::Status Build(const float* segment, int64_t length, int64_t sample_index, int epoch,
                     RepresentationSample* out);
  // Dense kinds: writes the sample into `out` (exactly the product of DenseShape(length) floats).
  absl::Status BuildDense(const float* segment, int64_t length, int64_t sample_index, int epoch,
                          absl::Span<float> out, bool* has_ecg);
  // Kind token: replaces *ids by the sample's ids.
  absl::Status BuildTokens(const float* segment, int64_t length, int64_t sample_index, int epoch,
                           std::vector<int32_t>* ids, bool* has_ecg);

 private:
  RepresentationBuilder(const RepresentationOptions& options, std::optional<VisionProcessor> processor);
  // Computes the dense shape for `length` unless it is the cached one.
  absl::Status EnsureShape(int64_t length);
  absl::Status CheckCall(const float* segment, int64_t length, int64_t sample_index, int epoch) const;
  // The raw segment after the pre-normalization perturbation (noise or blackout), in work_; or the
  // segment itself when there is none.
  absl::StatusOr<const float*> PerturbedRaw(const float* segment, int64_t length, int64_t sample_index,
                                            int epoch);
  absl::Status BuildSignal(const float* segment, int64_t length, int64_t sample_index, int epoch,
                           absl::Span<float> out);
  absl::Status BuildStacked(const float* raw, int64_t length, absl::Span<float> out);
  absl::Status BuildFeatures(const float* raw, int64_t length, absl::Span<float> out);
  absl::Status BuildImage(const float* raw, int64_t length, int64_t sample_index, int epoch,
                          absl::Span<float> out);

  RepresentationOptions options_;
  std::optional<VisionProcessor> processor_;  // stacked_signal and image only
  VisionWorkspace vision_workspace_;
  std::unique_ptr<EcgRenderer> renderer_;   // image only
  std::unique_ptr<ImageAugmenter> augmenter_;  // image with augment only
  std::vector<float> work_;        // 12 * L: the perturbed / normalized signal
  std::vector<uint8_t> stacked_;   // 12 * L * 3: the stacked signal
  RgbImage image_;                 // the rendered (and augmented) image
  std::string symbols_;            // the token kind's symbols
  std::unique_ptr<rag::EcgFeatureExtractor> features_;  // features only
  std::vector<double> feature_values_;                 // features only: 288
  int64_t cached_length_ = -1;     // the length cached_shape_ was computed for
  std::vector<int64_t> cached_shape_;
  int64_t cached_size_ = 0;        // product of cached_shape_
};

}  // namespace ecgbench::common::repr
