// ECG image layouts and their Cairo rendering (see ecg_plot.h). The static part of an image (white
// paper, grid, calibration pulses) is drawn once per size into a background surface; each Render
// copies it and strokes the traces, the separator ticks and the lead names on top (upstream's
// z-order: text over lines).
#include "common/repr/image/ecg_plot.h"

#include <cairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/repr/image/stroke_font.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {

namespace {

constexpr int kLeads = 12;
constexpr int kMaxSide = 32767;  // Cairo's image surface limit
constexpr double kRowMv = 3.0;   // distance between row baselines
constexpr double kTopMv = 1.5;   // from the top edge to the first baseline (upstream's y_max)
constexpr double kMinorS = 0.04, kMinorMv = 0.1;
constexpr double kCalMarginS = 0.4;              // 4x3+rhythm: left margin with the pulse
constexpr double kLabelDx = 0.07, kLabelDy = 0.5;  // upstream: text at (x_off + 0.07, y_off - 0.5)
constexpr double kLabelCapInches = 9.0 / 72.0 * 0.73;  // cap height of a 9 pt sans font
constexpr std::array<const char*, kLeads> kLeadNames = {"I",   "II", "III", "aVR", "aVL", "aVF",
                                                        "V1",  "V2", "V3",  "V4",  "V5",  "V6"};
// 4x3 sheet: lead at (row, column).
constexpr int kSheet[3][4] = {{0, 3, 6, 9}, {1, 4, 7, 10}, {2, 5, 8, 11}};
constexpr int kRhythmLead = 1;  // II

double TraceWidth(double dpi) { return 0.5 * dpi / 72.0; }
int GridWidth(double dpi) { return std::max(1, static_cast<int>(std::lround(0.5 * dpi / 72.0))); }
double CapPx(double dpi) { return kLabelCapInches * dpi; }
double LabelStroke(double dpi) { return std::max(1.0, 0.1 * CapPx(dpi)); }
uint32_t Xrgb(const uint8_t* c) { return (uint32_t{c[0]} << 16) | (uint32_t{c[1]} << 8) | uint32_t{c[2]}; }

void FillLabelBox(const EcgPlotGeometry& g, double dpi, EcgPanel& p) {
  const double cap = CapPx(dpi), w = LabelStroke(dpi);
  const double x = p.x0 + kLabelDx * g.px_per_second;
  const double y = p.baseline + kLabelDy * g.px_per_mv;
  p.label = {x - w, y - cap - w, x + TextWidth(kLeadNames[p.lead]) * cap + w, y + w};
}

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

}  // namespace

absl::StatusOr<EcgLayout> ParseEcgLayout(std::string_view name) {
  if (name == "2x6") return EcgLayout::k2x6;
  if (name == "4x3+rhythm") return EcgLayout::k4x3Rhythm;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ECG image layout '", std::string(name), "' (expected 2x6 or 4x3+rhythm)"));
}

std::string_view EcgLayoutName(EcgLayout layout) { return layout == EcgLayout::k2x6 ? "2x6" : "4x3+rhythm"; }

EcgPlotOptions DefaultEcgPlotOptions(EcgLayout layout) {
  EcgPlotOptions o;
  o.layout = layout;
  o.calibration_pulse = layout == EcgLayout::k4x3Rhythm;
  return o;
}

