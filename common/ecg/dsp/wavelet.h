// Discrete wavelet transform as PyWavelets 1.1 computes it in mode='symmetric' (dwt, idwt,
// wavedec, waverec; same summation order as pywt's C convolutions), the Daubechies-6 filter bank,
// and the paper-era ECG-Bench denoising rule (_wavelet_denoise).
//
// Lengths: dwt of n samples gives floor((n + F - 1) / 2) coefficients per band (F = filter
// length, 12 for db6); idwt of m + m coefficients gives 2m - F + 2 samples; waverec drops the
// last approximation coefficient when it has one more than the detail band (as pywt does).
//
// Functions are thread-safe. A WaveletWorkspace is not: keep one per thread; once it has seen the
// longest input, WaveDec/WaveRec/WaveletDenoise do not allocate.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/ecg/dsp/fourier_resample.h"

namespace ecgbench::common::ecg {

// pywt.Wavelet(name).dec_lo / dec_hi / rec_lo / rec_hi.
struct WaveletFilters {
  std::vector<double> dec_lo;
  std::vector<double> dec_hi;
  std::vector<double> rec_lo;
  std::vector<double> rec_hi;
  int length() const { return static_cast<int>(dec_lo.size()); }
};

// Daubechies 6 (12 taps), pywt's 'db6'.
const WaveletFilters& Db6();

// pywt.dwt_coeff_len(n, F, 'symmetric').
int64_t DwtLength(int64_t n, int filter_length);

// One level of pywt.dwt(x, w, 'symmetric'). ca and cd must hold DwtLength(x.size(), F) values;
// x must not be empty.
absl::Status Dwt(absl::Span<const double> x, const WaveletFilters& w, absl::Span<double> ca,
                 absl::Span<double> cd);

// pywt.idwt(ca, cd, w, 'symmetric'): ca and cd of equal length m >= F/2; out holds 2m - F + 2.
absl::Status Idwt(absl::Span<const double> ca, absl::Span<const double> cd, const WaveletFilters& w,
                  absl::Span<double> out);

// Coefficients in pywt.wavedec order: [cA_level, cD_level, ..., cD_1].
using WaveletCoeffs = std::vector<std::vector<double>>;

// pywt.wavedec(x, w, mode='symmetric', level=level). level >= 0 (pywt only warns when the level
// exceeds dwt_max_level, and this does not warn). Reuses the capacity of `coeffs` and `scratch`.
absl::Status WaveDec(absl::Span<const double> x, const WaveletFilters& w, int level, WaveletCoeffs& coeffs,
                     std::vector<double>& scratch);

// pywt.waverec(coeffs, w, mode='symmetric'). `scratch` is reused between levels.
absl::Status WaveRec(const WaveletCoeffs& coeffs, const WaveletFilters& w, std::vector<double>& out,
                     std::vector<double>& scratch);

// WaveDec / WaveRec over `lanes` interleaved signals (sample t of signal l at x[t * lanes + l];
// lanes is 1 or a multiple of 4); every coefficient array is interleaved the same way. Each signal
// gets bit-identical results to the one-signal functions; SIMD across signals makes this faster.
absl::Status WaveDecInterleaved(absl::Span<const double> x, size_t lanes, const WaveletFilters& w, int level,
                                WaveletCoeffs& coeffs, std::vector<double>& scratch);
absl::Status WaveRecInterleaved(const WaveletCoeffs& coeffs, size_t lanes, const WaveletFilters& w,
                                std::vector<double>& out, std::vector<double>& scratch);

struct WaveletDenoiseOptions {
  int level = 4;
  double epsilon = 1e-10;  // coefficients with |c| <= epsilon are zeroed
};

class WaveletWorkspace {
 public:
  WaveletWorkspace() = default;

 private:
  friend absl::Status WaveletDenoiseInterleaved(absl::Span<double>, size_t, WaveletWorkspace&,
                                                const WaveletDenoiseOptions&);
  WaveletCoeffs coeffs_;
  std::vector<double> rec_;
  std::vector<double> scratch_;
  std::vector<double> abs_;
  std::vector<double> thresholds_;
  FourierResampler fourier_;
};

// The paper-era ECG-Bench denoiser for one lead (PreprocessBaseECG._wavelet_denoise):
//   coeffs = wavedec(x, 'db6', level=4); t = median(|coeffs[-level]|) / 0.6745 (0 when the median
//   is 0; coeffs[-level] is cD_level, the coarsest detail band, not the usual cD1, and there is no
//   sqrt(2 ln n) factor); every detail band is soft-thresholded with pywt.threshold(c, t, 'soft'),
//   and coefficients with |c| <= epsilon or a non-finite result become 0; cA is kept; waverec;
//   when the reconstruction has a different length (n odd gives n + 1) it is brought back to n
//   with scipy.signal.resample (FFT), as upstream did; finally NaN and +-Inf become 0
//   (np.nan_to_num(..., posinf=0, neginf=0)). A NaN in x makes the median NaN: every detail band
//   is zeroed and the NaN then spreads through cA's support before being zeroed.
// x and y have the same size (>= 1) and may be the same memory.
absl::Status WaveletDenoise(absl::Span<const double> x, absl::Span<double> y, WaveletWorkspace& ws,
                            const WaveletDenoiseOptions& options = {});

// WaveletDenoise in place on `lanes` interleaved signals (lanes 1 or a multiple of 4; pad with
// zero signals), each with its own threshold; bit-identical per signal to WaveletDenoise.
absl::Status WaveletDenoiseInterleaved(absl::Span<double> data, size_t lanes, WaveletWorkspace& ws,
                                       const WaveletDenoiseOptions& options = {});

}  // namespace ecgbench::common::ecg
