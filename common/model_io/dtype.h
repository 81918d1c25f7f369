// Element types of safetensors files and exact conversions between them and float32 (f16, bf16,
// f8 widen exactly; f32 -> f16/bf16 rounds to nearest even). Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"

namespace ecgbench::common::model_io {

// The dtypes of the safetensors format (names as written in the header: "F32", "BF16", ...).
enum class DType {
  kBool, kU8, kI8, kF8E5M2, kF8E4M3, kI16, kU16, kF16, kBF16, kI32, kU32, kF32, kF64, kI64, kU64
};

// Bytes per element (1 for BOOL and the F8 types).
size_t DTypeSize(DType dtype);
// Header spelling: "F32", "F8_E4M3", ...
std::string_view DTypeName(DType dtype);
// Inverse of DTypeName; nullopt for anything else (the reference is case-sensitive, so are we).
std::optional<DType> ParseDType(std::string_view name);
// True for F32, F16 and BF16: the dtypes the worker keeps weights in.
bool IsFloatingWeightDType(DType dtype);

float HalfToFloat(uint16_t bits);      // IEEE binary16: subnormals, inf and nan widen exactly
float BFloat16ToFloat(uint16_t bits);  // exact: the upper half of a float32
uint16_t FloatToHalf(float value);     // round to nearest even; overflow -> inf; nan stays nan
uint16_t FloatToBFloat16(float value); // round to nearest even; nan stays (quiet) nan
float Float8E4M3ToFloat(uint8_t bits); // E4M3FN: no inf, 0x7F/0xFF are nan
float Float8E5M2ToFloat(uint8_t bits); // the top byte of a binary16

// Converts `count` little-endian elements at `src` (any alignment) to float32 into `dst`.
// Integers convert with float32 rounding (exact up to 2^24), BOOL to 0/1, F64 rounds to nearest.
void ConvertToFloat32(DType dtype, const void* src, size_t count, float* dst);

// Converts `count` floats into `dtype` at `dst` (any alignment). REQUIRES: IsFloatingWeightDType.
absl::Status ConvertFromFloat32(const float* src, size_t count, DType dtype, void* dst);

}  // namespace ecgbench::common::model_io
