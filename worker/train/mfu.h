// Model FLOPs utilisation (MFU) of a training step, as the PaLM paper defines it: the FLOPs the
// model needs per token (6 N for the forward and backward matmuls over N parameters, plus
// 12 L H T for attention over a T-token context in L layers of width H), times tokens per second,
// over the hardware's peak. It ignores recomputation and counts frozen weights as if they trained
// (LoRA runs therefore read higher than the work done, as in PEFT's own MFU reports).
// The peak is not discoverable portably: the worker reads it from ECGBENCH_PEAK_TFLOPS (per rank,
// e.g. 989 for an H100's dense bf16), and reports MFU only when it is set. Pure functions.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace ecgbench::worker::train {

inline double ModelFlopsPerToken(int64_t params, int64_t layers, int64_t hidden, int64_t context) {
  return 6.0 * static_cast<double>(params) + 12.0 * static_cast<double>(layers) * static_cast<double>(hidden) *
                                                 static_cast<double>(context);
}

// Per-rank peak FLOP/s from ECGBENCH_PEAK_TFLOPS; nullopt when unset, not a number or not positive.
inline std::optional<double> PeakFlopsFromEnv() {
  const char* value = std::getenv("ECGBENCH_PEAK_TFLOPS");
  if (value == nullptr) return std::nullopt;
  char* end = nullptr;
  const double tflops = std::strtod(value, &end);
  if (end == value || *end != '\0' || !(tflops > 0)) return std::nullopt;
  return tflops * 1e12;
}

// MFU in [0, 1+) of `tokens_per_s` tokens per second over `ranks` ranks of `peak_flops` each.
inline double Mfu(double flops_per_token, double tokens_per_s, int ranks, double peak_flops) {
  return flops_per_token * tokens_per_s / (static_cast<double>(ranks) * peak_flops);
}

}  // namespace ecgbench::worker::train
