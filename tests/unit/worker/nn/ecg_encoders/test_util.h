// Shared helpers of the ECG encoder tests (tests only): tiny encoders, seeded signals, temp dirs.
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "worker/nn/ecg_encoders/ecg_encoder.h"

namespace ecgbench::worker::nn::testing {

// Segment length of the tiny test encoders: PatchSizeFor(128) = 4, so ST-MEM / MTAE have 32
// patches and a 0.75 mask keeps exactly 8 (25 %).
inline constexpr int64_t kTinyLen = 128;

inline EcgEncoderOptions TinyOptions(const std::string& kind, uint64_t seed = 1) {
  EcgEncoderOptions o;
  o.kind = kind;
  o.preset = "tiny";
  o.segment_len = kTinyLen;
  o.seed = seed;
  return o;
}

inline std::shared_ptr<EcgEncoder> MakeTiny(const std::string& kind, uint64_t seed = 1) {
  absl::StatusOr<std::shared_ptr<EcgEncoder>> encoder = CreateEcgEncoder(TinyOptions(kind, seed));
  EXPECT_TRUE(encoder.ok()) << encoder.status();
  return encoder.ok() ? *encoder : nullptr;
}

// U[0, 1) signal [b, 12, len] (normalised ECGs live in [0, 1]).
inline torch::Tensor RandomSignal(int64_t b, uint64_t seed, int64_t len = kTinyLen) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  return torch::rand({b, 12, len}, g, torch::kFloat);
}

inline std::filesystem::path FreshDir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ecgbench_ecgenc_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace ecgbench::worker::nn::testing
