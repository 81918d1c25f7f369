// SafetensorsWriter / SafetensorsFile: round trips for every weight dtype, the reference layout
// (order, 8-byte padded header), hand-assembled files read back, zero-copy views, atomic writes.
#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "common/model_io/safetensors_file.h"
#include "common/model_io/safetensors_writer.h"
#include "gtest/gtest.h"
#include "tests/unit/model_io/test_util.h"

namespace ecgbench::common::model_io {
namespace {

using testing::Bytes;
using testing::Image;
using testing::TempDir;
using testing::WriteBytes;

TEST(SafetensorsTest, RoundTripsFloatWeightDTypes) {
  TempDir dir;
  const std::vector<float> values = {1.0f, -2.5f, 0.1f, 65504.0f, std::ldexp(1.0f, -24), 3.0e38f};
  SafetensorsWriter writer;
  ASSERT_TRUE(writer.AddFloat32("w.f32", {2, 3}, values, DType::kF32).ok());
  ASSERT_TRUE(writer.AddFloat32("w.f16", {3, 2}, values, DType::kF16).ok());
  ASSERT_TRUE(writer.AddFloat32("w.bf16", {6}, values, DType::kBF16).ok());
  const int64_t step = 42;
  ASSERT_TRUE(writer.Add("step", DType::kI64, {}, &step, sizeof step).ok());
  ASSERT_TRUE(writer.Add("empty", DType::kF32, {0, 4}, nullptr, 0).ok());
  ASSERT_TRUE(writer.SetMetadata("format", "pt").ok());
  const std::string path = dir / "model.safetensors";
  ASSERT_TRUE(writer.Write(path).ok());

  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->metadata().at("format"), "pt");
  ASSERT_EQ(file->tensors().size(), 5u);

  absl::StatusOr<std::vector<float>> f32 = file->ReadFloat32("w.f32");
  ASSERT_TRUE(f32.ok());
  EXPECT_EQ(*f32, values);
  absl::StatusOr<std::vector<float>> f16 = file->ReadFloat32("w.f16");
  ASSERT_TRUE(f16.ok());
  EXPECT_EQ((*f16)[0], 1.0f);
  EXPECT_EQ((*f16)[1], -2.5f);
  EXPECT_EQ((*f16)[2], HalfToFloat(FloatToHalf(0.1f)));
  EXPECT_EQ((*f16)[3], 65504.0f);
  EXPECT_EQ((*f16)[4], std::ldexp(1.0f, -24));
  EXPECT_EQ((*f16)[5], std::numeric_limits<float>::infinity());
  absl::StatusOr<std::vector<float>> bf16 = file->ReadFloat32("w.bf16");
  ASSERT_TRUE(bf16.ok());
  EXPECT_EQ((*bf16)[1], -2.5f);
  EXPECT_EQ((*bf16)[2], BFloat16ToFloat(FloatToBFloat16(0.1f)));
  EXPECT_EQ((*bf16)[5], BFloat16ToFloat(FloatToBFloat16(3.0e38f)));

  absl::StatusOr<TensorView> scalar = file->Tensor("step");
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->dtype, DType::kI64);
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->num_elements, 1);
  int64_t got = 0;
  std::memcpy(&got, scalar->data, 8);
  EXPECT_EQ(got, 42);
  absl::StatusOr<TensorView> empty = file->Tensor("empty");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->bytes, 0u);
  EXPECT_EQ(std::vector<int64_t>(empty->shape.begin(), empty->shape.end()), (std::vector<int64_t>{0, 4}));
}

TEST(SafetensorsTest, LayoutMatchesTheReferenceWriter) {
  SafetensorsWriter writer;
  const uint16_t h[3] = {1, 2, 3};
  const float f[1] = {1.0f};
  const uint8_t u[1] = {9};
  ASSERT_TRUE(writer.Add("b_half", DType::kF16, {3}, h, sizeof h).ok());
  ASSERT_TRUE(writer.Add("a_byte", DType::kU8, {1}, u, 1).ok());
  ASSERT_TRUE(writer.Add("c_float", DType::kF32, {1}, f, 4).ok());
  const std::string header = writer.SerializeHeader();
  // Largest element size first, then by name; compact JSON padded with spaces to 8 bytes.
  const std::string json =
      "{\"c_float\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"b_half\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[4,10]},"
      "\"a_byte\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[10,11]}}";
  const size_t padded = (json.size() + 7) / 8 * 8;
  EXPECT_EQ(header, testing::Le64(padded) + json + std::string(padded - json.size(), ' '));
  EXPECT_EQ(header.size() % 8, 0u);
  const std::string image = writer.SerializeToString();
  EXPECT_EQ(image.size(), header.size() + 11);
}

