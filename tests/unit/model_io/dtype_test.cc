// DType names/sizes and the float conversions: exhaustive f16/bf16 round trips, exact special
// values (subnormals, inf, nan) and round-to-nearest-even ties.
#include "common/model_io/dtype.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace ecgbench::common::model_io {
namespace {

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

TEST(DTypeTest, NamesAndSizesRoundTrip) {
  const DType all[] = {DType::kBool, DType::kU8,  DType::kI8,  DType::kF8E5M2, DType::kF8E4M3,
                       DType::kI16,  DType::kU16, DType::kF16, DType::kBF16,   DType::kI32,
                       DType::kU32,  DType::kF32, DType::kF64, DType::kI64,    DType::kU64};
  for (DType d : all) EXPECT_EQ(ParseDType(DTypeName(d)), d) << DTypeName(d);
  EXPECT_EQ(DTypeSize(DType::kBF16), 2u);
  EXPECT_EQ(DTypeSize(DType::kF64), 8u);
  EXPECT_EQ(DTypeSize(DType::kBool), 1u);
  EXPECT_EQ(DTypeName(DType::kF8E4M3), "F8_E4M3");
  EXPECT_FALSE(ParseDType("f32").has_value());  // case-sensitive like the reference
  EXPECT_FALSE(ParseDType("F128").has_value());
}

TEST(DTypeTest, HalfSpecialValuesWidenExactly) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(Bits(HalfToFloat(0x8000)), 0x80000000u);  // -0
  EXPECT_EQ(HalfToFloat(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(HalfToFloat(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7E00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0xFC01)));
}

TEST(DTypeTest, EveryHalfAndBFloat16RoundTrips) {
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    const uint16_t h = static_cast<uint16_t>(b);
    const float f = HalfToFloat(h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(f)))) << b;
    } else {
      ASSERT_EQ(FloatToHalf(f), h) << b;
    }
    const float g = BFloat16ToFloat(h);
    if (std::isnan(g)) {
      EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(g)))) << b;
    } else {
      ASSERT_EQ(FloatToBFloat16(g), h) << b;
    }
  }
}

TEST(DTypeTest, NarrowingRoundsToNearestEven) {
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie -> even (down)
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie -> even (up)
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7C00);  // halfway to 2^16 rounds to inf
  EXPECT_EQ(FloatToHalf(-1e10f), 0xFC00);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);            // tie -> even zero
  EXPECT_EQ(FloatToHalf(std::ldexp(1.5f, -25)), 0x0001);            // above the tie
  EXPECT_EQ(FloatToHalf(std::ldexp(3.0f, -25)), 0x0002);            // 1.5 ulp ties to even 2
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -140)), 0x0000);           // float subnormal
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::quiet_NaN()) & 0x7E00, 0x7E00);
  EXPECT_EQ(FloatToBFloat16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);      // tie -> even (down)
  EXPECT_EQ(FloatToBFloat16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(FloatToBFloat16(std::numeric_limits<float>::max()), 0x7F80);  // overflow -> inf
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(std::numeric_limits<float>::quiet_NaN()))));
  // A signalling-nan pattern whose payload sits in the dropped bits must stay nan, not become inf.
  float snan;
  const uint32_t snan_bits = 0x7F800001u;
  std::memcpy(&snan, &snan_bits, 4);
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(snan))));
}

TEST(DTypeTest, Float8) {
  EXPECT_EQ(Float8E4M3ToFloat(0x7E), 448.0f);
  EXPECT_EQ(Float8E4M3ToFloat(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(Float8E4M3ToFloat(0x38), 1.0f);
  EXPECT_EQ(Float8E4M3ToFloat(0xB8), -1.0f);
  EXPECT_TRUE(std::isnan(Float8E4M3ToFloat(0x7F)));
  EXPECT_EQ(Float8E5M2ToFloat(0x7B), 57344.0f);
  EXPECT_EQ(Float8E5M2ToFloat(0x3C), 1.0f);
  EXPECT_EQ(Float8E5M2ToFloat(0x7C), std::numeric_limits<float>::infinity());
}

TEST(DTypeTest, ConvertToFloat32AllDTypesUnaligned) {
  std::vector<float> out(3);
  // Start at an odd address to check that loads do not assume alignment.
  auto at_odd = [](const void* src, size_t n) {
    std::vector<unsigned char> buf(n + 1);
    std::memcpy(buf.data() + 1, src, n);
    return buf;
  };
  const int64_t i64[] = {-5, 0, 16777216};
  auto b = at_odd(i64, sizeof i64);
  ConvertToFloat32(DType::kI64, b.data() + 1, 3, out.data());
  EXPECT_EQ(out, (std::vector<float>{-5.0f, 0.0f, 16777216.0f}));
  const double f64[] = {0.1, -2.5, 1e300};
  b = at_odd(f64, sizeof f64);
  ConvertToFloat32(DType::kF64, b.data() + 1, 3, out.data());
  EXPECT_EQ(out[0], 0.1f);
  EXPECT_EQ(out[1], -2.5f);
  EXPECT_EQ(out[2], std::numeric_limits<float>::infinity());
  const uint8_t flags[] = {0, 1, 7};
  ConvertToFloat32(DType::kBool, flags, 3, out.data());
  EXPECT_EQ(out, (std::vector<float>{0.0f, 1.0f, 1.0f}));
  const uint16_t halves[] = {0x3C00, 0x0001, 0xFC00};
  b = at_odd(halves, sizeof halves);
  ConvertToFloat32(DType::kF16, b.data() + 1, 3, out.data());
  EXPECT_EQ(out, (std::vector<float>{1.0f, std::ldexp(1.0f, -24), -std::numeric_limits<float>::infinity()}));
  const int8_t i8[] = {-128, 127, -1};
  ConvertToFloat32(DType::kI8, i8, 3, out.data());
  EXPECT_EQ(out, (std::vector<float>{-128.0f, 127.0f, -1.0f}));
}

TEST(DTypeTest, ConvertFromFloat32RejectsIntegerTargets) {
  const float v[] = {1.5f};
  uint16_t h = 0;
  ASSERT_TRUE(ConvertFromFloat32(v, 1, DType::kBF16, &h).ok());
  EXPECT_EQ(h, 0x3FC0);
  int32_t i = 0;
  const absl::Status st = ConvertFromFloat32(v, 1, DType::kI32, &i);
  EXPECT_EQ(st.message(), "cannot store float32 values as I32 (F32, F16 or BF16 only)");
}

}  // namespace
}  // namespace ecgbench::common::model_io
