// PNG files of RgbImage, through Cairo's PNG writer and reader (8-bit RGB, no alpha, no gamma or
// text chunks). Thread-safe (no shared state).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/repr/image/rgb_image.h"

namespace ecgbench::common::repr {

// Encodes `image` as PNG bytes. InvalidArgument for an empty image or one whose pixel buffer does
// not match its size; Internal when Cairo fails.
absl::StatusOr<std::string> EncodePng(const RgbImage& image);

// Writes `image` to `path` atomically (temp file + rename). Errors name the path.
absl::Status WritePng(const RgbImage& image, const std::string& path);

// Decodes PNG bytes (any colour type Cairo reads: grey, RGB, palette, with or without alpha; alpha
// is composited over white). InvalidArgument naming `what` when the bytes are not a PNG.
absl::StatusOr<RgbImage> DecodePng(const std::string& bytes, const std::string& what);

// Reads a PNG file. NotFound / InvalidArgument naming the path.
absl::StatusOr<RgbImage> ReadPng(const std::string& path);

}  // namespace ecgbench::common::repr
