// ECG rendering: image sizes and geometry of both layouts, grid colours at grid-line pixels, each
// lead's trace recovered from the pixels (the centroid of trace-coloured pixels per column) against
// the signal mapped through the geometry, input errors, and that a warmed-up renderer allocates
// nothing.
#include "common/repr/image/ecg_plot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "common/ecg/synth/generator.h"
#include "tests/unit/repr/image/alloc_counter.h"

namespace ecgbench::common::repr {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> Sines(int64_t samples, double rate) {
  std::vector<float> mv(static_cast<size_t>(12 * samples));
  for (int l = 0; l < 12; ++l) {
    const double amp = 0.4 + 0.07 * l, f = 0.7 + 0.2 * l, phase = 0.5 * l;
    for (int64_t t = 0; t < samples; ++t) {
      mv[static_cast<size_t>(l * samples + t)] = static_cast<float>(amp * std::sin(2 * kPi * f * t / rate + phase));
    }
  }
  return mv;
}

// Linear interpolation of a lead's samples (the polyline the renderer strokes).
double Polyline(const float* lead, int64_t first, int64_t end, double s) {
  s = std::clamp(s, static_cast<double>(first), static_cast<double>(end - 1));
  const auto i = static_cast<int64_t>(std::floor(s));
  if (i >= end - 1) return lead[end - 1];
  const double f = s - static_cast<double>(i);
  return lead[i] * (1 - f) + lead[i + 1] * f;
}

struct RecoveryStats {
  int64_t columns = 0;       // columns compared
  int64_t outside_range = 0; // centroid more than 1 px outside the polyline's y range over the column
  double max_center_error = 0;  // |centroid - y at the column centre|, px
};

// The trace's coverage of a pixel: the pixel is modelled as a * trace + (1 - a) * paper for each
// paper colour (white, minor grid, major grid), a from the red channel; the colour that explains
// green and blue best gives the weight a (0 when none fits, e.g. the black label strokes).
double TraceWeight(const uint8_t* px) {
  static constexpr int kPaper[3][3] = {{255, 255, 255}, {242, 217, 217}, {230, 77, 77}};
  double best_error = 1e9, weight = 0;
  for (const auto& bg : kPaper) {
    const double a = std::clamp(1.0 - px[0] / static_cast<double>(bg[0]), 0.0, 1.0);
    const double g = (1 - a) * bg[1], b = a * kTraceRgb[2] + (1 - a) * bg[2];
    const double error = std::fabs(g - px[1]) + std::fabs(b - px[2]);
    if (error < best_error) best_error = error, weight = a;
  }
  return best_error <= 30 ? weight : 0.0;
}

double ColumnCoverage(const RgbImage& image, int x, int y0, int y1) {
  double sum = 0;
  for (int y = y0; y < y1; ++y) sum += TraceWeight(image.at(x, y));
  return sum;
}

// For every panel and every pixel column inside it (2 px away from its ends, and away from the
// label, calibration and separator boxes), the centroid of the trace's coverage (TraceWeight) in
// the panel's row band, against the polyline of the samples: within 1 px of its y range over the
// column (widened by half the line width on each side), and its distance from the y at the
// column's centre.
RecoveryStats Recover(const EcgPlotGeometry& g, const RgbImage& image, const std::vector<float>& mv,
                      int64_t samples) {
  RecoveryStats st;
  for (const EcgPanel& p : g.panels) {
    if (p.end_sample - p.first_sample < 2) continue;
    const float* lead = mv.data() + p.lead * samples;
    const double half_band = 1.5 * g.px_per_mv;
    const int y_lo = std::max(0, static_cast<int>(std::floor(p.baseline - half_band)));
    const int y_hi = std::min(g.height, static_cast<int>(std::ceil(p.baseline + half_band)));
    const int x_lo = static_cast<int>(std::ceil(p.x0)) + 2;
    const int x_hi = static_cast<int>(std::floor(g.X(p, static_cast<double>(p.end_sample - 1)))) - 2;
    for (int x = x_lo; x < x_hi; ++x) {
      bool excluded = false;
      for (const EcgPanel& q : g.panels) {
        for (const PixelBox& b : {q.label, q.calibration, q.separator}) {
          if (b.OverlapsColumn(x) && b.y1 > y_lo && b.y0 < y_hi) excluded = true;
        }
      }
      if (excluded) continue;
      double sw = 0, sy = 0;
      for (int y = y_lo; y < y_hi; ++y) {
        const uint8_t* px = image.at(x, y);
        const double w = TraceWeight(px);
        sw += w;
        sy += w * (y + 0.5);
      }
      EXPECT_GT(sw, 0.5) << "lead " << p.lead << " column " << x << ": no trace";
      if (sw <= 0.5) continue;
      const double centroid = sy / sw;
      const double half = g.trace_width_px / 2;
      const double s0 = g.SampleAtX(p, x - half), s1 = g.SampleAtX(p, x + 1.0 + half);
      double y_min = g.Y(p, Polyline(lead, p.first_sample, p.end_sample, s0)), y_max = y_min;
      auto extend = [&](double s) {
        const double y = g.Y(p, Polyline(lead, p.first_sample, p.end_sample, s));
        y_min = std::min(y_min, y), y_max = std::max(y_max, y);
      };
      extend(s1);
      for (double s = std::ceil(s0); s <= s1; s += 1) extend(s);
      const double center = g.Y(p, Polyline(lead, p.first_sample, p.end_sample, g.SampleAtX(p, x + 0.5)));
      ++st.columns;
      if (centroid < y_min - 1 || centroid > y_max + 1) ++st.outside_range;
      st.max_center_error = std::max(st.max_center_error, std::fabs(centroid - center));
    }
  }
  return st;
}

TEST(EcgPlotTest, ParsesLayouts) {
  EXPECT_EQ(*ParseEcgLayout("2x6"), EcgLayout::k2x6);
  EXPECT_EQ(*ParseEcgLayout("4x3+rhythm"), EcgLayout::k4x3Rhythm);
  EXPECT_EQ(EcgLayoutName(EcgLayout::k4x3Rhythm), "4x3+rhythm");
  EXPECT_EQ(ParseEcgLayout("3x4").status().message(), "unknown ECG image layout '3x4' (expected 2x6 or 4x3+rhythm)");
  EXPECT_FALSE(DefaultEcgPlotOptions(EcgLayout::k2x6).calibration_pulse);
  EXPECT_TRUE(DefaultEcgPlotOptions(EcgLayout::k4x3Rhythm).calibration_pulse);
}

TEST(EcgPlotTest, UpstreamSizesAndGeometry2x6) {
  EcgRenderer renderer;
  RgbImage image;
  for (auto [samples, width] : {std::pair<int64_t, int>{500, 400}, {1250, 1000}, {2500, 2000}}) {
    const std::vector<float> mv = Sines(samples, 250);
    ASSERT_TRUE(renderer.Render(mv.data(), 12, samples, 250, &image).ok());
    EXPECT_EQ(image.width, width);
    EXPECT_EQ(image.height, 720);
  }
  const EcgPlotGeometry& g = renderer.geometry();
  EXPECT_EQ(g.px_per_second, 100);
  EXPECT_EQ(g.px_per_mv, 40);
  ASSERT_EQ(g.panels.size(), 12u);
  // Column 1: I, II, III, aVR, aVL, aVF; column 2: V1..V6; rows 3 mV (120 px) apart from y = 60.
  for (int i = 0; i < 12; ++i) {
    const EcgPanel& p = g.panels[static_cast<size_t>(i)];
    EXPECT_EQ(p.lead, i);
    EXPECT_EQ(p.row, i % 6);
    EXPECT_EQ(p.column, i / 6);
    EXPECT_EQ(p.first_sample, 0);
    EXPECT_EQ(p.end_sample, 2500);
    EXPECT_DOUBLE_EQ(p.x0, i < 6 ? 0 : 1000);
    EXPECT_DOUBLE_EQ(p.baseline, 60 + 120 * (i % 6));
    EXPECT_DOUBLE_EQ(p.label.y1 - 1, p.baseline + 20);  // upstream's text baseline: 0.5 mV below
    EXPECT_EQ(p.calibration.empty(), true);
    EXPECT_EQ(p.separator.empty(), i < 6);
  }
  EXPECT_DOUBLE_EQ(g.X(g.panels[7], 250), 1100);
  EXPECT_DOUBLE_EQ(g.Y(g.panels[7], 1.0), 140);
  EXPECT_DOUBLE_EQ(g.SampleAtX(g.panels[7], 1100), 250);
  EXPECT_DOUBLE_EQ(g.MvAtY(g.panels[7], 140), 1.0);
}

TEST(EcgPlotTest, SheetGeometry4x3Rhythm) {
  EcgRenderer renderer(DefaultEcgPlotOptions(EcgLayout::k4x3Rhythm));
  const std::vector<float> mv = Sines(2500, 250);
  RgbImage image;
  ASSERT_TRUE(renderer.Render(mv.data(), 12, 2500, 250, &image).ok());
  EXPECT_EQ(image.width, 1040);  // 0.4 s calibration margin + 10 s
  EXPECT_EQ(image.height, 480);  // 4 rows of 3 mV
  const EcgPlotGeometry& g = renderer.geometry();
  ASSERT_EQ(g.panels.size(), 13u);
  const int sheet[3][4] = {{0, 3, 6, 9}, {1, 4, 7, 10}, {2, 5, 8, 11}};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) {
      const EcgPanel& p = g.panels[static_cast<size_t>(r * 4 + c)];
      EXPECT_EQ(p.lead, sheet[r][c]);
      EXPECT_EQ(p.first_sample, 625 * c);
      EXPECT_EQ(p.end_sample, 625 * (c + 1));
      EXPECT_DOUBLE_EQ(p.x0, 40 + 250 * c);
      EXPECT_DOUBLE_EQ(p.baseline, 60 + 120 * r);
      EXPECT_EQ(p.calibration.empty(), c != 0);
    }
  }
  const EcgPanel& rhythm = g.panels[12];
  EXPECT_EQ(rhythm.lead, 1);
  EXPECT_EQ(rhythm.end_sample, 2500);
  EXPECT_DOUBLE_EQ(rhythm.x0, 40);
  EXPECT_DOUBLE_EQ(rhythm.baseline, 420);

  EcgPlotOptions no_cal = DefaultEcgPlotOptions(EcgLayout::k4x3Rhythm);
  no_cal.calibration_pulse = false;
  auto g2 = ComputeEcgPlotGeometry(no_cal, 2500, 250);
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(g2->width, 1000);
  EXPECT_DOUBLE_EQ(g2->panels[0].x0, 0);
}

