// Synthetic ECGs for the RAG tests (see synthetic_ecg.h).
#include "tests/unit/rag/synthetic_ecg.h"

#include <cmath>
#include <random>

namespace ecgbench::common::rag::testing {

std::vector<float> SyntheticEcg(uint64_t seed, const SyntheticEcgOptions& o) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::normal_distribution<double> gauss(0.0, 1.0);
  const double hr = o.heart_rate_bpm > 0 ? o.heart_rate_bpm : 50 + 60 * uni(rng);
  const double rr = 60.0 / hr;
  const int64_t n = o.num_samples;
  std::vector<float> out(static_cast<size_t>(12 * n));
  const double phase = uni(rng) * rr;
  for (int l = 0; l < 12; ++l) {
    const double r_amp = o.amplitude * (0.5 + uni(rng)) * (l == 3 ? -1.0 : 1.0);  // aVR inverted
    const double t_amp = 0.1 + 0.3 * uni(rng);
    const double wander_f = 0.1 + 0.3 * uni(rng);
    const double wander_a = 0.1 * uni(rng);
    for (int64_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / o.fs;
      double v = wander_a * std::sin(2 * M_PI * wander_f * t);
      for (double beat = phase - rr; beat < t + rr; beat += rr) {
        const double dt = t - beat;
        v += -0.1 * r_amp * std::exp(-std::pow((dt + 0.03) / 0.01, 2));
        v += r_amp * std::exp(-std::pow(dt / 0.012, 2));
        v += -0.15 * r_amp * std::exp(-std::pow((dt - 0.03) / 0.01, 2));
        v += t_amp * std::exp(-std::pow((dt - 0.25) / 0.045, 2));
      }
      v += o.noise * gauss(rng);
      out[static_cast<size_t>(l * n + i)] = static_cast<float>(v);
    }
  }
  return out;
}

}  // namespace ecgbench::common::rag::testing
