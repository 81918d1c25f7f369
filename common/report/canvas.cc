// Cairo drawing helpers for the report charts (see canvas.h).
#include "common/report/canvas.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ecgbench::common::report {

namespace {

constexpr Color kPalette[] = {{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
                              {0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
                              {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498}, {0.737, 0.741, 0.133},
                              {0.090, 0.745, 0.812}};
constexpr Color kHeatStops[] = {{0.18, 0.11, 0.42}, {0.13, 0.40, 0.55}, {0.13, 0.62, 0.53},
                                {0.47, 0.82, 0.32}, {0.99, 0.91, 0.14}};
constexpr Color kAxis = {0.2, 0.2, 0.2};
constexpr Color kGrid = {0.88, 0.88, 0.88};

}  // namespace

Color PaletteColor(size_t i) { return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))]; }

Color HeatColor(double t) {
  if (!(t >= 0)) t = 0;
  t = std::min(t, 1.0);
  const double pos = t * 4;
  const int i = std::min(3, static_cast<int>(pos));
  const double f = pos - i;
  const Color& a = kHeatStops[i];
  const Color& b = kHeatStops[i + 1];
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

Color TextColorOn(Color bg) {
  const double luminance = 0.2126 * bg.r + 0.7152 * bg.g + 0.0722 * bg.b;
  return luminance > 0.5 ? Color{0, 0, 0} : Color{1, 1, 1};
}

std::vector<double> NiceTicks(double* lo, double* hi, int target) {
  if (!std::isfinite(*lo) || !std::isfinite(*hi)) *lo = 0, *hi = 1;
  if (*hi < *lo) std::swap(*lo, *hi);
  if (*hi == *lo) {
    const double pad = *lo == 0 ? 1 : std::fabs(*lo) * 0.1;
    *lo -= pad;
    *hi += pad;
  }
  const double raw = (*hi - *lo) / std::max(1, target - 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * power;
    if (step >= raw) break;
  }
  const double first = std::floor(*lo / step + 1e-9) * step;
  const double last = std::ceil(*hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double v = first; v <= last + step * 0.5; v += step) ticks.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  *lo = first;
  *hi = last;
  return ticks;
}

std::string FormatTick(double value, double step) {
  if (std::fabs(value) >= 1e6 || (value != 0 && std::fabs(value) < 1e-4)) return absl::StrFormat("%.3g", value);
  int decimals = 0;
  while (decimals < 6 && std::fabs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6) {
    ++decimals;
  }
  return absl::StrFormat("%.*f", decimals, value);
}

std::string Ellipsize(absl::string_view text, size_t max_chars) {
  max_chars = std::max<size_t>(max_chars, 4);
  size_t chars = 0, cut = text.size();
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars - 3 && cut == text.size()) cut = i;
    if (++chars > max_chars) return absl::StrCat(text.substr(0, cut), "...");
  }
  return std::string(text);
}

Canvas::Canvas(int width, int height)
    : width_(std::clamp(width, 16, 8192)),
      height_(std::clamp(height, 16, 8192)),
      surface_(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width_, height_)),
      cr_(cairo_create(surface_)) {
  cairo_set_source_rgb(cr_, 1, 1, 1);
  cairo_paint(cr_);
}

Canvas::~Canvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void Canvas::SetColor(Color c, double alpha) { cairo_set_source_rgba(cr_, c.r, c.g, c.b, alpha); }

double Canvas::TextWidth(absl::string_view text, double size, bool bold) {
  const std::string s(text);
  cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size);
  cairo_text_extents_t ext;
  cairo_text_extents(cr_, s.c_str(), &ext);
  return ext.x_advance;
}

void Canvas::Text(double x, double y, absl::string_view text, double size, Align align, Color color, bool bold,
                  double degrees) {
  const double w = TextWidth(text, size, bold);  // also selects the font
  const std::string s(text);
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  cairo_rotate(cr_, -degrees * M_PI / 180);
  const double dx = align == Align::kLeft ? 0 : align == Align::kCenter ? -w / 2 : -w;
  cairo_move_to(cr_, dx, size * 0.35);
  SetColor(color);
  cairo_show_text(cr_, s.c_str());
  cairo_restore(cr_);
}

void Canvas::Line(double x0, double y0, double x1, double y1, Color color, double width) {
  SetColor(color);
  cairo_set_line_width(cr_, width);
  cairo_move_to(cr_, x0, y0);
  cairo_line_to(cr_, x1, y1);
  cairo_stroke(cr_);
}

void Canvas::FillRect(Rect r, Color color, double alpha) {
  SetColor(color, alpha);
  cairo_rectangle(cr_, r.x, r.y, r.w, r.h);
  cairo_fill(cr_);
}

void Canvas::YAxis(Rect plot, const std::vector<double>& ticks, double lo, double hi, absl::string_view label) {
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  double widest = 0;
  for (double t : ticks) {
    const double y = plot.y + plot.h - (t - lo) / (hi - lo) * plot.h;
    Line(plot.x, y, plot.x + plot.w, y, kGrid, 1);
    const std::string text = FormatTick(t, step);
    widest = std::max(widest, TextWidth(text, 12));
    Text(plot.x - 8, y, text, 12, Align::kRight, kAxis);
  }
  Line(plot.x, plot.y, plot.x, plot.y + plot.h, kAxis, 1.5);
  Text(plot.x - widest - 24, plot.y + plot.h / 2, label, 13, Align::kCenter, kAxis, false, 90);
}

absl::Status Canvas::WritePng(const std::string& path) {
  cairo_surface_flush(surface_);
  const cairo_status_t st = cairo_surface_write_to_png(surface_, path.c_str());
  if (st != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(absl::StrCat(path, ": cannot write the PNG (", cairo_status_to_string(st), ")"));
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::report