TEST(EcgPlotTest, GridColoursAtGridLines) {
  EcgRenderer renderer;
  const std::vector<float> zeros(12 * 1250, 0.f);
  RgbImage image;
  ASSERT_TRUE(renderer.Render(zeros.data(), 12, 1250, 250, &image).ok());
  auto rgb = [&](int x, int y) {
    const uint8_t* p = image.at(x, y);
    return std::vector<int>{p[0], p[1], p[2]};
  };
  const std::vector<int> major = {230, 77, 77}, minor = {242, 217, 217}, white = {255, 255, 255};
  // Vertical lines every 4 px (0.04 s), major every 20 px (0.2 s); horizontal lines every 4 px
  // (0.1 mV) from the baselines (y = 60 + 120 k), major every 20 px (0.5 mV).
  EXPECT_EQ(rgb(20, 30), major);
  EXPECT_EQ(rgb(520, 30), major);
  EXPECT_EQ(rgb(24, 30), minor);
  EXPECT_EQ(rgb(26, 30), white);
  EXPECT_EQ(rgb(26, 40), major);
  EXPECT_EQ(rgb(26, 36), minor);
  EXPECT_EQ(rgb(24, 40), major);  // major drawn over minor
  EXPECT_EQ(rgb(999, 30), white);
  EXPECT_EQ(rgb(26, 719), white);
  EXPECT_EQ(rgb(26, 716), minor);
  // The zero trace of lead I runs along y = 60, between pixel rows 59 and 60: its anti-aliased
  // coverage there adds up to the line width (0.5 pt = 0.69 px).
  EXPECT_NEAR(ColumnCoverage(image, 300, 50, 70), 0.5 * 100 / 72, 0.05);
  EXPECT_NEAR(TraceWeight(image.at(300, 59)), 0.35, 0.03);

  EcgPlotOptions plain;
  plain.grid = false;
  EcgRenderer no_grid(plain);
  ASSERT_TRUE(no_grid.Render(zeros.data(), 12, 1250, 250, &image).ok());
  EXPECT_EQ(rgb(20, 30), white);
}

