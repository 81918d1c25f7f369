// RgbImage: an 8-bit RGB image in memory, HWC (row-major, 3 bytes per pixel, no row padding): what
// the ECG renderer and the augmentations produce and the vision processors consume. Plain value
// type; copyable; not thread-safe to mutate concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ecgbench::common::repr {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // height * width * 3 bytes: pixel (x, y) channel c at (y * width + x) * 3 + c

  RgbImage() = default;
  RgbImage(int w, int h, uint8_t fill = 0) { Reset(w, h, fill); }

  // Sets the size; the pixel values are unspecified afterwards. Keeps the buffer's capacity, so
  // resizing to a size seen before allocates nothing. REQUIRES: w >= 0, h >= 0.
  void Resize(int w, int h);
  // Resize + every byte set to `fill`.
  void Reset(int w, int h, uint8_t fill);

  size_t size_bytes() const { return static_cast<size_t>(width) * static_cast<size_t>(height) * 3; }
  uint8_t* at(int x, int y) { return pixels.data() + (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 3; }
  const uint8_t* at(int x, int y) const {
    return pixels.data() + (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 3;
  }
  bool operator==(const RgbImage& o) const {
    return width == o.width && height == o.height && pixels == o.pixels;
  }
  bool operator!=(const RgbImage& o) const { return !(*this == o); }
};

}  // namespace ecgbench::common::repr