TEST(SafetensorsTest, ReadsHandAssembledFileZeroCopy) {
  // Written without the library: tensors listed out of offset order, an unaligned F32 after a
  // 3-byte U8 tensor, no header padding, and metadata.
  std::string json =
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[3,11]},"
      "\"__metadata__\":{\"format\":\"pt\",\"note\":\"caf\xc3\xa9\"},"
      "\"ids\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
      "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[11,13]}}";
  json.append((8 - json.size() % 8) % 8, ' ');  // data section 8-aligned, so "w" at +3 is not
  const std::string data = Bytes<uint8_t>({7, 8, 9}) + Bytes<float>({0.5f, -4.0f}) + Bytes<uint16_t>({0x4049});
  TempDir dir;
  WriteBytes(dir / "x.safetensors", Image(json, data));
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(dir / "x.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->tensors().size(), 3u);
  EXPECT_EQ(file->tensors()[0].name, "ids");  // data-section order
  EXPECT_EQ(file->metadata().at("note"), "caf\xc3\xa9");
  absl::StatusOr<TensorView> ids = file->Tensor("ids");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(static_cast<const uint8_t*>(ids->data)[2], 9);
  absl::StatusOr<TensorView> w = file->Tensor("w");
  ASSERT_TRUE(w.ok());
  // Zero-copy: the view points 3 bytes after the first tensor, inside the same mapping.
  EXPECT_EQ(static_cast<const char*>(w->data) - static_cast<const char*>(ids->data), 3);
  EXPECT_FALSE(w->IsAligned());
  std::vector<float> out(2);
  ASSERT_TRUE(ReadFloat32(*w, absl::MakeSpan(out)).ok());
  EXPECT_EQ(out, (std::vector<float>{0.5f, -4.0f}));
  absl::StatusOr<std::vector<float>> b = file->ReadFloat32("b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0], 3.140625f);
  // Wrong output size and unknown names are errors naming the tensor / file.
  std::vector<float> small(1);
  EXPECT_EQ(file->ReadFloat32("w", absl::MakeSpan(small)).message(),
            dir / "x.safetensors" + ": tensor 'w' has 2 elements but the output buffer holds 1");
  const absl::Status missing = file->Tensor("nope").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), dir / "x.safetensors" + ": no tensor 'nope'");
}

TEST(SafetensorsTest, WriterRejectsBadTensors) {
  SafetensorsWriter writer;
  const float f[2] = {1, 2};
  EXPECT_EQ(writer.Add("x", DType::kF32, {3}, f, 8).message(), "tensor 'x': 8 bytes given but shape needs 12 of F32");
  EXPECT_EQ(writer.Add("x", DType::kF32, {-2}, f, 8).message(), "tensor 'x': negative dimension -2");
  EXPECT_EQ(writer.Add("__metadata__", DType::kF32, {2}, f, 8).message(), "tensor name \"__metadata__\" is reserved");
  EXPECT_EQ(writer.Add("bad\xff", DType::kF32, {2}, f, 8).message(), "tensor name 'bad\xff' is not valid UTF-8");
  ASSERT_TRUE(writer.Add("x", DType::kF32, {2}, f, 8).ok());
  EXPECT_EQ(writer.Add("x", DType::kF32, {2}, f, 8).message(), "tensor 'x' added twice");
  EXPECT_EQ(writer.AddFloat32("y", {2}, f, DType::kI8).message(), "tensor 'y': cannot store float32 values as I8");
  EXPECT_EQ(writer.size(), 1u);
}

TEST(SafetensorsTest, WriteIsAtomic) {
  TempDir dir;
  const std::string path = dir / "m.safetensors";
  const float a[1] = {1.0f}, b[2] = {2.0f, 3.0f};
  SafetensorsWriter first;
  ASSERT_TRUE(first.Add("t", DType::kF32, {1}, a, 4).ok());
  ASSERT_TRUE(first.Write(path).ok());
  // A failed write (directory missing) leaves nothing behind.
  const absl::Status st = first.Write(dir / "missing/m.safetensors");
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  EXPECT_NE(st.message().find("missing/m.safetensors.tmp."), std::string::npos) << st;
  // Replacing a file that is mapped keeps the old mapping valid (rename, not rewrite).
  absl::StatusOr<SafetensorsFile> old_file = SafetensorsFile::Open(path);
  ASSERT_TRUE(old_file.ok());
  SafetensorsWriter second;
  ASSERT_TRUE(second.Add("t", DType::kF32, {2}, b, 8).ok());
  ASSERT_TRUE(second.Write(path).ok());
  EXPECT_EQ(*old_file->ReadFloat32("t"), std::vector<float>{1.0f});
  absl::StatusOr<SafetensorsFile> new_file = SafetensorsFile::Open(path);
  ASSERT_TRUE(new_file.ok());
  EXPECT_EQ(*new_file->ReadFloat32("t"), (std::vector<float>{2.0f, 3.0f}));
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);  // no temp file left
}

TEST(SafetensorsTest, OpenErrorsNameThePath) {
  TempDir dir;
  absl::StatusOr<SafetensorsFile> missing = SafetensorsFile::Open(dir / "none.safetensors");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), dir / "none.safetensors" + ": cannot open: No such file or directory");
  absl::StatusOr<SafetensorsFile> directory = SafetensorsFile::Open(dir.path());
  EXPECT_EQ(directory.status().message(), dir.path() + ": not a regular file");
  WriteBytes(dir / "empty.safetensors", "");
  absl::StatusOr<SafetensorsFile> empty = SafetensorsFile::Open(dir / "empty.safetensors");
  EXPECT_EQ(empty.status().message(),
            dir / "empty.safetensors" + ": invalid safetensors file: file is 0 bytes, shorter than the 8-byte header length");
}

}  // namespace
}  // namespace ecgbench::common::model_io
