// Hostile and corrupt safetensors headers: every case yields an InvalidArgument that names the file
// and the fault, never a crash; plus deterministic random corruption of a valid file.
#include <cstring>
#include <random>
#include <string>

#include "common/model_io/safetensors_header.h"
#include "common/model_io/safetensors_writer.h"
#include "gtest/gtest.h"
#include "tests/unit/model_io/test_util.h"

namespace ecgbench::common::model_io {
namespace {

using testing::Image;
using testing::Le64;

std::string ErrorOf(const std::string& file, const HeaderLimits& limits = {}) {
  absl::StatusOr<SafetensorsHeader> h = ParseSafetensorsHeader(file, "bad.safetensors", limits);
  if (h.ok()) return "OK";
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(h.status().message());
}

constexpr char kPrefix[] = "bad.safetensors: invalid safetensors file: ";

std::string T(const std::string& name, const std::string& dtype, const std::string& shape, const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
}

TEST(SafetensorsHostileTest, TruncatedAndOversizedLengths) {
  EXPECT_EQ(ErrorOf("abc"), std::string(kPrefix) + "file is 3 bytes, shorter than the 8-byte header length");
  EXPECT_EQ(ErrorOf(Le64(~uint64_t{0}) + "{}"),
            std::string(kPrefix) + "header length 18446744073709551615 exceeds the limit of 100000000 bytes");
  EXPECT_EQ(ErrorOf(Le64(50) + "{}"), std::string(kPrefix) + "header length 50 runs past the end of the file (10 bytes)");
  EXPECT_EQ(ErrorOf(Le64(0)), std::string(kPrefix) + "header does not start with '{'");
  EXPECT_EQ(ErrorOf(Image(" {}", "")), std::string(kPrefix) + "header does not start with '{'");
  HeaderLimits small;
  small.max_header_bytes = 4;
  EXPECT_EQ(ErrorOf(Image("{}     ", ""), small), std::string(kPrefix) + "header length 7 exceeds the limit of 4 bytes");
}

TEST(SafetensorsHostileTest, MalformedJson) {
  EXPECT_NE(ErrorOf(Image("{\"a\":", "")).find("bad.safetensors: safetensors header: invalid JSON at byte"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(Image("{\"a\":[[[[[[[[[[1]]]]]]]]]]}", "")),
            std::string(kPrefix) + "header JSON nests deeper than 8 levels");
  // Brackets inside strings do not count as nesting.
  EXPECT_EQ(ErrorOf(Image("{\"__metadata__\":{\"k\":\"[[[[[[[[[[\\\"{{{{{{{{\"}}", "")), "OK");
  EXPECT_EQ(ErrorOf(Image("{\"__metadata__\":{\"k\":1}}", "")),
            std::string(kPrefix) + "\"__metadata__\" entry 'k' must be a string, got number");
  EXPECT_EQ(ErrorOf(Image("{\"__metadata__\":[]}", "")),
            std::string(kPrefix) + "\"__metadata__\" must be an object of strings");
  EXPECT_EQ(ErrorOf(Image("{\"w\":3}", "")), std::string(kPrefix) + "tensor 'w': entry must be an object");
}

TEST(SafetensorsHostileTest, BadTensorEntries) {
  const std::string d8(8, '\0');
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "F33", "[2]", "[0,8]") + "}", d8)),
            std::string(kPrefix) + "tensor 'w': unknown dtype \"F33\"");
  EXPECT_EQ(ErrorOf(Image("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", d8)),
            std::string(kPrefix) + "tensor 'w': \"dtype\" is missing or not a string");
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "F32", "[-2]", "[0,8]") + "}", d8)),
            std::string(kPrefix) + "tensor 'w': shape entries must be non-negative integers, got -2");
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "F32", "[2.0]", "[0,8]") + "}", d8)),
            std::string(kPrefix) + "tensor 'w': shape entries must be non-negative integers, got 2.0");
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "F32", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "[0,4]") + "}", d8.substr(4))),
            std::string(kPrefix) + "tensor 'w': shape has 17 dimensions (limit 16)");
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "F32", "[2]", "[0]") + "}", d8)),
            std::string(kPrefix) + "tensor 'w': \"data_offsets\" must be [begin, end] with non-negative integers");
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "F32", "[2]", "[8,0]") + "}", d8)),
            std::string(kPrefix) + "tensor 'w': data_offsets [8, 0] end before they begin");
  HeaderLimits names;
  names.max_name_bytes = 3;
  EXPECT_EQ(ErrorOf(Image("{" + T("long", "F32", "[2]", "[0,8]") + "}", d8), names),
            std::string(kPrefix) + "tensor name of 4 bytes exceeds the limit of 3");
  HeaderLimits few;
  few.max_tensors = 1;
  EXPECT_EQ(ErrorOf(Image("{" + T("a", "U8", "[1]", "[0,1]") + "," + T("b", "U8", "[1]", "[1,2]") + "," +
                          T("c", "U8", "[1]", "[2,3]") + "}", "abc"), few),
            std::string(kPrefix) + "header lists 3 entries (limit 1)");
}

