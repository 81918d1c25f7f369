// Test helper: decodes a PNG with Cairo and describes it (size, non-white pixels, distinct colours).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include <cairo.h>

namespace ecgbench::common::report::testing {

struct PngInfo {
  bool ok = false;
  int width = 0, height = 0;
  int64_t non_white = 0;      // pixels that are not pure white
  size_t colors = 0;          // distinct ARGB values
};

inline PngInfo InspectPng(const std::string& path) {
  PngInfo info;
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    return info;
  }
  info.ok = true;
  info.width = cairo_image_surface_get_width(s);
  info.height = cairo_image_surface_get_height(s);
  const int stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  std::set<uint32_t> colors;
  for (int y = 0; y < info.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<size_t>(y) * stride);
    for (int x = 0; x < info.width; ++x) {
      if (row[x] != 0xFFFFFFFFu) ++info.non_white;
      colors.insert(row[x]);
    }
  }
  info.colors = colors.size();
  cairo_surface_destroy(s);
  return info;
}

}  // namespace ecgbench::common::report::testing
