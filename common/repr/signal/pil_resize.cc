// Pillow-compatible separable resampling of uint8 images (see pil_resize.h for the semantics).
#include "common/repr/signal/pil_resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double BilinearWeight(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

// Keys' cubic convolution with a = -0.5, evaluated in the same operation order as Pillow.
double BicubicWeight(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

inline uint8_t Clip8(int32_t sum) {
  const int32_t v = sum >> kPrecisionBits;  // arithmetic shift: floor
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Taps for output indices [begin, begin + count) of an in_size -> out_size axis.
void BuildAxis(int in_size, int out_size, int begin, int count, ResampleFilter filter, PilResizePlan::Axis* axis) {
  double (*weight)(double) = filter == ResampleFilter::kBicubic ? BicubicWeight : BilinearWeight;
  const double filter_support = filter == ResampleFilter::kBicubic ? 2.0 : 1.0;
  // Pillow's box is float; in1 - in0 = in_size exactly.
  const double scale = static_cast<double>(static_cast<float>(in_size) - 0.0f) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = filter_support * filterscale;
  const int ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  axis->resample = true;
  axis->ksize = ksize;
  axis->first.assign(count, 0);
  axis->taps.assign(count, 0);
  axis->weights.assign(static_cast<size_t>(count) * ksize, 0);
  std::vector<double> w(ksize);
  const double inv_filterscale = 1.0 / filterscale;
  for (int i = 0; i < count; ++i) {
    const int j = begin + i;
    const double center = 0.0 + (j + 0.5) * scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    const int taps = std::min(xmax - xmin, ksize);
    double total = 0.0;
    for (int x = 0; x < taps; ++x) {
      w[x] = weight((x + xmin - center + 0.5) * inv_filterscale);
      total += w[x];
    }
    int32_t* out = &axis->weights[static_cast<size_t>(i) * ksize];
    for (int x = 0; x < taps; ++x) {
      const double k = total != 0.0 ? w[x] / total : w[x];
      const double fixed = k * (1 << kPrecisionBits);
      out[x] = static_cast<int32_t>(k < 0 ? -0.5 + fixed : 0.5 + fixed);  // half away from zero
    }
    axis->first[i] = xmin;
    axis->taps[i] = taps;
  }
}

absl::Status CheckSizes(int in_h, int in_w, int out_h, int out_w) {
  if (in_h <= 0 || in_w <= 0 || out_h <= 0 || out_w <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("resize: sizes must be positive, got ", in_h, "x", in_w, " -> ", out_h, "x", out_w));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ResampleFilter> ResampleFilterFromPil(int code) {
  if (code == 2) return ResampleFilter::kBilinear;
  if (code == 3) return ResampleFilter::kBicubic;
  return absl::InvalidArgumentError(
      absl::StrCat("resample filter ", code, " is not supported (2 = BILINEAR, 3 = BICUBIC)"));
}

int PilCode(ResampleFilter f) { return f == ResampleFilter::kBicubic ? 3 : 2; }

absl::StatusOr<PilResizePlan> PilResizePlan::Build(int in_h, int in_w, int out_h, int out_w, ResampleFilter filter,
                                                   const ResizeRegion& region) {
  ECGBENCH_RETURN_IF_ERROR(CheckSizes(in_h, in_w, out_h, out_w));
  if (region.y0 < 0 || region.x0 < 0 || region.height <= 0 || region.width <= 0 || region.y0 > out_h - region.height ||
      region.x0 > out_w - region.width) {
    return absl::InvalidArgumentError(absl::StrCat("resize: region ", region.height, "x", region.width, " at (",
                                                   region.y0, ", ", region.x0, ") is outside the ", out_h, "x", out_w,
                                                   " output"));
  }
  PilResizePlan plan;
  plan.in_h_ = in_h;
  plan.in_w_ = in_w;
  plan.out_h_ = out_h;
  plan.out_w_ = out_w;
  plan.filter_ = filter;
  plan.region_ = region;
  if (out_w != in_w) BuildAxis(in_w, out_w, region.x0, region.width, filter, &plan.horizontal_);
  if (out_h != in_h) {
    BuildAxis(in_h, out_h, region.y0, region.height, filter, &plan.vertical_);
    plan.row_begin_ = in_h;
    plan.row_end_ = 0;
    for (int i = 0; i < region.height; ++i) {
      plan.row_begin_ = std::min(plan.row_begin_, plan.vertical_.first[i]);
      plan.row_end_ = std::max(plan.row_end_, plan.vertical_.first[i] + plan.vertical_.taps[i]);
    }
    if (plan.row_end_ <= plan.row_begin_) plan.row_end_ = plan.row_begin_ + 1;  // degenerate: no taps
  } else {
    plan.row_begin_ = region.y0;
    plan.row_end_ = region.y0 + region.height;
  }
  return plan;
}

void PilResizePlan::Run(const uint8_t* in, int channels, PilResizeScratch* scratch, uint8_t* out) const {
  const size_t c = static_cast<size_t>(channels);
  const size_t width = static_cast<size_t>(region_.width);
  const size_t row_bytes = width * c;
  const size_t rows = static_cast<size_t>(row_end_ - row_begin_);
  if (scratch->rows.size() < rows * row_bytes) scratch->rows.resize(rows * row_bytes);
  uint8_t* inter = scratch->rows.data();

  // Horizontal pass (or a plain copy of the region's columns) into the intermediate rows.
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* src = in + (static_cast<size_t>(row_begin_) + r) * static_cast<size_t>(in_w_) * c;
    uint8_t* dst = inter + r * row_bytes;
    if (!horizontal_.resample) {
      std::memcpy(dst, src + static_cast<size_t>(region_.x0) * c, row_bytes);
      continue;
    }
    for (size_t j = 0; j < width; ++j) {
      const int32_t* k = &horizontal_.weights[j * static_cast<size_t>(horizontal_.ksize)];
      const uint8_t* px = src + static_cast<size_t>(horizontal_.first[j]) * c;
      const int taps = horizontal_.taps[j];
      for (size_t ch = 0; ch < c; ++ch) {
        int32_t sum = 1 << (kPrecisionBits - 1);
        for (int t = 0; t < taps; ++t) sum += static_cast<int32_t>(px[static_cast<size_t>(t) * c + ch]) * k[t];
        dst[j * c + ch] = Clip8(sum);
      }
    }
  }

  // Vertical pass (or a copy of the intermediate rows).
  if (!vertical_.resample) {
    std::memcpy(out, inter, static_cast<size_t>(region_.height) * row_bytes);
    return;
  }
  if (scratch->accum.size() < row_bytes) scratch->accum.resize(row_bytes);
  int32_t* acc = scratch->accum.data();
  for (int i = 0; i < region_.height; ++i) {
    std::fill(acc, acc + row_bytes, int32_t{1} << (kPrecisionBits - 1));
    const int32_t* k = &vertical_.weights[static_cast<size_t>(i) * static_cast<size_t>(vertical_.ksize)];
    const size_t first = static_cast<size_t>(vertical_.first[i] - row_begin_);
    for (int t = 0; t < vertical_.taps[i]; ++t) {
      const uint8_t* src = inter + (first + static_cast<size_t>(t)) * row_bytes;
      const int32_t w = k[t];
      for (size_t x = 0; x < row_bytes; ++x) acc[x] += static_cast<int32_t>(src[x]) * w;
    }
    uint8_t* dst = out + static_cast<size_t>(i) * row_bytes;
    for (size_t x = 0; x < row_bytes; ++x) dst[x] = Clip8(acc[x]);
  }
}

absl::Status PilResize(const uint8_t* in, int in_h, int in_w, int channels, int out_h, int out_w, ResampleFilter filter,
                       uint8_t* out) {
  if (channels <= 0)
    return absl::InvalidArgumentError(absl::StrCat("resize: channels must be positive, got ", channels));
  ECGBENCH_ASSIGN_OR_RETURN(const PilResizePlan plan,
                            PilResizePlan::Build(in_h, in_w, out_h, out_w, filter, ResizeRegion{0, 0, out_h, out_w}));
  PilResizeScratch scratch;
  plan.Run(in, channels, &scratch, out);
  return absl::OkStatus();
}

}  // namespace ecgbench::common::repr