TEST(EcgPlotTest, RecoversSinesFromPixels2x6) {
  EcgRenderer renderer;
  const std::vector<float> mv = Sines(1250, 250);
  RgbImage image;
  ASSERT_TRUE(renderer.Render(mv.data(), 12, 1250, 250, &image).ok());
  const RecoveryStats st = Recover(renderer.geometry(), image, mv, 1250);
  EXPECT_GT(st.columns, 12 * 450);  // 12 panels of 500 px
  EXPECT_EQ(st.outside_range, 0);
  EXPECT_LE(st.max_center_error, 1.0);
}

TEST(EcgPlotTest, RecoversSinesFromPixels4x3WithCalibration) {
  EcgRenderer renderer(DefaultEcgPlotOptions(EcgLayout::k4x3Rhythm));
  const std::vector<float> mv = Sines(2500, 250);
  RgbImage image;
  ASSERT_TRUE(renderer.Render(mv.data(), 12, 2500, 250, &image).ok());
  const RecoveryStats st = Recover(renderer.geometry(), image, mv, 2500);
  EXPECT_GT(st.columns, 12 * 220 + 950);  // 12 panels of 250 px, the 1000 px rhythm strip
  EXPECT_EQ(st.outside_range, 0);
  EXPECT_LE(st.max_center_error, 1.0);
  // The calibration pulse of row 0, snapped to pixel centres: 1 mV high (pixel row 20) from 0.1 s
  // (pixel column 10) to 0.3 s (column 30).
  EXPECT_NEAR(TraceWeight(image.at(20, 20)), 0.69, 0.06);  // Cairo quantises coverage
  EXPECT_NEAR(TraceWeight(image.at(10, 40)), 0.69, 0.06);  // Cairo quantises coverage
  EXPECT_NEAR(TraceWeight(image.at(30, 40)), 0.69, 0.06);  // Cairo quantises coverage
  EXPECT_NEAR(TraceWeight(image.at(20, 19)), 0.0, 0.03);
}