absl::StatusOr<EcgPlotGeometry> ComputeEcgPlotGeometry(const EcgPlotOptions& options, int64_t samples,
                                                      double rate_hz) {
  if (samples <= 0) return absl::InvalidArgumentError(absl::StrCat("ECG image: no samples (", samples, ")"));
  if (!std::isfinite(rate_hz) || rate_hz <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("ECG image: sampling rate must be positive, got ", rate_hz));
  }
  if (!(options.dpi >= 25 && options.dpi <= 600)) {
    return absl::InvalidArgumentError(absl::StrCat("ECG image: dpi must be in [25, 600], got ", options.dpi));
  }
  EcgPlotGeometry g;
  g.layout = options.layout;
  g.rate_hz = rate_hz;
  g.px_per_second = options.dpi;
  g.px_per_mv = 0.4 * options.dpi;
  g.trace_width_px = TraceWidth(options.dpi);
  const double seconds = static_cast<double>(samples) / rate_hz;
  const bool two_by_six = options.layout == EcgLayout::k2x6;
  const double margin = two_by_six || !options.calibration_pulse ? 0.0 : kCalMarginS * g.px_per_second;
  const double width = two_by_six ? 2 * seconds * g.px_per_second : margin + seconds * g.px_per_second;
  const double height = (two_by_six ? 6 : 4) * kRowMv * g.px_per_mv;
  if (width > kMaxSide || height > kMaxSide || width < 1) {
    return absl::InvalidArgumentError(absl::StrCat("ECG image: ", std::string(EcgLayoutName(options.layout)), " of ", seconds,
                                                   " s at ", options.dpi, " dpi would be ", width, " x ", height,
                                                   " px (limits 1 .. 32767); plot fewer seconds"));
  }
  // Matplotlib truncates the figure's pixel size; the epsilon absorbs float error in L / rate * dpi.
  g.width = static_cast<int>(std::floor(width + 1e-6));
  g.height = static_cast<int>(std::floor(height + 1e-6));

  const double lw = g.trace_width_px;
  auto add_panel = [&](int lead, int row, int column, int64_t first, int64_t end, double x0) {
    EcgPanel p;
    p.lead = lead;
    p.row = row;
    p.column = column;
    p.first_sample = first;
    p.end_sample = end;
    p.x0 = x0;
    p.baseline = (kTopMv + kRowMv * row) * g.px_per_mv;
    p.x1 = g.X(p, static_cast<double>(end));
    if (options.lead_labels) FillLabelBox(g, options.dpi, p);
    const double band_top = p.baseline - 0.5 * kRowMv * g.px_per_mv, band_bottom = p.baseline + 0.5 * kRowMv * g.px_per_mv;
    if (column == 0 && options.calibration_pulse) {
      const double start = two_by_six ? p.x0 : 0.0;
      const double end_x = two_by_six ? p.x0 + 0.2 * g.px_per_second : margin;
      p.calibration = {start, p.baseline - g.px_per_mv - lw, end_x + lw, p.baseline + lw};
    }
    if (column > 0) p.separator = {p.x0 - lw, band_top, p.x0 + lw, band_bottom};
    g.panels.push_back(p);
  };
  if (two_by_six) {
    for (int c = 0; c < 2; ++c) {
      for (int r = 0; r < 6; ++r) add_panel(c * 6 + r, r, c, 0, samples, c * seconds * g.px_per_second);
    }
  } else {
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 4; ++c) {
        const int64_t first = samples * c / 4, end = samples * (c + 1) / 4;
        add_panel(kSheet[r][c], r, c, first, end, margin + static_cast<double>(first) / rate_hz * g.px_per_second);
      }
    }
    add_panel(kRhythmLead, 3, 0, 0, samples, margin);
  }
  return g;
}

struct EcgRenderer::Canvas {
  int width = 0, height = 0, stride = 0;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> background, surface;
  std::unique_ptr<cairo_t, ContextDeleter> cr;
};

EcgRenderer::EcgRenderer(const EcgPlotOptions& options) : options_(options), canvas_(std::make_unique<Canvas>()) {}
EcgRenderer::~EcgRenderer() = default;

namespace {

void FillRect(unsigned char* data, int stride, int w, int h, int x0, int y0, int x1, int y1, uint32_t color) {
  x0 = std::max(x0, 0), y0 = std::max(y0, 0), x1 = std::min(x1, w), y1 = std::min(y1, h);
  for (int y = y0; y < y1; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    std::fill(row + x0, row + x1, color);
  }
}

// Grid lines are pixel-snapped solid rectangles (like matplotlib's snapping of grid lines), so
// their pixels carry the exact grid colours. Minor first, major on top.
void DrawGrid(const EcgPlotGeometry& g, int line_px, unsigned char* data, int stride) {
  const double x_step = kMinorS * g.px_per_second, y_step = kMinorMv * g.px_per_mv;
  const double y_origin = kTopMv * g.px_per_mv;  // a baseline: rows are whole major squares apart
  const int k_top = -static_cast<int>(std::floor(y_origin / y_step + 1e-9));
  for (int pass = 0; pass < 2; ++pass) {
    const bool major = pass == 1;
    const uint32_t color = Xrgb(major ? kMajorGridRgb : kMinorGridRgb);
    for (int k = 0; k * x_step < g.width; ++k) {
      if ((k % 5 == 0) != major) continue;
      const int x = static_cast<int>(std::floor(k * x_step + 1e-6));
      FillRect(data, stride, g.width, g.height, x, 0, x + line_px, g.height, color);
    }
    for (int k = k_top; y_origin + k * y_step < g.height; ++k) {
      if ((((k % 5) + 5) % 5 == 0) != major) continue;
      const int y = static_cast<int>(std::floor(y_origin + k * y_step + 1e-6));
      FillRect(data, stride, g.width, g.height, 0, y, g.width, y + line_px, color);
    }
  }
}

void SetTraceStyle(cairo_t* cr, const EcgPlotGeometry& g) {
  cairo_set_source_rgb(cr, kTraceRgb[0] / 255.0, kTraceRgb[1] / 255.0, kTraceRgb[2] / 255.0);
  cairo_set_line_width(cr, g.trace_width_px);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);  // matplotlib's default 'projecting'
}

