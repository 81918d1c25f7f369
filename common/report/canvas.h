// A small drawing surface for the report's PNG charts, over Cairo's image surface: text with
// alignment and rotation, a colour palette, "nice" axis ticks and PNG output. Not thread-safe per
// object; separate Canvas objects may be used from different threads.
#pragma once

#include <string>
#include <vector>

#include <cairo.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ecgbench::common::report {

struct Color {
  double r = 0, g = 0, b = 0;
};

// Ten distinguishable colours (Tableau 10 hues), cycling.
Color PaletteColor(size_t i);

// A sequential colour scale (dark blue -> teal -> yellow) for t in [0, 1] (clamped).
Color HeatColor(double t);

// Black or white, whichever reads better on `background`.
Color TextColorOn(Color background);

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
};

// Ticks covering [lo, hi] with a step of 1, 2 or 5 times a power of ten, about `target` of them;
// lo and hi are widened to the outer ticks. REQUIRES: target >= 2. lo == hi is widened first.
std::vector<double> NiceTicks(double* lo, double* hi, int target);

// A tick label with as many decimals as the step needs ("0.25", "10", "1e+06" for huge values).
std::string FormatTick(double value, double step);

class Canvas {
 public:
  enum class Align { kLeft, kCenter, kRight };

  // A white width x height ARGB surface. REQUIRES: 16 <= width, height <= 8192.
  Canvas(int width, int height);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  cairo_t* cr() { return cr_; }
  int width() const { return width_; }
  int height() const { return height_; }

  void SetColor(Color c, double alpha = 1);
  double TextWidth(absl::string_view text, double size, bool bold = false);
  // Draws `text` with its baseline's anchor at (x, y), vertically centred on y, rotated by
  // `degrees` (counter-clockwise) around the anchor.
  void Text(double x, double y, absl::string_view text, double size, Align align, Color color,
            bool bold = false, double degrees = 0);
  void Line(double x0, double y0, double x1, double y1, Color color, double width);
  void FillRect(Rect r, Color color, double alpha = 1);

  // A left axis at plot.x: tick labels, grid lines across `plot` and a rotated label. lo and hi are
  // the value range mapped to the bottom and top of `plot` (from NiceTicks).
  void YAxis(Rect plot, const std::vector<double>& ticks, double lo, double hi, absl::string_view label);

  // Errors: the file cannot be written (names the path and Cairo's reason).
  absl::Status WritePng(const std::string& path);

 private:
  int width_, height_;
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

// Shortens `text` to at most max_chars (>= 4) characters, ending with "..." when cut (UTF-8 safe).
std::string Ellipsize(absl::string_view text, size_t max_chars);

}  // namespace ecgbench::common::report
