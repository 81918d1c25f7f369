// Internal to common/ecg/dsp: the lane types the kernels are written over. A kernel body is a
// template on T = double (one signal) or V4 (four signals interleaved, GCC vector extension);
// both run the same operations in the same order, so a signal gets bit-identical results
// whichever way it is processed. V4 bodies are compiled twice, for baseline x86-64 (SSE2) and
// for AVX2 without FMA (same rounding), and picked at run time with HasAvx2().
//
// Interleaved layout: sample t of signal l at data[t * lanes + l], lanes a multiple of kLanes.
#pragma once

#include <cstddef>
#include <cstring>

// Vector values never cross a non-inlined call, so the AVX ABI note does not apply.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace ecgbench::common::ecg::simd {

#define ECGBENCH_DSP_INLINE inline __attribute__((always_inline))

inline constexpr size_t kLanes = 4;
typedef double V4 __attribute__((vector_size(32)));

template <class T>
struct Lane;

template <>
struct Lane<double> {
  static constexpr size_t kWidth = 1;
  static ECGBENCH_DSP_INLINE double Load(const double* p) { return *p; }
  static ECGBENCH_DSP_INLINE void Store(double* p, double v) { *p = v; }
  static ECGBENCH_DSP_INLINE double Splat(double v) { return v; }
};

template <>
struct Lane<V4> {
  static constexpr size_t kWidth = 4;
  static ECGBENCH_DSP_INLINE V4 Load(const double* p) {
    V4 v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  static ECGBENCH_DSP_INLINE void Store(double* p, V4 v) { std::memcpy(p, &v, sizeof(v)); }
  static ECGBENCH_DSP_INLINE V4 Splat(double v) { return V4{v, v, v, v}; }
};

// True when the CPU runs AVX2 (checked once), unless the environment variable
// ECGBENCH_DSP_NO_AVX2 is set to something other than "0" (used by the tests to cover the
// baseline kernels; results are the same either way).
bool HasAvx2();

inline size_t PaddedLanes(size_t lanes) { return (lanes + kLanes - 1) / kLanes * kLanes; }

}  // namespace ecgbench::common::ecg::simd

#pragma GCC diagnostic pop
