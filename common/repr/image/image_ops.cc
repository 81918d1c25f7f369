// Pixel operations of the image augmentations (see image_ops.h).
#include "common/repr/image/image_ops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

namespace ecgbench::common::repr {

namespace {

constexpr double kPi = 3.14159265358979323846;

uint8_t ClampByte(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

// Mirror index without repeating the edge: -1 -> 1, n -> n - 2 (OpenCV BORDER_REFLECT_101).
int Reflect101(int i, int n) {
  if (n == 1) return 0;
  const int period = 2 * (n - 1);
  i = std::abs(i) % period;
  return i >= n ? period - i : i;
}

}  // namespace

void MultiplyBrightness(double factor, RgbImage* image) {
  std::array<uint8_t, 256> lut;
  for (int v = 0; v < 256; ++v) lut[static_cast<size_t>(v)] = ClampByte(v * factor);
  for (uint8_t& p : image->pixels) p = lut[p];
}

void Rotate(double degrees, RotateFill fill, RgbImage* image, RgbImage* scratch) {
  const int w = image->width, h = image->height;
  if (w == 0 || h == 0) return;
  *scratch = *image;  // same size after the first call: no allocation
  const double a = degrees * kPi / 180.0, c = std::cos(a), s = std::sin(a);
  const double cx = w / 2.0, cy = h / 2.0;
  const float fill_value = fill == RotateFill::kBlack ? 0.f : 255.f;
  const uint8_t* src = scratch->pixels.data();
  auto texel = [&](int x, int y, int ch) -> float {
    if (fill == RotateFill::kEdge) {
      x = std::clamp(x, 0, w - 1);
      y = std::clamp(y, 0, h - 1);
    } else if (x < 0 || x >= w || y < 0 || y >= h) {
      return fill_value;
    }
    return src[(static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)) * 3 + static_cast<size_t>(ch)];
  };
  for (int y = 0; y < h; ++y) {
    uint8_t* dst = image->at(0, y);
    for (int x = 0; x < w; ++x, dst += 3) {
      // Inverse map of the output pixel centre, then to pixel-index coordinates (centres at .0).
      const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const double sx = cx + c * dx + s * dy - 0.5, sy = cy - s * dx + c * dy - 0.5;
      const double fx = std::floor(sx), fy = std::floor(sy);
      const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
      const double tx = sx - fx, ty = sy - fy;
      for (int ch = 0; ch < 3; ++ch) {
        const double top = texel(x0, y0, ch) * (1 - tx) + texel(x0 + 1, y0, ch) * tx;
        const double bottom = texel(x0, y0 + 1, ch) * (1 - tx) + texel(x0 + 1, y0 + 1, ch) * tx;
        dst[ch] = ClampByte(top * (1 - ty) + bottom * ty);
      }
    }
  }
}

void GaussianBlur(double sigma, RgbImage* image, std::vector<float>* scratch, std::vector<float>* kernel) {
  const int w = image->width, h = image->height;
  if (!(sigma >= 0.01) || w == 0 || h == 0) return;
  const int r = static_cast<int>(std::ceil(3.0 * sigma));
  kernel->resize(static_cast<size_t>(2 * r + 1));
  double sum = 0;
  for (int k = -r; k <= r; ++k) sum += std::exp(-0.5 * k * k / (sigma * sigma));
  for (int k = -r; k <= r; ++k) (*kernel)[static_cast<size_t>(k + r)] = static_cast<float>(std::exp(-0.5 * k * k / (sigma * sigma)) / sum);
  const float* kw = kernel->data() + r;
  scratch->resize(image->size_bytes());
  float* tmp = scratch->data();
  const uint8_t* px = image->pixels.data();
  auto idx = [w](int x, int y) { return (static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)) * 3; };
  for (int y = 0; y < h; ++y) {  // horizontal pass: bytes -> floats
    for (int x = 0; x < w; ++x) {
      float acc[3] = {0, 0, 0};
      for (int k = -r; k <= r; ++k) {
        const uint8_t* p = px + idx(x + k >= 0 && x + k < w ? x + k : Reflect101(x + k, w), y);
        acc[0] += kw[k] * p[0];
        acc[1] += kw[k] * p[1];
        acc[2] += kw[k] * p[2];
      }
      float* t = tmp + idx(x, y);
      t[0] = acc[0], t[1] = acc[1], t[2] = acc[2];
    }
  }
  for (int y = 0; y < h; ++y) {  // vertical pass: floats -> bytes
    for (int x = 0; x < w; ++x) {
      float acc[3] = {0, 0, 0};
      for (int k = -r; k <= r; ++k) {
        const float* t = tmp + idx(x, y + k >= 0 && y + k < h ? y + k : Reflect101(y + k, h));
        acc[0] += kw[k] * t[0];
        acc[1] += kw[k] * t[1];
        acc[2] += kw[k] * t[2];
      }
      uint8_t* p = image->at(x, y);
      p[0] = ClampByte(acc[0]), p[1] = ClampByte(acc[1]), p[2] = ClampByte(acc[2]);
    }
  }
}

Hsv8 RgbToHsv8(uint8_t r, uint8_t g, uint8_t b) {
  const int v = std::max({r, g, b}), mn = std::min({r, g, b}), diff = v - mn;
  Hsv8 out;
  out.v = v;
  out.s = v == 0 ? 0 : static_cast<int>(std::lround(255.0 * diff / v));
  if (diff == 0) return out;
  double hue;
  if (v == r) {
    hue = 60.0 * (g - b) / diff;
  } else if (v == g) {
    hue = 120.0 + 60.0 * (b - r) / diff;
  } else {
    hue = 240.0 + 60.0 * (r - g) / diff;
  }
  if (hue < 0) hue += 360.0;
  out.h = static_cast<int>(std::lround(hue / 2.0)) % 180;
  return out;
}

void Hsv8ToRgb(const Hsv8& hsv, uint8_t* rgb) {
  const double v = hsv.v, s = hsv.s / 255.0;
  const double hue = (hsv.h % 180) * 2.0 / 60.0;  // sector 0..6
  const int sector = static_cast<int>(std::floor(hue)) % 6;
  const double f = hue - std::floor(hue);
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double r = v, g = t, b = p;
  switch (sector) {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
  }
  rgb[0] = ClampByte(r), rgb[1] = ClampByte(g), rgb[2] = ClampByte(b);
}

void AddToHueAndSaturation(int hue, int saturation, RgbImage* image) {
  const int dh = static_cast<int>(std::lround(hue * 180.0 / 255.0));
  uint8_t* p = image->pixels.data();
  const size_t n = image->size_bytes();
  for (size_t i = 0; i < n; i += 3) {
    Hsv8 hsv = RgbToHsv8(p[i], p[i + 1], p[i + 2]);
    hsv.h = ((hsv.h + dh) % 180 + 180) % 180;
    hsv.s = std::clamp(hsv.s + saturation, 0, 255);
    Hsv8ToRgb(hsv, p + i);
  }
}

}  // namespace ecgbench::common::repr
