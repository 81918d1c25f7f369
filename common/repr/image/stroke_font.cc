// Glyph tables of the stroke font (see stroke_font.h). Shapes are drawn by hand from lines and
// elliptical arcs on a cap height of 1; arcs are flattened into 24-segment polylines once.
#include "common/repr/image/stroke_font.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace ecgbench::common::repr {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSpacing = 0.18;

// Appends an elliptical arc (centre cx, cy; radii rx, ry) from angle a0 to a1 degrees
// (counter-clockwise positive, y up) to `s`.
void Arc(Stroke& s, double cx, double cy, double rx, double ry, double a0, double a1) {
  const int n = std::max(2, static_cast<int>(std::ceil(std::fabs(a1 - a0) / 15.0)));
  for (int i = 0; i <= n; ++i) {
    const double a = (a0 + (a1 - a0) * i / n) * kPi / 180.0;
    s.push_back({cx + rx * std::cos(a), cy + ry * std::sin(a)});
  }
}

StrokeGlyph Make(double width, std::vector<Stroke> strokes) {
  return StrokeGlyph{width + kSpacing, std::move(strokes)};
}

std::array<StrokeGlyph, 128> BuildGlyphs() {
  std::array<StrokeGlyph, 128> g;
  for (StrokeGlyph& glyph : g) glyph.advance = 0.5;
  g['I'] = Make(0.22, {{{0.11, 0}, {0.11, 1}}});
  g['V'] = Make(0.7, {{{0, 1}, {0.35, 0}, {0.7, 1}}});
  g['L'] = Make(0.5, {{{0.05, 1}, {0.05, 0}, {0.52, 0}}});
  g['F'] = Make(0.5, {{{0.55, 1}, {0.05, 1}, {0.05, 0}}, {{0.05, 0.52}, {0.48, 0.52}}});
  {
    Stroke bowl = {{0.05, 0}, {0.05, 1}, {0.33, 1}};
    Arc(bowl, 0.33, 0.75, 0.24, 0.25, 90, -90);
    bowl.push_back({0.05, 0.5});
    g['R'] = Make(0.6, {bowl, {{0.3, 0.5}, {0.6, 0}}});
  }
  {
    Stroke bowl;
    Arc(bowl, 0.27, 0.27, 0.24, 0.27, 90, 450);
    Stroke stem = {{0.51, 0.6}, {0.51, 0}};
    g['a'] = Make(0.55, {bowl, stem});
  }
  g['1'] = Make(0.55, {{{0.08, 0.78}, {0.3, 1}, {0.3, 0}}, {{0.06, 0}, {0.54, 0}}});
  {
    Stroke s;
    Arc(s, 0.29, 0.71, 0.26, 0.29, 160, -35);
    s.push_back({0.04, 0});
    s.push_back({0.56, 0});
    g['2'] = Make(0.6, {s});
  }
  {
    Stroke top, bottom;
    Arc(top, 0.28, 0.76, 0.23, 0.24, 155, -90);
    Arc(bottom, 0.29, 0.27, 0.27, 0.27, 90, -155);
    g['3'] = Make(0.6, {top, bottom});
  }
  g['4'] = Make(0.6, {{{0.44, 0}, {0.44, 1}, {0.02, 0.3}, {0.6, 0.3}}});
  {
    Stroke s = {{0.53, 1}, {0.1, 1}, {0.06, 0.55}};
    Arc(s, 0.3, 0.32, 0.28, 0.32, 130, -150);
    g['5'] = Make(0.6, {s});
  }
  {
    Stroke bowl, hook;
    Arc(bowl, 0.3, 0.31, 0.27, 0.31, 0, 360);
    hook = {{0.03, 0.31}, {0.06, 0.62}, {0.15, 0.85}, {0.3, 0.98}, {0.48, 1.0}};
    g['6'] = Make(0.6, {bowl, hook});
  }
  g['7'] = Make(0.6, {{{0.02, 1}, {0.58, 1}, {0.2, 0}}});
  {
    Stroke top, bottom;
    Arc(top, 0.3, 0.76, 0.22, 0.24, 0, 360);
    Arc(bottom, 0.3, 0.26, 0.27, 0.26, 0, 360);
    g['8'] = Make(0.6, {top, bottom});
  }
  {
    Stroke bowl, hook;
    Arc(bowl, 0.3, 0.69, 0.27, 0.31, 0, 360);
    hook = {{0.57, 0.69}, {0.54, 0.38}, {0.45, 0.15}, {0.3, 0.02}, {0.12, 0.0}};
    g['9'] = Make(0.6, {bowl, hook});
  }
  {
    Stroke s;
    Arc(s, 0.3, 0.5, 0.27, 0.5, 0, 360);
    g['0'] = Make(0.6, {s});
  }
  g['-'] = Make(0.4, {{{0.05, 0.4}, {0.38, 0.4}}});
  g[' '] = Make(0.3, {});
  return g;
}

const std::array<StrokeGlyph, 128>& Glyphs() {
  static const std::array<StrokeGlyph, 128> kGlyphs = BuildGlyphs();
  return kGlyphs;
}

}  // namespace

const StrokeGlyph& GlyphFor(char c) {
  const auto i = static_cast<unsigned char>(c);
  return Glyphs()[i < 128 ? i : static_cast<unsigned char>('?')];
}

double TextWidth(std::string_view text) {
  double w = 0;
  for (char c : text) w += GlyphFor(c).advance;
  return text.empty() ? 0 : w - kSpacing;
}

}  // namespace ecgbench::common::repr