// The pulse has only horizontal and vertical segments: snapped to pixel centres (as matplotlib
// snaps such paths) so that it is crisp.
void DrawCalibration(cairo_t* cr, const EcgPlotGeometry& g) {
  SetTraceStyle(cr, g);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  const double px_s = g.px_per_second, px_mv = g.px_per_mv;
  auto snap = [](double v) { return std::floor(v) + 0.5; };
  for (const EcgPanel& p : g.panels) {
    if (p.calibration.empty()) continue;
    const double b = snap(p.baseline), top = snap(p.baseline - px_mv);
    const double x0 = g.layout == EcgLayout::k2x6 ? p.x0 : 0.1 * px_s;  // the rising edge
    const double rise = snap(x0), fall = snap(x0 + 0.2 * px_s);
    if (g.layout == EcgLayout::k2x6) {
      cairo_move_to(cr, rise, b);
    } else {
      cairo_move_to(cr, snap(0.02 * px_s), b);
      cairo_line_to(cr, rise, b);
    }
    cairo_line_to(cr, rise, top);
    cairo_line_to(cr, fall, top);
    cairo_line_to(cr, fall, b);
    if (g.layout != EcgLayout::k2x6) cairo_line_to(cr, snap(0.38 * px_s), b);
    cairo_stroke(cr);
  }
}

void DrawLabel(cairo_t* cr, const char* text, double x, double baseline, double cap) {
  for (const char* c = text; *c != '\0'; ++c) {
    const StrokeGlyph& glyph = GlyphFor(*c);
    for (const Stroke& s : glyph.strokes) {
      for (size_t i = 0; i < s.size(); ++i) {
        const double px = x + s[i].x * cap, py = baseline - s[i].y * cap;
        if (i == 0) {
          cairo_move_to(cr, px, py);
        } else {
          cairo_line_to(cr, px, py);
        }
      }
    }
    x += glyph.advance * cap;
  }
  cairo_stroke(cr);
}

// Keeps extreme values inside Cairo's fixed-point range; such points are far off the image anyway.
double ClampY(double y) { return std::clamp(y, -1e5, 1e5); }

}  // namespace

absl::Status EcgRenderer::Prepare(int64_t samples, double rate_hz) {
  if (samples == cached_samples_ && rate_hz == cached_rate_) return absl::OkStatus();
  ECGBENCH_ASSIGN_OR_RETURN(EcgPlotGeometry g, ComputeEcgPlotGeometry(options_, samples, rate_hz));
  Canvas& cv = *canvas_;
  if (g.width != cv.width || g.height != cv.height) {
    cv.cr.reset();
    cv.background.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, g.width, g.height));
    cv.surface.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, g.width, g.height));
    if (cairo_surface_status(cv.background.get()) != CAIRO_STATUS_SUCCESS ||
        cairo_surface_status(cv.surface.get()) != CAIRO_STATUS_SUCCESS) {
      cv.width = cv.height = 0;
      cached_samples_ = -1;
      return absl::InternalError(absl::StrCat("cairo: cannot create a ", g.width, " x ", g.height, " image surface"));
    }
    cv.cr.reset(cairo_create(cv.surface.get()));
    cv.width = g.width;
    cv.height = g.height;
    cv.stride = cairo_image_surface_get_stride(cv.surface.get());
  }
  cairo_surface_t* bg = cv.background.get();
  cairo_surface_flush(bg);
  unsigned char* data = cairo_image_surface_get_data(bg);
  std::memset(data, 0xff, static_cast<size_t>(cv.stride) * static_cast<size_t>(cv.height));
  if (options_.grid) DrawGrid(g, GridWidth(options_.dpi), data, cv.stride);
  cairo_surface_mark_dirty(bg);
  if (options_.calibration_pulse) {
    std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(bg));
    DrawCalibration(cr.get(), g);
    cairo_surface_flush(bg);
  }
  geometry_ = std::move(g);
  cached_samples_ = samples;
  cached_rate_ = rate_hz;
  return absl::OkStatus();
}

