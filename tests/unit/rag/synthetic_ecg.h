// Deterministic ECG-like test signals for the RAG tests: beats (Q, R, S, T as Gaussian bumps) at
// a random heart rate per ECG, lead-specific amplitudes, baseline wander and noise.
#pragma once

#include <cstdint>
#include <vector>

namespace ecgbench::common::rag::testing {

struct SyntheticEcgOptions {
  int64_t num_samples = 2500;
  double fs = 250;
  double heart_rate_bpm = 0;  // 0: drawn from [50, 110]
  double noise = 0.02;        // mV, standard deviation
  double amplitude = 1.0;     // scales the R wave
};

// 12 x num_samples floats, lead-major.
std::vector<float> SyntheticEcg(uint64_t seed, const SyntheticEcgOptions& options = {});

}  // namespace ecgbench::common::rag::testing
