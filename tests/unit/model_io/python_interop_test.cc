// Interop with independent code: /usr/bin/python3 + numpy (safetensors_reference.py) writes a file
// by hand from the format description that our reader must read exactly, and reads and checks the
// layout of a file our writer produced.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "common/model_io/safetensors_file.h"
#include "common/model_io/safetensors_writer.h"
#include "gtest/gtest.h"
#include "tests/unit/model_io/test_util.h"

namespace ecgbench::common::model_io {
namespace {

using testing::TempDir;

constexpr char kScript[] = ECGBENCH_MODEL_IO_TEST_DIR "/safetensors_reference.py";

// Runs the reference script; returns its stdout, or fails the test with its exit status.
std::string RunReference(const std::string& mode, const std::string& path) {
  const std::string command = "/usr/bin/python3 " + std::string(kScript) + " " + mode + " '" + path + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return "";
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << command << " failed (needs Debian's python3-numpy):\n" << out;
  return out;
}

TEST(PythonInteropTest, ReadsFileWrittenByNumpy) {
  TempDir dir;
  const std::string path = dir / "numpy.safetensors";
  RunReference("write", path);
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->metadata().at("writer"), "numpy");
  EXPECT_EQ(*file->ReadFloat32("a.f32"), (std::vector<float>{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f}));
  absl::StatusOr<std::vector<float>> f16 = file->ReadFloat32("b.f16");
  ASSERT_TRUE(f16.ok());
  ASSERT_EQ(f16->size(), 5u);
  EXPECT_EQ((*f16)[0], 1.0f);
  EXPECT_EQ((*f16)[1], std::ldexp(1.0f, -24));
  EXPECT_EQ((*f16)[2], std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan((*f16)[3]));
  EXPECT_EQ((*f16)[4], -65504.0f);
  absl::StatusOr<TensorView> bf16 = file->Tensor("c.bf16");
  ASSERT_TRUE(bf16.ok());
  EXPECT_EQ(std::vector<int64_t>(bf16->shape.begin(), bf16->shape.end()), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(*file->ReadFloat32("c.bf16"), (std::vector<float>{3.140625f, BFloat16ToFloat(FloatToBFloat16(-1e-3f))}));
  absl::StatusOr<TensorView> scalar = file->Tensor("d.i64");
  ASSERT_TRUE(scalar.ok());
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(*file->ReadFloat32("d.i64"), std::vector<float>{-7.0f});
  EXPECT_EQ(*file->ReadFloat32("e.u8"), (std::vector<float>{0.0f, 128.0f, 255.0f}));
}

TEST(PythonInteropTest, NumpyReadsOurFile) {
  TempDir dir;
  const std::string path = dir / "ours.safetensors";
  SafetensorsWriter writer;
  const std::vector<float> w = {0.25f, -3.0f, 1.0e-8f, 2.0f};
  ASSERT_TRUE(writer.AddFloat32("layer.weight", {2, 2}, w, DType::kF32).ok());
  ASSERT_TRUE(writer.AddFloat32("layer.half", {4}, w, DType::kF16).ok());
  ASSERT_TRUE(writer.AddFloat32("layer.brain", {1, 4}, w, DType::kBF16).ok());
  const uint8_t mask[3] = {1, 0, 1};
  ASSERT_TRUE(writer.Add("mask", DType::kU8, {3}, mask, 3).ok());
  const int64_t step = 123456789012;
  ASSERT_TRUE(writer.Add("step", DType::kI64, {}, &step, 8).ok());
  ASSERT_TRUE(writer.SetMetadata("format", "pt").ok());
  ASSERT_TRUE(writer.Write(path).ok());
  EXPECT_EQ(RunReference("read", path),
            "metadata {\"format\": \"pt\"}\n"
            "step I64 [] ['123456789012.0']\n"
            "layer.weight F32 [2, 2] ['0.25', '-3.0', '9.99999993922529e-09', '2.0']\n"
            "layer.brain BF16 [1, 4] ['0.25', '-3.0', '1.0011717677116394e-08', '2.0']\n"
            "layer.half F16 [4] ['0.25', '-3.0', '0.0', '2.0']\n"
            "mask U8 [3] ['1.0', '0.0', '1.0']\n");
}

}  // namespace
}  // namespace ecgbench::common::model_io