TEST(EcgPlotTest, RecoversStepsAndSyntheticEcg) {
  // Steps: 0 -> 1 mV (odd leads -1 mV) at 2.02 s, 500 Hz, with the calibration pulse in 2x6.
  const int64_t n = 2000;
  std::vector<float> steps(static_cast<size_t>(12 * n));
  for (int l = 0; l < 12; ++l) {
    for (int64_t t = 0; t < n; ++t) steps[static_cast<size_t>(l * n + t)] = t < 1010 ? 0.f : (l % 2 ? -1.f : 1.f);
  }
  EcgPlotOptions options;
  options.calibration_pulse = true;
  EcgRenderer renderer(options);
  RgbImage image;
  ASSERT_TRUE(renderer.Render(steps.data(), 12, n, 500, &image).ok());
  EXPECT_EQ(image.width, 800);
  RecoveryStats st = Recover(renderer.geometry(), image, steps, n);
  EXPECT_GT(st.columns, 12 * 350);
  EXPECT_EQ(st.outside_range, 0);

  // A synthetic sinus rhythm at 250 Hz, scaled to stay inside its row (|x| <= 1.3 mV).
  ecg::SynthOptions synth;
  synth.fs = 250;
  synth.duration_s = 10;
  synth.seed = 11;
  const ecg::Record record = ecg::Generate(ecg::EcgClass::kSinusRhythm, synth);
  ASSERT_EQ(record.num_leads(), 12);
  float peak = 0;
  for (float v : record.samples) peak = std::max(peak, std::fabs(v));
  std::vector<float> mv(record.samples);
  for (float& v : mv) v *= std::min(1.f, 1.3f / peak);
  for (EcgLayout layout : {EcgLayout::k2x6, EcgLayout::k4x3Rhythm}) {
    EcgRenderer r(DefaultEcgPlotOptions(layout));
    ASSERT_TRUE(r.Render(mv.data(), 12, record.num_samples, 250, &image).ok());
    st = Recover(r.geometry(), image, mv, record.num_samples);
    EXPECT_GT(st.columns, layout == EcgLayout::k2x6 ? 12 * 950 : 12 * 220 + 950) << EcgLayoutName(layout);
    EXPECT_EQ(st.outside_range, 0) << EcgLayoutName(layout);
  }
}