TEST(SafetensorsHostileTest, ShapeSizeMismatchAndOverflow) {
  const std::string d8(8, '\0');
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "F32", "[3]", "[0,8]") + "}", d8)),
            std::string(kPrefix) + "tensor 'w': data_offsets [0, 8] span 8 bytes but shape [3] of F32 needs 12");
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "F32", "[4294967296,4294967296]", "[0,8]") + "}", d8)),
            std::string(kPrefix) + "tensor 'w': shape [4294967296,4294967296] is too large");
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "F64", "[4611686018427387904]", "[0,8]") + "}", d8)),
            std::string(kPrefix) + "tensor 'w': shape [4611686018427387904] is too large");
  // Huge but consistent offsets: rejected against the file size, not allocated.
  EXPECT_EQ(ErrorOf(Image("{" + T("w", "U8", "[1000000000000]", "[0,1000000000000]") + "}", d8)),
            std::string(kPrefix) + "tensor 'w': data_offsets [0, 1000000000000] run past the end of the data section (8 bytes)");
}

TEST(SafetensorsHostileTest, OverlapsGapsAndTruncation) {
  const std::string a = T("a", "F32", "[2]", "[0,8]");
  EXPECT_EQ(ErrorOf(Image("{" + a + "," + T("b", "F32", "[2]", "[4,12]") + "}", std::string(12, '\0'))),
            std::string(kPrefix) + "tensor 'b': data_offsets [4, 12] overlap tensor 'a' ending at 8");
  EXPECT_EQ(ErrorOf(Image("{" + a + "," + T("b", "F32", "[2]", "[0,8]") + "}", std::string(8, '\0'))),
            std::string(kPrefix) + "tensor 'b': data_offsets [0, 8] overlap tensor 'a' ending at 8");
  EXPECT_EQ(ErrorOf(Image("{" + a + "," + T("b", "F32", "[1]", "[12,16]") + "}", std::string(16, '\0'))),
            std::string(kPrefix) + "tensor 'b': data_offsets begin at 12, leaving a gap after byte 8 of the data section");
  EXPECT_EQ(ErrorOf(Image("{" + T("a", "F32", "[2]", "[4,12]") + "}", std::string(12, '\0'))),
            std::string(kPrefix) + "tensor 'a': data_offsets begin at 4, leaving a gap after byte 0 of the data section");
  EXPECT_EQ(ErrorOf(Image("{" + a + "}", std::string(5, '\0'))),
            std::string(kPrefix) + "tensor 'a': data_offsets [0, 8] run past the end of the data section (5 bytes)");
  EXPECT_EQ(ErrorOf(Image("{" + a + "}", std::string(9, '\0'))),
            std::string(kPrefix) + "the tensors cover 8 bytes but the data section has 9 (truncated or trailing bytes)");
  // Empty tensors may sit at any boundary.
  EXPECT_EQ(ErrorOf(Image("{" + a + "," + T("e", "F32", "[0]", "[8,8]") + "," + T("z", "BF16", "[0,3]", "[0,0]") + "}",
                          std::string(8, '\0'))),
            "OK");
}

TEST(SafetensorsHostileTest, RandomCorruptionNeverCrashes) {
  SafetensorsWriter writer;
  const float w[6] = {1, 2, 3, 4, 5, 6};
  const uint16_t h[3] = {1, 2, 3};
  ASSERT_TRUE(writer.Add("model.layers.0.w", DType::kF32, {2, 3}, w, sizeof w).ok());
  ASSERT_TRUE(writer.Add("model.layers.0.h", DType::kBF16, {3}, h, sizeof h).ok());
  ASSERT_TRUE(writer.SetMetadata("format", "pt").ok());
  const std::string valid = writer.SerializeToString();
  ASSERT_TRUE(ParseSafetensorsHeader(valid, "ok").ok());
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string mutated = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % mutated.size();
      switch (rng() % 3) {
        case 0: mutated[pos] = static_cast<char>(rng() & 0xFF); break;
        case 1: mutated.erase(pos, 1 + rng() % 8); break;
        default: mutated.resize(pos); break;
      }
      if (mutated.empty()) break;
    }
    absl::StatusOr<SafetensorsHeader> h2 = ParseSafetensorsHeader(mutated, "fuzz");
    if (!h2.ok()) {
      EXPECT_EQ(h2.status().message().substr(0, 6), "fuzz: ");
      continue;
    }
    ++accepted;
    uint64_t covered = 0;
    for (const TensorInfo& t : h2->tensors) covered += t.bytes();
    EXPECT_EQ(h2->data_start + covered, mutated.size());
  }
  EXPECT_LT(accepted, 3000);
}

}  // namespace
}  // namespace ecgbench::common::model_io
