// Blocked transposes between lead-major float32 and interleaved double (see interleave.h).
#include "common/ecg/dsp/interleave.h"

#include <algorithm>

namespace ecgbench::common::ecg {
namespace {
// 64 samples x 12 leads of double = 6 KiB per block: both sides stay in L1.
constexpr size_t kBlock = 64;
}  // namespace

void InterleaveLeads(const float* lead_major, size_t leads, size_t n, size_t lanes, double* rows) {
  const size_t quads = leads / 4;  // four leads at a time: one 32-byte contiguous store per sample
  for (size_t t0 = 0; t0 < n; t0 += kBlock) {
    const size_t t1 = std::min(n, t0 + kBlock);
    for (size_t q = 0; q < quads; ++q) {
      const float* s0 = lead_major + 4 * q * n;
      const float* s1 = s0 + n;
      const float* s2 = s1 + n;
      const float* s3 = s2 + n;
      double* dst = rows + 4 * q;
      for (size_t t = t0; t < t1; ++t) {
        double* d = dst + t * lanes;
        d[0] = s0[t];
        d[1] = s1[t];
        d[2] = s2[t];
        d[3] = s3[t];
      }
    }
    for (size_t l = 4 * quads; l < leads; ++l) {
      const float* src = lead_major + l * n;
      for (size_t t = t0; t < t1; ++t) rows[t * lanes + l] = src[t];
    }
    for (size_t l = leads; l < lanes; ++l) {
      for (size_t t = t0; t < t1; ++t) rows[t * lanes + l] = 0.0;
    }
  }
}

void DeinterleaveLeads(const double* rows, size_t lanes, size_t leads, size_t n, float* lead_major) {
  for (size_t t0 = 0; t0 < n; t0 += kBlock) {
    const size_t t1 = std::min(n, t0 + kBlock);
    for (size_t l = 0; l < leads; ++l) {
      float* dst = lead_major + l * n;
      const double* src = rows + l;
      for (size_t t = t0; t < t1; ++t) dst[t] = static_cast<float>(src[t * lanes]);
    }
  }
}

}  // namespace ecgbench::common::ecg
