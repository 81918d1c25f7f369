// A tiny built-in stroke (single-line) font for the lead names on ECG plots: the glyphs
// I V R L F a 1-6 (plus a few more digits and letters), as polylines. Rendering labels from these
// strokes instead of a system font makes the images identical on every machine (no fontconfig,
// FreeType or installed-font dependency), which the training images need for reproducibility.
// Thread-safe (immutable tables).
#pragma once

#include <string_view>
#include <vector>

namespace ecgbench::common::repr {

struct StrokePoint {
  double x = 0;  // glyph units: cap height = 1, x to the right from the glyph origin
  double y = 0;  // y up from the baseline
};
using Stroke = std::vector<StrokePoint>;  // an open (or closed, first == last) polyline

struct StrokeGlyph {
  double advance = 0;  // horizontal advance in glyph units (includes the spacing after the glyph)
  std::vector<Stroke> strokes;
};

// The glyph of `c`; characters without a glyph map to a blank of width 0.5.
const StrokeGlyph& GlyphFor(char c);

// Width of `text` in glyph units (sum of advances, less the trailing spacing).
double TextWidth(std::string_view text);

}  // namespace ecgbench::common::repr
