// Rng: the seeded random source of the synthetic ECG generator. Every draw is defined bit for bit
// on every platform: std::mt19937_64 (its output sequence is fixed by the C++ standard) with the
// distributions implemented here (53-bit uniforms, unbiased integer rejection sampling, Box-Muller
// normals), never the std:: distributions, whose algorithms differ between standard libraries.
// Values computed from draws through libm (exp, sin, log) may still differ in the last bit between
// C libraries; on one platform everything is reproducible.
// Not thread-safe: one Rng per thread (derive per-record streams with DeriveSeed).
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace ecgbench::common::ecg {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // A well-mixed seed for sub-stream `stream` of `seed` (SplitMix64 finaliser), so that record i
  // of a data set gets its own independent generator whatever order records are made in.
  static uint64_t DeriveSeed(uint64_t seed, uint64_t stream);

  uint64_t NextU64() { return engine_(); }
  // Uniform on [0, 1) with 53 random bits.
  double Uniform();
  // Uniform on [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Standard normal by the Box-Muller transform (the second value of each pair is kept for the
  // next call).
  double Normal();
  double Normal(double mean, double sd) { return mean + sd * Normal(); }
  // Uniform integer in [lo, hi] (inclusive), unbiased. REQUIRES: lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  bool Bernoulli(double p) { return Uniform() < p; }

  // Fisher-Yates shuffle driven by UniformInt.
  template <typename T>
  void Shuffle(std::vector<T>& values) {
    for (size_t i = values.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(UniformInt(0, static_cast<int64_t>(i) - 1));
      std::swap(values[i - 1], values[j]);
    }
  }

  // A uniformly chosen element. REQUIRES: !values.empty().
  template <typename T>
  const T& Pick(const std::vector<T>& values) {
    return values[static_cast<size_t>(UniformInt(0, static_cast<int64_t>(values.size()) - 1))];
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace ecgbench::common::ecg
