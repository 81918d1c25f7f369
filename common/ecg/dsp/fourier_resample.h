// FFT resampling as scipy.signal.resample(x, num) does it for real input (rfft, keep the
// min(num, n) lowest bins, split/join the Nyquist bin, irfft, scale by num/n), plus the complex
// DFT it needs for any length (iterative radix-2 for powers of two, Bluestein's chirp-z
// otherwise). Used by the wavelet denoiser when waverec returns n + 1 samples. Signals can be
// processed one at a time or as interleaved lanes (SIMD across signals, bit-identical per signal).
//
// Neither class is thread-safe (each keeps scratch); keep one per thread. After the first call
// with given lengths and lane counts, calls do not allocate.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace ecgbench::common::ecg {

// In-place DFT of a fixed length n >= 1 over split real/imaginary arrays holding `lanes`
// interleaved signals (re[t * lanes + l]; lanes 1 or a multiple of 4).
// Forward: X[k] = sum_t x[t] exp(-2 pi i k t / n). Inverse: the same with +i and no 1/n factor.
class FftPlan {
 public:
  explicit FftPlan(size_t n);
  size_t size() const { return n_; }
  void Forward(double* re, double* im, size_t lanes);
  void Inverse(double* re, double* im, size_t lanes);

 private:
  size_t n_;
  size_t m_;                    // radix-2 length: n_, or >= 2n_-1 for Bluestein
  std::vector<double> tw_re_;   // per-stage twiddles exp(-2 pi i k / len), stage `len` at len/2 - 1
  std::vector<double> tw_im_;
  std::vector<double> chirp_re_;   // exp(-i pi k^2 / n_), Bluestein only
  std::vector<double> chirp_im_;
  std::vector<double> kernel_re_;  // FFT of the conjugate chirp, Bluestein only
  std::vector<double> kernel_im_;
  std::vector<double> work_re_;
  std::vector<double> work_im_;
};

class FourierResampler {
 public:
  FourierResampler() = default;

  // y = scipy.signal.resample(x, y.size()). InvalidArgument when x or y is empty.
  absl::Status Resample(absl::Span<const double> x, absl::Span<double> y);

  // The same for `lanes` interleaved signals (x[t * lanes + l]; lanes 1 or a multiple of 4):
  // each goes from x.size() / lanes to y.size() / lanes samples, bit-identical to Resample.
  absl::Status ResampleInterleaved(absl::Span<const double> x, size_t lanes, absl::Span<double> y);

 private:
  FftPlan& PlanFor(size_t n);

  std::vector<std::unique_ptr<FftPlan>> plans_;  // a few recently used lengths
  std::vector<double> spec_re_, spec_im_;
  std::vector<double> out_re_, out_im_;
};

}  // namespace ecgbench::common::ecg
