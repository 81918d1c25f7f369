// Image augmentations: reproducible draws from (seed, index, epoch), the probabilities, identity
// when not applied, and each op's measurable effect (brightness ratio, a rotated line's angle,
// blur's loss of high-frequency energy, hue and saturation shifts).
#include "common/repr/image/image_augment.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/repr/image/image_ops.h"

namespace ecgbench::common::repr {
namespace {

constexpr double kPi = 3.14159265358979323846;

RgbImage Pattern(int w, int h) {
  RgbImage image(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = image.at(x, y);
      p[0] = static_cast<uint8_t>(40 + (x * 7 + y * 3) % 150);
      p[1] = static_cast<uint8_t>(30 + (x * 2 + y * 11) % 160);
      p[2] = static_cast<uint8_t>(50 + ((x / 3 + y / 2) % 2) * 120);
    }
  }
  return image;
}

double Mean(const RgbImage& image) {
  double s = 0;
  for (uint8_t v : image.pixels) s += v;
  return s / static_cast<double>(image.pixels.size());
}

// Sum of squared differences between horizontally and vertically adjacent bytes.
double HighFrequencyEnergy(const RgbImage& image) {
  double e = 0;
  for (int y = 0; y + 1 < image.height; ++y) {
    for (int x = 0; x + 1 < image.width; ++x) {
      for (int c = 0; c < 3; ++c) {
        const double v = image.at(x, y)[c];
        e += (v - image.at(x + 1, y)[c]) * (v - image.at(x + 1, y)[c]) + (v - image.at(x, y + 1)[c]) * (v - image.at(x, y + 1)[c]);
      }
    }
  }
  return e;
}

TEST(ImageAugmentTest, DrawsAreReproducibleAndFollowTheProbabilities) {
  const ImageAugmentOptions options;
  const ImageAugmentParams a = SampleImageAugment(options, 42, 7, 3);
  const ImageAugmentParams b = SampleImageAugment(options, 42, 7, 3);
  EXPECT_EQ(a.applied, b.applied);
  EXPECT_EQ(a.multiply_factor, b.multiply_factor);
  EXPECT_EQ(a.rotate_degrees, b.rotate_degrees);
  EXPECT_EQ(a.blur_sigma, b.blur_sigma);
  EXPECT_EQ(a.hue_shift, b.hue_shift);
  EXPECT_EQ(a.saturation_shift, b.saturation_shift);

  const int n = 20000;
  int applied = 0, multiply = 0, rotate = 0, blur = 0, hue = 0, epoch_differs = 0, hue_differs_sat = 0;
  int hue_min = 0, hue_max = 0;
  for (int i = 0; i < n; ++i) {
    const ImageAugmentParams p = SampleImageAugment(options, 42, i, 0);
    applied += p.applied;
    multiply += p.applied && p.multiply;
    rotate += p.applied && p.rotate;
    blur += p.applied && p.blur;
    hue += p.applied && p.hue_saturation;
    EXPECT_TRUE(p.multiply_factor >= 0.8 && p.multiply_factor < 1.2);
    EXPECT_TRUE(p.rotate_degrees >= -5 && p.rotate_degrees < 5);
    EXPECT_TRUE(p.blur_sigma >= 0 && p.blur_sigma < 1.5);
    hue_min = std::min(hue_min, p.hue_shift), hue_max = std::max(hue_max, p.hue_shift);
    hue_differs_sat += p.hue_shift != p.saturation_shift;
    epoch_differs += SampleImageAugment(options, 42, i, 1).rotate_degrees != p.rotate_degrees;
  }
  EXPECT_NEAR(applied / double(n), 0.6, 0.015);
  for (int count : {multiply, rotate, blur, hue}) EXPECT_NEAR(count / double(n), 0.3, 0.015);
  EXPECT_EQ(hue_min, -30);
  EXPECT_EQ(hue_max, 30);
  EXPECT_GT(hue_differs_sat, n * 9 / 10);  // per_channel: independent hue and saturation draws
  EXPECT_EQ(epoch_differs, n);
  EXPECT_NE(SampleImageAugment(options, 43, 7, 3).rotate_degrees, a.rotate_degrees);
}

TEST(ImageAugmentTest, IdentityWhenNotAppliedAndSameImageForSameKey) {
  ImageAugmenter augmenter;
  const RgbImage original = Pattern(64, 48);
  int untouched = 0, changed = 0;
  for (int i = 0; i < 40; ++i) {
    RgbImage image = original;
    const ImageAugmentParams p = augmenter.Augment(5, i, 0, &image);
    if (!p.changes_image()) {
      EXPECT_TRUE(image == original) << i;
      ++untouched;
    } else {
      ++changed;
      RgbImage again = original;
      ImageAugmenter other;
      other.Augment(5, i, 0, &again);
      EXPECT_TRUE(again == image) << i;
    }
  }
  EXPECT_GT(untouched, 5);
  EXPECT_GT(changed, 5);
  // Drawn but not applied (outer coin lost): untouched even with every op's flag set.
  ImageAugmentParams p;
  p.applied = false;
  p.multiply = p.rotate = p.blur = p.hue_saturation = true;
  p.multiply_factor = 1.2;
  RgbImage image = original;
  augmenter.Apply(p, &image);
  EXPECT_TRUE(image == original);
}

TEST(ImageAugmentTest, MultiplyScalesBrightness) {
  RgbImage image = Pattern(50, 40);  // values <= 190: no clipping at 1.2
  const double before = Mean(image);
  ImageAugmentParams p;
  p.applied = p.multiply = true;
  p.multiply_factor = 1.17;
  ImageAugmenter().Apply(p, &image);
  EXPECT_NEAR(Mean(image) / before, 1.17, 0.003);
  RgbImage grey(4, 4, 100);
  MultiplyBrightness(0.8, &grey);
  EXPECT_EQ(grey.pixels[0], 80);
  RgbImage bright(2, 2, 250);
  MultiplyBrightness(1.2, &bright);
  EXPECT_EQ(bright.pixels[0], 255);
  MultiplyBrightness(1.005, &grey);
  EXPECT_EQ(grey.pixels[5], 80);  // 80.4 rounds to 80
}

TEST(ImageAugmentTest, RotateTurnsALineClockwise) {
  // A horizontal dark line through the centre of a white 200 x 120 image.
  RgbImage image(200, 120, 255);
  for (int x = 0; x < 200; ++x) {
    for (int y = 59; y <= 60; ++y) {
      uint8_t* p = image.at(x, y);
      p[0] = p[1] = p[2] = 0;
    }
  }
  RgbImage scratch;
  Rotate(4.0, RotateFill::kWhite, &image, &scratch);
  // Least-squares slope of the per-column darkness centroids (columns 40..159).
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  for (int x = 40; x < 160; ++x) {
    double w = 0, wy = 0;
    for (int y = 0; y < 120; ++y) {
      const double d = 255 - image.at(x, y)[0];
      w += d, wy += d * (y + 0.5);
    }
    const double cy = wy / w, cx = x + 0.5;
    sx += cx, sy += cy, sxx += cx * cx, sxy += cx * cy;
    ++n;
  }
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  EXPECT_NEAR(std::atan(slope) * 180 / kPi, 4.0, 0.05);  // y down: clockwise = positive slope
  // The line still passes through the centre, and corners are filled with white.
  EXPECT_LT(image.at(100, 59)[0], 100);
  EXPECT_EQ(image.at(0, 0)[0], 255);

  RgbImage black(40, 40, 0);
  Rotate(5.0, RotateFill::kWhite, &black, &scratch);
  EXPECT_GT(black.at(0, 0)[0], 200);
  RgbImage black2(40, 40, 0);
  Rotate(5.0, RotateFill::kEdge, &black2, &scratch);
  EXPECT_EQ(black2.at(0, 0)[0], 0);
  RgbImage same = Pattern(30, 20), copy = same;
  Rotate(0.0, RotateFill::kWhite, &same, &scratch);
  EXPECT_TRUE(same == copy);
}

TEST(ImageAugmentTest, BlurRemovesHighFrequencyEnergy) {
  const RgbImage original = Pattern(60, 40);
  std::vector<float> scratch, kernel;
  RgbImage image = original;
  GaussianBlur(0.005, &image, &scratch, &kernel);
  EXPECT_TRUE(image == original);
  double previous = HighFrequencyEnergy(original);
  for (double sigma : {0.5, 1.0, 1.5}) {
    image = original;
    GaussianBlur(sigma, &image, &scratch, &kernel);
    const double e = HighFrequencyEnergy(image);
    EXPECT_LT(e, previous * 0.8) << sigma;
    EXPECT_NEAR(Mean(image), Mean(original), 1.0) << sigma;
    previous = e;
  }
  EXPECT_EQ(kernel.size(), 11u);  // radius ceil(3 * 1.5) = 5
  RgbImage flat(9, 7, 77);
  GaussianBlur(1.2, &flat, &scratch, &kernel);
  EXPECT_EQ(flat, RgbImage(9, 7, 77));
  RgbImage tiny(1, 1, 9);
  GaussianBlur(1.0, &tiny, &scratch, &kernel);
  EXPECT_EQ(tiny.pixels[0], 9);
}

TEST(ImageAugmentTest, HueAndSaturationShift) {
  EXPECT_EQ(RgbToHsv8(255, 0, 0).h, 0);
  EXPECT_EQ(RgbToHsv8(0, 255, 0).h, 60);
  EXPECT_EQ(RgbToHsv8(0, 0, 255).h, 120);
  EXPECT_EQ(RgbToHsv8(0, 0, 255).s, 255);
  EXPECT_EQ(RgbToHsv8(128, 128, 128).s, 0);
  uint8_t rgb[3];
  Hsv8ToRgb({60, 255, 255}, rgb);
  EXPECT_EQ(rgb[0], 0);
  EXPECT_EQ(rgb[1], 255);
  EXPECT_EQ(rgb[2], 0);

  RgbImage image(8, 8);
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    image.pixels[i] = 200, image.pixels[i + 1] = 60, image.pixels[i + 2] = 40;
  }
  const Hsv8 before = RgbToHsv8(200, 60, 40);
  AddToHueAndSaturation(30, -30, &image);  // +21 in OpenCV units (42 degrees), S - 30
  const Hsv8 after = RgbToHsv8(image.pixels[0], image.pixels[1], image.pixels[2]);
  EXPECT_NEAR(after.h, before.h + 21, 1);
  EXPECT_NEAR(after.s, before.s - 30, 2);
  EXPECT_NEAR(after.v, before.v, 1);
  AddToHueAndSaturation(-30, 0, &image);
  const Hsv8 back = RgbToHsv8(image.pixels[0], image.pixels[1], image.pixels[2]);
  EXPECT_NEAR(back.h, before.h, 1);
  // Hue wraps around 180.
  RgbImage magenta(1, 1);
  Hsv8ToRgb({170, 255, 255}, magenta.pixels.data());
  AddToHueAndSaturation(30, 0, &magenta);
  EXPECT_NEAR(RgbToHsv8(magenta.pixels[0], magenta.pixels[1], magenta.pixels[2]).h, 11, 1);
}

TEST(ImageAugmentTest, WarmAugmenterAllocatesNoNewBuffers) {
  ImageAugmenter augmenter;
  ImageAugmentParams p;
  p.applied = p.multiply = p.rotate = p.blur = p.hue_saturation = true;
  p.multiply_factor = 1.1, p.rotate_degrees = 3, p.blur_sigma = 1.2, p.hue_shift = 10, p.saturation_shift = 5;
  RgbImage image = Pattern(80, 60);
  augmenter.Apply(p, &image);
  const uint8_t* buffer = image.pixels.data();
  augmenter.Apply(p, &image);
  EXPECT_EQ(image.pixels.data(), buffer);
}

}  // namespace
}  // namespace ecgbench::common::repr