TEST(EcgPlotTest, BadInput) {
  EcgRenderer renderer;
  RgbImage image(3, 3, 7);
  std::vector<float> mv = Sines(100, 250);
  EXPECT_EQ(renderer.Render(mv.data(), 11, 100, 250, &image).message(),
            "ECG image: needs the 12 standard leads (I, II, III, aVR, aVL, aVF, V1..V6), got 11");
  EXPECT_EQ(renderer.Render(mv.data(), 12, 0, 250, &image).message(), "ECG image: no samples (0)");
  EXPECT_EQ(renderer.Render(mv.data(), 12, 100, 0, &image).message(),
            "ECG image: sampling rate must be positive, got 0");
  mv[7 * 100 + 17] = std::nanf("");
  EXPECT_EQ(renderer.Render(mv.data(), 12, 100, 250, &image).message(),
            "ECG image: lead V2 sample 17 is nan (non-finite values cannot be plotted)");
  mv[7 * 100 + 17] = INFINITY;
  EXPECT_EQ(renderer.Render(mv.data(), 12, 100, 250, &image).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(image, RgbImage(3, 3, 7));  // untouched on error
  std::vector<float> long_mv(12 * 250 * 200, 0.f);
  EXPECT_EQ(renderer.Render(long_mv.data(), 12, 250 * 200, 250, &image).message(),
            "ECG image: 2x6 of 200 s at 100 dpi would be 40000 x 720 px (limits 1 .. 32767); plot fewer seconds");
  EcgPlotOptions bad_dpi;
  bad_dpi.dpi = 1000;
  EXPECT_EQ(ComputeEcgPlotGeometry(bad_dpi, 100, 250).status().message(),
            "ECG image: dpi must be in [25, 600], got 1000");
  // Huge but finite values are drawn (off the image) without trouble.
  std::vector<float> huge(12 * 100, 1e30f);
  EXPECT_TRUE(renderer.Render(huge.data(), 12, 100, 250, &image).ok());
}

TEST(EcgPlotTest, WarmRendererReusesBuffersAndIsDeterministic) {
  EcgRenderer renderer(DefaultEcgPlotOptions(EcgLayout::k4x3Rhythm));
  const std::vector<float> a = Sines(2500, 250);
  std::vector<float> b = a;
  for (float& v : b) v *= -0.5f;
  RgbImage image, first;
  ASSERT_TRUE(renderer.Render(a.data(), 12, 2500, 250, &image).ok());
  first = image;
  const uint8_t* buffer = image.pixels.data();
  testing_alloc::StartCounting();
  const absl::Status s1 = renderer.Render(b.data(), 12, 2500, 250, &image);
  const absl::Status s2 = renderer.Render(a.data(), 12, 2500, 250, &image);
  const int64_t allocations = testing_alloc::StopCounting();
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(image.pixels.data(), buffer);
  EXPECT_TRUE(image == first);
  // A different size and back: the same pixels again.
  ASSERT_TRUE(renderer.Render(a.data(), 12, 1250, 250, &image).ok());
  EXPECT_EQ(image.width, 540);
  ASSERT_TRUE(renderer.Render(a.data(), 12, 2500, 250, &image).ok());
  EXPECT_TRUE(image == first);
}

}  // namespace
}  // namespace ecgbench::common::repr
