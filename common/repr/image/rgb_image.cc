// RgbImage buffer management (see rgb_image.h).
#include "common/repr/image/rgb_image.h"

#include <algorithm>

namespace ecgbench::common::repr {

void RgbImage::Resize(int w, int h) {
  width = std::max(w, 0);
  height = std::max(h, 0);
  pixels.resize(size_bytes());
}

void RgbImage::Reset(int w, int h, uint8_t fill) {
  Resize(w, h);
  std::fill(pixels.begin(), pixels.end(), fill);
}

}  // namespace ecgbench::common::repr
