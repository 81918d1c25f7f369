// Test helpers for the representation batch tests (also used by tests/unit/worker/data): synthetic
// 12-lead segments and a small ECG-Byte tokenizer. Header-only, deterministic.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/repr/ecg_byte/ecg_byte_tokenizer.h"

namespace ecgbench::common::repr::testing {

// 12 x length mV values, lead-major: lead l is a sum of two sines whose amplitude, frequency and
// phase depend on l and `variant`, in about [-1.6, 1.6] mV.
inline std::vector<float> SyntheticSegment(int64_t length, int variant = 0) {
  std::vector<float> x(static_cast<size_t>(12 * length));
  for (int l = 0; l < 12; ++l) {
    for (int64_t t = 0; t < length; ++t) {
      const double s = static_cast<double>(t) / 250.0;
      const double v = (0.4 + 0.08 * l) * std::sin(2 * M_PI * (1.1 + 0.1 * variant) * s + 0.3 * l) +
                       0.3 * std::sin(2 * M_PI * (7.0 + l) * s + variant);
      x[static_cast<size_t>(l * length + t)] = static_cast<float>(v);
    }
  }
  return x;
}

// A tokenizer with a few merges over frequent symbol runs: "aa", "aaaa", "mm", "mmmm", "mn", "zz".
inline std::shared_ptr<const EcgByteTokenizer> SmallTokenizer() {
  std::vector<BpeMerge> merges = {{'a', 'a'}, {256, 256}, {'m', 'm'}, {258, 258}, {'m', 'n'}, {'z', 'z'}};
  auto tok = EcgByteTokenizer::Create(std::move(merges));
  return std::make_shared<const EcgByteTokenizer>(*std::move(tok));
}

}  // namespace ecgbench::common::repr::testing
