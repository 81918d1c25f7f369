// Clinical 12-lead ECG images rendered with Cairo (anti-aliased traces, pixel-snapped paper grid,
// stroke-font lead names), into RgbImage for training or PNG for people. docs/representations/image.md has
// the layouts and the differences from upstream's matplotlib figure.
//
// Input: 12 leads, lead-major float32 mV, in our order I, II, III, aVR, aVL, aVF, V1..V6
// (common/ecg/core/leads.h). Scale: 1 inch per second and 0.4 inch per mV at `dpi` (100 dpi:
// 100 px/s, 40 px/mV, i.e. 25.4 mm/s and 10.16 mm/mV, upstream's figure); the grid is the paper's:
// minor lines every 0.04 s and 0.1 mV (1 mm at 25 mm/s, 10 mm/mV), major every 0.2 s and 0.5 mV.
//   "2x6"         upstream's figure: (2 L / rate) x 7.2 inches, 2 columns x 6 rows, column 1 leads
//                 I..aVF, column 2 V1..V6, each panel the whole signal, rows 3 mV apart, y range
//                 [-16.5, 1.5] mV (400/1000/2000 x 720 px for L = 500/1250/2500 at 250 Hz).
//   "4x3+rhythm"  the clinical sheet: 4 columns x 3 rows (I aVR V1 V4 / II aVL V2 V5 / III aVF V3 V6),
//                 column c shows the c-th quarter of the time, plus a full-length lead II rhythm
//                 strip; 4 rows 3 mV apart; a 0.4 s left margin holds the calibration pulses.
// Pixel coordinates: pixel (i, j) covers [i, i+1) x [j, j+1); EcgPlotGeometry maps samples and mV
// to these coordinates and back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/repr/image/rgb_image.h"

namespace ecgbench::common::repr {

enum class EcgLayout { k2x6, k4x3Rhythm };

// "2x6" / "4x3+rhythm"; InvalidArgument "unknown ECG image layout 'x' (expected 2x6 or 4x3+rhythm)".
absl::StatusOr<EcgLayout> ParseEcgLayout(std::string_view name);
std::string_view EcgLayoutName(EcgLayout layout);

struct EcgPlotOptions {
  EcgLayout layout = EcgLayout::k2x6;
  double dpi = 100;                // pixels per inch, in [25, 600]
  bool grid = true;                // the red paper grid
  bool lead_labels = true;         // lead names at upstream's offset (0.07 s, -0.5 mV)
  bool calibration_pulse = false;  // 1 mV x 0.2 s pulse at the start of each row
};
// Upstream-like defaults per layout: 2x6 without the calibration pulse (upstream draws none),
// 4x3+rhythm with it.
EcgPlotOptions DefaultEcgPlotOptions(EcgLayout layout);

// An axis-aligned pixel-coordinate box [x0, x1) x [y0, y1); empty when x1 <= x0.
struct PixelBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  bool OverlapsColumn(int x) const { return !empty() && x + 1 > x0 && x < x1; }
};

// One lead's panel: the samples [first_sample, end_sample) drawn from x0 at the row's baseline.
struct EcgPanel {
  int lead = 0;              // 0..11 in our lead order
  int row = 0, column = 0;   // the rhythm strip is row 3, column 0 in 4x3+rhythm
  int64_t first_sample = 0;
  int64_t end_sample = 0;
  double x0 = 0;             // x of first_sample
  double x1 = 0;             // x where the panel's time window ends (x of end_sample)
  double baseline = 0;       // y of 0 mV
  PixelBox label;            // where the lead name is drawn (empty without labels)
  PixelBox calibration;      // where this row's calibration pulse is drawn (first panel of a row)
  PixelBox separator;        // the +-0.3 mV tick at the panel's start (panels after the first of a row)
};

struct EcgPlotGeometry {
  EcgLayout layout = EcgLayout::k2x6;
  int width = 0, height = 0;
  double rate_hz = 0;
  double px_per_second = 0, px_per_mv = 0;
  double trace_width_px = 0;
  std::vector<EcgPanel> panels;

  double X(const EcgPanel& p, double sample) const {
    return p.x0 + (sample - static_cast<double>(p.first_sample)) * px_per_second / rate_hz;
  }
  double Y(const EcgPanel& p, double mv) const { return p.baseline - mv * px_per_mv; }
  double SampleAtX(const EcgPanel& p, double x) const {
    return static_cast<double>(p.first_sample) + (x - p.x0) * rate_hz / px_per_second;
  }
  double MvAtY(const EcgPanel& p, double y) const { return (p.baseline - y) / px_per_mv; }
};

// Geometry of an image of `samples` per lead at `rate_hz`. InvalidArgument for samples <= 0, a rate
// that is not finite and positive, dpi outside [25, 600], or an image wider or taller than
// 32767 px (Cairo's limit; the message says to plot fewer seconds).
absl::StatusOr<EcgPlotGeometry> ComputeEcgPlotGeometry(const EcgPlotOptions& options, int64_t samples,
                                                      double rate_hz);

// Renders ECGs. Keeps its Cairo surfaces and a cached background (grid, calibration pulses) between
// calls: after the first image of a given size, Render makes no allocations of its own (Cairo's
// path storage aside). Not thread-safe: use one renderer per thread.
class EcgRenderer {
 public:
  explicit EcgRenderer(const EcgPlotOptions& options = {});
  ~EcgRenderer();
  EcgRenderer(const EcgRenderer&) = delete;
  EcgRenderer& operator=(const EcgRenderer&) = delete;

  // Renders `leads` x `samples` mV values (lead-major) sampled at `rate_hz` into *out (resized).
  // InvalidArgument naming the reason for leads != 12, samples <= 0, a bad rate, a non-finite value
  // (naming the lead and sample) or an image too large; Internal for a Cairo failure. On error
  // *out is unchanged.
  absl::Status Render(const float* mv, int leads, int64_t samples, double rate_hz, RgbImage* out);

  const EcgPlotOptions& options() const { return options_; }
  // Geometry of the last successful Render (empty before).
  const EcgPlotGeometry& geometry() const { return geometry_; }

 private:
  struct Canvas;
  absl::Status Prepare(int64_t samples, double rate_hz);

  EcgPlotOptions options_;
  EcgPlotGeometry geometry_;
  int64_t cached_samples_ = -1;
  double cached_rate_ = 0;
  std::unique_ptr<Canvas> canvas_;
};

// Colours (8-bit, from upstream's float colours rounded to nearest).
inline constexpr uint8_t kMajorGridRgb[3] = {230, 77, 77};    // (0.9, 0.3, 0.3)
inline constexpr uint8_t kMinorGridRgb[3] = {242, 217, 217};  // (0.95, 0.85, 0.85)
inline constexpr uint8_t kTraceRgb[3] = {0, 0, 179};          // (0, 0, 0.7)

}  // namespace ecgbench::common::repr
