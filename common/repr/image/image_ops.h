// The pixel operations behind the image augmentations (image_augment.h), imgaug-like, on 8-bit RGB
// images: brightness multiply, rotation about the centre (bilinear), Gaussian blur, hue/saturation
// shift in OpenCV's 8-bit HSV. Deterministic integer/float arithmetic with round-to-nearest; no
// allocations once the caller's scratch buffers have grown. Thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

#include "common/repr/image/rgb_image.h"

namespace ecgbench::common::repr {

// Every channel v -> clamp(round(v * factor), 0, 255) (imgaug Multiply, per_channel=False).
void MultiplyBrightness(double factor, RgbImage* image);

enum class RotateFill {
  kWhite,  // constant 255 (paper), the default here
  kBlack,  // constant 0 (imgaug Affine's default cval=0)
  kEdge,   // replicate the nearest edge pixel
};

// Rotates `image` by `degrees` about its centre (W/2, H/2), same size, bilinear interpolation;
// positive angles turn the content clockwise on screen (imgaug's Affine convention, y down).
// `scratch` holds a copy of the input.
void Rotate(double degrees, RotateFill fill, RgbImage* image, RgbImage* scratch);

// Separable Gaussian blur with standard deviation `sigma` pixels, kernel radius ceil(3 sigma),
// borders mirrored without repeating the edge (OpenCV BORDER_REFLECT_101); sigma < 0.01 is a
// no-op. `scratch` and `kernel` are work buffers.
void GaussianBlur(double sigma, RgbImage* image, std::vector<float>* scratch, std::vector<float>* kernel);

// OpenCV's 8-bit HSV: H in [0, 180) (degrees / 2), S and V in [0, 255].
struct Hsv8 {
  int h = 0, s = 0, v = 0;
};
Hsv8 RgbToHsv8(uint8_t r, uint8_t g, uint8_t b);
void Hsv8ToRgb(const Hsv8& hsv, uint8_t* rgb);

// imgaug AddToHueAndSaturation: each pixel to HSV, H += round(hue * 180 / 255) modulo 180 (`hue` is
// in imgaug's [-255, 255] units, so 30 is 42 degrees), S = clamp(S + saturation, 0, 255), back to RGB.
void AddToHueAndSaturation(int hue, int saturation, RgbImage* image);

}  // namespace ecgbench::common::repr
