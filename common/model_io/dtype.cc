// DType names and sizes, and the float conversions (bit-exact, no lookup tables).
#include "common/model_io/dtype.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/model_io/absl_view.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian; so must the host be");

namespace ecgbench::common::model_io {
namespace {

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::kBool, "BOOL", 1},   {DType::kU8, "U8", 1},     {DType::kI8, "I8", 1},
    {DType::kF8E5M2, "F8_E5M2", 1}, {DType::kF8E4M3, "F8_E4M3", 1}, {DType::kI16, "I16", 2},
    {DType::kU16, "U16", 2},     {DType::kF16, "F16", 2},   {DType::kBF16, "BF16", 2},
    {DType::kI32, "I32", 4},     {DType::kU32, "U32", 4},   {DType::kF32, "F32", 4},
    {DType::kF64, "F64", 8},     {DType::kI64, "I64", 8},   {DType::kU64, "U64", 8},
};

float BitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint32_t FloatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

template <typename T>
void Widen(const void* src, size_t count, float* dst) {
  const unsigned char* p = static_cast<const unsigned char*>(src);
  for (size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

template <typename Bits, typename Fn>
void WidenBits(const void* src, size_t count, float* dst, Fn fn) {
  const unsigned char* p = static_cast<const unsigned char*>(src);
  for (size_t i = 0; i < count; ++i) {
    Bits v;
    std::memcpy(&v, p + i * sizeof(Bits), sizeof(Bits));
    dst[i] = fn(v);
  }
}

}  // namespace

size_t DTypeSize(DType dtype) {
  for (const DTypeEntry& e : kDTypes) {
    if (e.dtype == dtype) return e.size;
  }
  return 0;
}

std::string_view DTypeName(DType dtype) {
  for (const DTypeEntry& e : kDTypes) {
    if (e.dtype == dtype) return e.name;
  }
  return "?";
}

std::optional<DType> ParseDType(std::string_view name) {
  for (const DTypeEntry& e : kDTypes) {
    if (e.name == name) return e.dtype;
  }
  return std::nullopt;
}

bool IsFloatingWeightDType(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) return BitsToFloat(sign | 0x7F800000u | (mant << 13));  // inf / nan (payload kept)
  if (exp != 0) return BitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0) return BitsToFloat(sign);  // signed zero
  // Subnormal: value = mant * 2^-24; normalise into a float32 normal.
  int e = -1;
  do {
    ++e;
    mant <<= 1;
  } while ((mant & 0x400u) == 0);
  return BitsToFloat(sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3FFu) << 13));
}

float BFloat16ToFloat(uint16_t bits) { return BitsToFloat(static_cast<uint32_t>(bits) << 16); }

uint16_t FloatToHalf(float value) {
  const uint32_t f = FloatToBits(value);
  const uint16_t sign = static_cast<uint16_t>((f >> 16) & 0x8000u);
  const uint32_t abs = f & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));  // nan
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {  // below the smallest f16 normal (2^-14): subnormal or zero
    if (abs < 0x33000000u) return sign;  // < 2^-25 rounds to zero (2^-25 itself ties to even zero)
    const uint32_t exp = abs >> 23;
    const uint32_t mant = (abs & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126 - exp;  // 14..24 bits dropped from the 24-bit significand
    uint32_t result = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (result & 1u))) ++result;
    return static_cast<uint16_t>(sign | result);
  }
  uint32_t rebased = abs - (112u << 23);
  const uint32_t rem = rebased & 0x1FFFu;
  uint32_t result = rebased >> 13;
  if (rem > 0x1000u || (rem == 0x1000u && (result & 1u))) ++result;  // carry into the exponent is correct
  return static_cast<uint16_t>(sign | result);
}

uint16_t FloatToBFloat16(float value) {
  const uint32_t f = FloatToBits(value);
  if ((f & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((f >> 16) | 0x0040u);  // quiet nan
  const uint32_t rounding = 0x7FFFu + ((f >> 16) & 1u);
  return static_cast<uint16_t>((f + rounding) >> 16);
}

float Float8E4M3ToFloat(uint8_t bits) {
  const float sign = (bits & 0x80u) ? -1.0f : 1.0f;
  const int exp = (bits >> 3) & 0xF;
  const int mant = bits & 0x7;
  if (exp == 0xF && mant == 0x7) return std::numeric_limits<float>::quiet_NaN();
  if (exp == 0) return sign * std::ldexp(static_cast<float>(mant), -9);  // subnormal: mant/8 * 2^-6
  return sign * std::ldexp(1.0f + static_cast<float>(mant) / 8.0f, exp - 7);
}

float Float8E5M2ToFloat(uint8_t bits) { return HalfToFloat(static_cast<uint16_t>(bits) << 8); }

void ConvertToFloat32(DType dtype, const void* src, size_t count, float* dst) {
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, src, count * sizeof(float));
      return;
    case DType::kF16:
      return WidenBits<uint16_t>(src, count, dst, HalfToFloat);
    case DType::kBF16:
      return WidenBits<uint16_t>(src, count, dst, BFloat16ToFloat);
    case DType::kF8E4M3:
      return WidenBits<uint8_t>(src, count, dst, Float8E4M3ToFloat);
    case DType::kF8E5M2:
      return WidenBits<uint8_t>(src, count, dst, Float8E5M2ToFloat);
    case DType::kF64:
      return Widen<double>(src, count, dst);
    case DType::kBool:
      return WidenBits<uint8_t>(src, count, dst, [](uint8_t b) { return b != 0 ? 1.0f : 0.0f; });
    case DType::kU8:
      return Widen<uint8_t>(src, count, dst);
    case DType::kI8:
      return Widen<int8_t>(src, count, dst);
    case DType::kI16:
      return Widen<int16_t>(src, count, dst);
    case DType::kU16:
      return Widen<uint16_t>(src, count, dst);
    case DType::kI32:
      return Widen<int32_t>(src, count, dst);
    case DType::kU32:
      return Widen<uint32_t>(src, count, dst);
    case DType::kI64:
      return Widen<int64_t>(src, count, dst);
    case DType::kU64:
      return Widen<uint64_t>(src, count, dst);
  }
}

absl::Status ConvertFromFloat32(const float* src, size_t count, DType dtype, void* dst) {
  unsigned char* out = static_cast<unsigned char*>(dst);
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, src, count * sizeof(float));
      return absl::OkStatus();
    case DType::kF16:
    case DType::kBF16:
      for (size_t i = 0; i < count; ++i) {
        const uint16_t bits = dtype == DType::kF16 ? FloatToHalf(src[i]) : FloatToBFloat16(src[i]);
        std::memcpy(out + 2 * i, &bits, 2);
      }
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("cannot store float32 values as ", Sv(DTypeName(dtype)), " (F32, F16 or BF16 only)"));
  }
}

}  // namespace ecgbench::common::model_io
