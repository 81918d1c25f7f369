// PNG encoding and decoding through Cairo's PNG stream functions (see png.h).
#include "common/repr/image/png.h"

#include <cairo.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {

namespace {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct ReadCursor {
  const std::string* bytes;
  size_t pos;
};

cairo_status_t ReadFromString(void* closure, unsigned char* data, unsigned int length) {
  auto* c = static_cast<ReadCursor*>(closure);
  if (c->bytes->size() - c->pos < length) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(data, c->bytes->data() + c->pos, length);
  c->pos += length;
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

absl::StatusOr<std::string> EncodePng(const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot encode an empty image (", image.width, " x ",
                                                   image.height, ") as PNG"));
  }
  if (image.pixels.size() != image.size_bytes()) {
    return absl::InvalidArgumentError(absl::StrCat("image of ", image.width, " x ", image.height, " has ",
                                                   image.pixels.size(), " pixel bytes, expected ", image.size_bytes()));
  }
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, image.width, image.height));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(absl::StrCat("cairo: cannot create a ", image.width, " x ", image.height,
                                            " surface: ", cairo_status_to_string(cairo_surface_status(surface.get()))));
  }
  cairo_surface_flush(surface.get());
  unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  for (int y = 0; y < image.height; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    const uint8_t* src = image.at(0, y);
    for (int x = 0; x < image.width; ++x, src += 3) {
      row[x] = (uint32_t{src[0]} << 16) | (uint32_t{src[1]} << 8) | uint32_t{src[2]};
    }
  }
  cairo_surface_mark_dirty(surface.get());
  std::string bytes;
  const cairo_status_t st = cairo_surface_write_to_png_stream(surface.get(), AppendToString, &bytes);
  if (st != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(absl::StrCat("cairo: PNG encoding failed: ", cairo_status_to_string(st)));
  }
  return bytes;
}

absl::Status WritePng(const RgbImage& image, const std::string& path) {
  auto bytes = EncodePng(image);
  if (!bytes.ok()) return absl::Status(bytes.status().code(), absl::StrCat(path, ": ", bytes.status().message()));
  return WriteFileAtomic(path, *bytes);
}

absl::StatusOr<RgbImage> DecodePng(const std::string& bytes, const std::string& what) {
  static constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a PNG file (bad signature)"));
  }
  ReadCursor cursor{&bytes, 0};
  SurfacePtr surface(cairo_image_surface_create_from_png_stream(ReadFromString, &cursor));
  const cairo_status_t st = cairo_surface_status(surface.get());
  if (st != CAIRO_STATUS_SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": cannot decode PNG: ", cairo_status_to_string(st)));
  }
  const cairo_format_t format = cairo_image_surface_get_format(surface.get());
  if (format != CAIRO_FORMAT_RGB24 && format != CAIRO_FORMAT_ARGB32) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": unsupported PNG pixel format (cairo format ", static_cast<int>(format), ")"));
  }
  cairo_surface_flush(surface.get());
  RgbImage image;
  image.Resize(cairo_image_surface_get_width(surface.get()), cairo_image_surface_get_height(surface.get()));
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  for (int y = 0; y < image.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    uint8_t* dst = image.at(0, y);
    for (int x = 0; x < image.width; ++x, dst += 3) {
      const uint32_t p = row[x];
      // ARGB32 is premultiplied: colour over white is c + (255 - a).
      const uint32_t white = format == CAIRO_FORMAT_ARGB32 ? 255 - (p >> 24) : 0;
      dst[0] = static_cast<uint8_t>(((p >> 16) & 0xff) + white);
      dst[1] = static_cast<uint8_t>(((p >> 8) & 0xff) + white);
      dst[2] = static_cast<uint8_t>((p & 0xff) + white);
    }
  }
  return image;
}

absl::StatusOr<RgbImage> ReadPng(const std::string& path) {
  ECGBENCH_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return DecodePng(bytes, path);
}

}  // namespace ecgbench::common::repr
