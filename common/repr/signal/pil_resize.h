// Pillow's Image.resize for 8-bit images (Pillow 9.4 libImaging/Resample.c semantics, written
// from its description, not its code), restricted to BILINEAR and BICUBIC:
// - separable: a horizontal pass into a uint8 intermediate (only the source rows the vertical pass
//   reads), then a vertical pass; a pass whose size does not change is skipped;
// - per output index j: scale = in / out, filterscale = max(scale, 1), support = filter support
//   (bilinear 1, bicubic 2 with a = -0.5) * filterscale, center = (j + 0.5) * scale, taps
//   xmin = int(center - support + 0.5) clamped to >= 0 .. int(center + support + 0.5) clamped to
//   <= in, weight(x) = filter((x - center + 0.5) / filterscale) normalised to sum 1 (float64);
// - weights to fixed point with 22 fraction bits (32 - 8 - 2), rounded half away from zero;
//   accumulate in int32 from 2^21 (rounding), then >> 22 and clip to [0, 255] after EACH pass.
// A region of the output can be computed alone (the crop of a resize-then-center-crop) with the
// same values as in the full image, without the full-size intermediate.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::repr {

enum class ResampleFilter { kBilinear, kBicubic };

// PIL codes: 2 = BILINEAR, 3 = BICUBIC; others InvalidArgument.
absl::StatusOr<ResampleFilter> ResampleFilterFromPil(int code);
int PilCode(ResampleFilter f);

// A rectangle of the output image: rows [y0, y0 + height), columns [x0, x0 + width).
struct ResizeRegion {
  int y0 = 0;
  int x0 = 0;
  int height = 0;
  int width = 0;
};

// Reusable buffers for PilResizePlan::Run (one per thread); they grow once and are then reused.
struct PilResizeScratch {
  std::vector<uint8_t> rows;   // horizontal-pass output (the source rows the region needs)
  std::vector<int32_t> accum;  // one output row of vertical-pass sums
};

// The coefficient tables of one resize geometry (input size, output size, region, filter).
// Immutable after Build; Run is const and thread-safe with a scratch vector per thread.
class PilResizePlan {
 public:
  // InvalidArgument for non-positive sizes or a region outside the out_h x out_w image.
  static absl::StatusOr<PilResizePlan> Build(int in_h, int in_w, int out_h, int out_w, ResampleFilter filter,
                                             const ResizeRegion& region);
  // in: in_h x in_w x channels (HWC, row-major); out: region.height x region.width x channels.
  // REQUIRES channels >= 1. No allocation once `scratch` has grown for this geometry.
  void Run(const uint8_t* in, int channels, PilResizeScratch* scratch, uint8_t* out) const;

  int in_h() const { return in_h_; }
  int in_w() const { return in_w_; }
  int out_h() const { return out_h_; }
  int out_w() const { return out_w_; }
  ResampleFilter filter() const { return filter_; }
  const ResizeRegion& region() const { return region_; }

  // Taps of one axis for output indices [begin, begin + count): first source index and number of
  // taps per output, ksize fixed-point weights per output. Empty when the axis is not resampled.
  struct Axis {
    bool resample = false;
    int ksize = 0;
    std::vector<int> first;
    std::vector<int> taps;
    std::vector<int32_t> weights;
  };

 private:
  PilResizePlan() = default;
  int in_h_ = 0, in_w_ = 0, out_h_ = 0, out_w_ = 0;
  ResampleFilter filter_ = ResampleFilter::kBicubic;
  ResizeRegion region_;
  Axis horizontal_;
  Axis vertical_;
  int row_begin_ = 0;  // source rows [row_begin_, row_end_) feed the region
  int row_end_ = 0;
};

// The whole image: Image.fromarray(in).resize((out_w, out_h), filter). out: out_h x out_w x channels.
absl::Status PilResize(const uint8_t* in, int in_h, int in_w, int channels, int out_h, int out_w,
                       ResampleFilter filter, uint8_t* out);

}  // namespace ecgbench::common::repr