absl::Status EcgRenderer::Render(const float* mv, int leads, int64_t samples, double rate_hz, RgbImage* out) {
  if (leads != kLeads) {
    return absl::InvalidArgumentError(
        absl::StrCat("ECG image: needs the 12 standard leads (I, II, III, aVR, aVL, aVF, V1..V6), got ", leads));
  }
  if (samples <= 0) return absl::InvalidArgumentError(absl::StrCat("ECG image: no samples (", samples, ")"));
  if (mv == nullptr) return absl::InvalidArgumentError("ECG image: no signal (null pointer)");
  for (int l = 0; l < kLeads; ++l) {
    const float* lead = mv + static_cast<ptrdiff_t>(l) * samples;
    for (int64_t t = 0; t < samples; ++t) {
      if (!std::isfinite(lead[t])) {
        return absl::InvalidArgumentError(absl::StrCat("ECG image: lead ", kLeadNames[l], " sample ", t, " is ",
                                                       lead[t], " (non-finite values cannot be plotted)"));
      }
    }
  }
  ECGBENCH_RETURN_IF_ERROR(Prepare(samples, rate_hz));
  const EcgPlotGeometry& g = geometry_;
  Canvas& cv = *canvas_;
  cairo_surface_flush(cv.surface.get());
  std::memcpy(cairo_image_surface_get_data(cv.surface.get()), cairo_image_surface_get_data(cv.background.get()),
              static_cast<size_t>(cv.stride) * static_cast<size_t>(cv.height));
  cairo_surface_mark_dirty(cv.surface.get());

  cairo_t* cr = cv.cr.get();
  SetTraceStyle(cr, g);
  for (const EcgPanel& p : g.panels) {
    if (p.end_sample <= p.first_sample) continue;
    const float* lead = mv + static_cast<ptrdiff_t>(p.lead) * samples;
    cairo_new_path(cr);
    for (int64_t t = p.first_sample; t < p.end_sample; ++t) {
      const double x = g.X(p, static_cast<double>(t)), y = ClampY(g.Y(p, lead[t]));
      if (t == p.first_sample) {
        cairo_move_to(cr, x, y);
      } else {
        cairo_line_to(cr, x, y);
      }
    }
    if (p.end_sample - p.first_sample == 1) cairo_rel_line_to(cr, 0, 0);
    cairo_stroke(cr);
    if (!p.separator.empty()) {
      const double v = lead[p.first_sample];
      cairo_move_to(cr, p.x0, ClampY(g.Y(p, v - 0.3)));
      cairo_line_to(cr, p.x0, ClampY(g.Y(p, v + 0.3)));
      cairo_stroke(cr);
    }
  }
  if (options_.lead_labels) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, LabelStroke(options_.dpi));
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    const double cap = CapPx(options_.dpi), w = LabelStroke(options_.dpi);
    for (const EcgPanel& p : g.panels) DrawLabel(cr, kLeadNames[p.lead], p.label.x0 + w, p.label.y1 - w, cap);
  }
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
    const cairo_status_t st = cairo_status(cr);
    cv.cr.reset();  // a Cairo context in error stays in error: rebuild everything on the next call
    cv.width = cv.height = 0;
    cached_samples_ = -1;
    return absl::InternalError(absl::StrCat("cairo: drawing failed: ", cairo_status_to_string(st)));
  }
  cairo_surface_flush(cv.surface.get());

  out->Resize(g.width, g.height);
  const unsigned char* data = cairo_image_surface_get_data(cv.surface.get());
  for (int y = 0; y < g.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * cv.stride);
    uint8_t* dst = out->at(0, y);
    for (int x = 0; x < g.width; ++x, dst += 3) {
      dst[0] = static_cast<uint8_t>(row[x] >> 16);
      dst[1] = static_cast<uint8_t>(row[x] >> 8);
      dst[2] = static_cast<uint8_t>(row[x]);
    }
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::repr
