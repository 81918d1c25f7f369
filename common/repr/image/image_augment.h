// Seeded imgaug-like augmentation of ECG images, as upstream's --augment_ecg_image:
//   Sometimes(p_apply = 0.6, Sequential([
//     Sometimes(0.5, Multiply((0.8, 1.2))),
//     Sometimes(0.5, Affine(rotate=(-5, 5))),            bilinear; fill: white (see RotateFill)
//     Sometimes(0.5, GaussianBlur(sigma=(0, 1.5))),
//     Sometimes(0.5, AddToHueAndSaturation((-30, 30), per_channel=True))]))
// per_channel=True: the hue and the saturation shifts are drawn independently (integers, as imgaug
// draws them for an integer range). The randomness of one image depends only on (seed, sample
// index, epoch): DetRandom(seed, kImageAugment, sample index, epoch) of common/util/det_random.h
// (std::mt19937_64 with our own mappings) and a fixed draw order, so it is the same on every
// machine and thread.
#pragma once

#include <cstdint>
#include <vector>

#include "common/repr/image/image_ops.h"
#include "common/repr/image/rgb_image.h"

namespace ecgbench::common::repr {

struct ImageAugmentOptions {
  double p_apply = 0.6;  // probability that the augmenter runs at all
  double p_each = 0.5;   // probability of each op when it runs
  double multiply_min = 0.8, multiply_max = 1.2;
  double rotate_max_degrees = 5;  // U(-max, max)
  double blur_sigma_max = 1.5;    // U(0, max)
  int hue_saturation_max = 30;    // integer U{-max..max} for hue and for saturation
  RotateFill rotate_fill = RotateFill::kWhite;
};

// What one draw decided; the ops run in this order.
struct ImageAugmentParams {
  bool applied = false;  // the outer Sometimes(p_apply) fired
  bool multiply = false;
  double multiply_factor = 1;
  bool rotate = false;
  double rotate_degrees = 0;
  bool blur = false;
  double blur_sigma = 0;
  bool hue_saturation = false;
  int hue_shift = 0, saturation_shift = 0;

  bool changes_image() const { return applied && (multiply || rotate || blur || hue_saturation); }
};

// The draw for one image. Pure; thread-safe. Draw order: outer u, then for each op (u, value...),
// values drawn whether or not the op fires: DetRandom::Uniform() for u, Uniform(lo, hi) for the
// factor, angle and sigma, UniformIntInclusive for the hue and saturation shifts.
ImageAugmentParams SampleImageAugment(const ImageAugmentOptions& options, uint64_t seed, int64_t sample_index,
                                      int64_t epoch);

// Applies draws to images, reusing its work buffers (no allocations once warmed up on a size).
// Not thread-safe: one augmenter per thread.
class ImageAugmenter {
 public:
  explicit ImageAugmenter(const ImageAugmentOptions& options = {}) : options_(options) {}

  // Leaves *image untouched when !params.changes_image().
  void Apply(const ImageAugmentParams& params, RgbImage* image);
  // SampleImageAugment + Apply; returns the draw.
  ImageAugmentParams Augment(uint64_t seed, int64_t sample_index, int64_t epoch, RgbImage* image);

  const ImageAugmentOptions& options() const { return options_; }

 private:
  ImageAugmentOptions options_;
  RgbImage rotate_scratch_;
  std::vector<float> blur_scratch_, blur_kernel_;
};

}  // namespace ecgbench::common::repr
