// Seeded draws and application of the image augmentations (see image_augment.h).
#include "common/repr/image/image_augment.h"

#include "common/util/det_random.h"

namespace ecgbench::common::repr {

ImageAugmentParams SampleImageAugment(const ImageAugmentOptions& o, uint64_t seed, int64_t sample_index,
                                      int64_t epoch) {
  DetRandom u(seed, RandomStream::kImageAugment, static_cast<uint64_t>(sample_index), static_cast<uint64_t>(epoch));
  ImageAugmentParams p;
  p.applied = u.Uniform() < o.p_apply;
  p.multiply = u.Uniform() < o.p_each;
  p.multiply_factor = u.Uniform(o.multiply_min, o.multiply_max);
  p.rotate = u.Uniform() < o.p_each;
  p.rotate_degrees = u.Uniform(-o.rotate_max_degrees, o.rotate_max_degrees);
  p.blur = u.Uniform() < o.p_each;
  p.blur_sigma = u.Uniform(0, o.blur_sigma_max);
  p.hue_saturation = u.Uniform() < o.p_each;
  p.hue_shift = static_cast<int>(u.UniformIntInclusive(-o.hue_saturation_max, o.hue_saturation_max));
  p.saturation_shift = static_cast<int>(u.UniformIntInclusive(-o.hue_saturation_max, o.hue_saturation_max));
  return p;
}

void ImageAugmenter::Apply(const ImageAugmentParams& p, RgbImage* image) {
  if (!p.changes_image()) return;
  if (p.multiply) MultiplyBrightness(p.multiply_factor, image);
  if (p.rotate) Rotate(p.rotate_degrees, options_.rotate_fill, image, &rotate_scratch_);
  if (p.blur) GaussianBlur(p.blur_sigma, image, &blur_scratch_, &blur_kernel_);
  if (p.hue_saturation) AddToHueAndSaturation(p.hue_shift, p.saturation_shift, image);
}

ImageAugmentParams ImageAugmenter::Augment(uint64_t seed, int64_t sample_index, int64_t epoch, RgbImage* image) {
  const ImageAugmentParams p = SampleImageAugment(options_, seed, sample_index, epoch);
  Apply(p, image);
  return p;
}

}  // namespace ecgbench::common::repr
