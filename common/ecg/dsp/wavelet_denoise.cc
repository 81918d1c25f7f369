// The paper-era ECG-Bench wavelet denoiser (_wavelet_denoise), one signal or interleaved lanes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/simd.h"
#include "common/ecg/dsp/wavelet.h"
#include "common/util/status_macros.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // see simd.h

namespace ecgbench::common::ecg {
namespace {

// np.median(np.abs(v[:, lane])) of an interleaved array (NaN when any element is NaN).
double MedianAbs(const std::vector<double>& v, size_t lanes, size_t lane, std::vector<double>& buf) {
  const size_t n = v.size() / lanes;
  buf.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double c = v[i * lanes + lane];
    if (std::isnan(c)) return std::nan("");
    buf[i] = std::fabs(c);
  }
  const size_t mid = n / 2;
  std::nth_element(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(mid), buf.end());
  const double upper = buf[mid];
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2.0;
}

// pywt.threshold(c, t, 'soft'), then 0 where |c| <= epsilon or the result is not finite:
//   factor = max(1 - t / |c|, 0) (NaN stays NaN), result = c * factor.
// Written once over the lane type (simd.h): the V4 body runs the same operations per lane.
typedef int64_t I4 __attribute__((vector_size(32)));

ECGBENCH_DSP_INLINE double Magnitude(double c) { return std::fabs(c); }
ECGBENCH_DSP_INLINE simd::V4 Magnitude(simd::V4 c) {
  I4 bits;
  std::memcpy(&bits, &c, sizeof(bits));
  bits &= INT64_MAX;  // clear the sign bit, as fabs
  simd::V4 m;
  std::memcpy(&m, &bits, sizeof(m));
  return m;
}
ECGBENCH_DSP_INLINE double SoftThreshold(double c, double threshold, double epsilon) {
  const double magnitude = Magnitude(c);
  double factor = 1 - threshold / magnitude;
  if (factor < 0) factor = 0;  // clip(min=0); NaN stays NaN
  const double t = c * factor;
  return (std::isfinite(t) && magnitude > epsilon) ? t : 0.0;
}
ECGBENCH_DSP_INLINE simd::V4 SoftThreshold(simd::V4 c, simd::V4 threshold, double epsilon) {
  const simd::V4 magnitude = Magnitude(c);
  simd::V4 factor = 1 - threshold / magnitude;
  factor = factor < 0 ? simd::V4{} : factor;  // NaN compares false: stays NaN
  const simd::V4 t = c * factor;
  const simd::V4 inf = simd::V4{} + HUGE_VAL;
  const auto keep = (Magnitude(t) < inf) & (magnitude > epsilon);  // finite: not NaN, not +-Inf
  return keep ? t : simd::V4{};
}

template <class T>
ECGBENCH_DSP_INLINE void ThresholdBand(double* band, size_t rows, size_t lanes, const double* thresholds,
                                       double epsilon) {
  using L = simd::Lane<T>;
  for (size_t r = 0; r < rows; ++r) {
    double* row = band + r * lanes;
    for (size_t l = 0; l < lanes; l += L::kWidth) {
      L::Store(row + l, SoftThreshold(L::Load(row + l), L::Load(thresholds + l), epsilon));
    }
  }
}

// dst = src with NaN and +-Inf replaced by 0 (np.nan_to_num(..., nan=0, posinf=0, neginf=0)).
template <class T>
ECGBENCH_DSP_INLINE void CopyFinite(const double* src, double* dst, size_t n) {
  using L = simd::Lane<T>;
  for (size_t i = 0; i < n; i += L::kWidth) {
    const T v = L::Load(src + i);
    if constexpr (L::kWidth == 1) {
      L::Store(dst + i, std::isfinite(v) ? v : 0.0);
    } else {
      const T inf = T{} + HUGE_VAL;
      L::Store(dst + i, Magnitude(v) < inf ? v : T{});
    }
  }
}

void CopyFiniteScalar(const double* src, double* dst, size_t n) { CopyFinite<double>(src, dst, n); }
void CopyFiniteV4Base(const double* src, double* dst, size_t n) { CopyFinite<simd::V4>(src, dst, n); }
__attribute__((target("avx2"))) void CopyFiniteV4Avx2(const double* src, double* dst, size_t n) {
  CopyFinite<simd::V4>(src, dst, n);
}

void ThresholdScalar(double* band, size_t rows, size_t lanes, const double* thr, double eps) {
  ThresholdBand<double>(band, rows, lanes, thr, eps);
}
void ThresholdV4Base(double* band, size_t rows, size_t lanes, const double* thr, double eps) {
  ThresholdBand<simd::V4>(band, rows, lanes, thr, eps);
}
__attribute__((target("avx2"))) void ThresholdV4Avx2(double* band, size_t rows, size_t lanes, const double* thr,
                                                     double eps) {
  ThresholdBand<simd::V4>(band, rows, lanes, thr, eps);
}

}  // namespace

absl::Status WaveletDenoise(absl::Span<const double> x, absl::Span<double> y, WaveletWorkspace& ws,
                            const WaveletDenoiseOptions& options) {
  if (x.size() != y.size()) {
    return absl::InvalidArgumentError(absl::StrCat("wavelet denoise: output has ", y.size(), " samples, input ", x.size()));
  }
  if (x.data() != y.data()) std::copy(x.begin(), x.end(), y.begin());
  return WaveletDenoiseInterleaved(y, 1, ws, options);
}

absl::Status WaveletDenoiseInterleaved(absl::Span<double> data, size_t lanes, WaveletWorkspace& ws,
                                       const WaveletDenoiseOptions& options) {
  if (options.level < 1) {
    return absl::InvalidArgumentError(absl::StrCat("wavelet denoise: level must be >= 1, got ", options.level));
  }
  const WaveletFilters& w = Db6();
  ECGBENCH_RETURN_IF_ERROR(WaveDecInterleaved(data, lanes, w, options.level, ws.coeffs_, ws.scratch_));
  const size_t n = data.size() / lanes;
  // coeffs[-level] is cD_level, the coarsest detail band: coeffs[1].
  ws.thresholds_.resize(lanes);
  for (size_t l = 0; l < lanes; ++l) {
    const double median = MedianAbs(ws.coeffs_[1], lanes, l, ws.abs_);
    ws.thresholds_[l] = median == 0 ? 0.0 : median / 0.6745;
  }
  auto threshold = lanes % simd::kLanes != 0 ? ThresholdScalar
                   : simd::HasAvx2()            ? ThresholdV4Avx2
                                                : ThresholdV4Base;
  for (size_t k = 1; k < ws.coeffs_.size(); ++k) {
    std::vector<double>& band = ws.coeffs_[k];
    threshold(band.data(), band.size() / lanes, lanes, ws.thresholds_.data(), options.epsilon);
  }
  ECGBENCH_RETURN_IF_ERROR(WaveRecInterleaved(ws.coeffs_, lanes, w, ws.rec_, ws.scratch_));
  const size_t rec_n = ws.rec_.size() / lanes;
  const double* result = ws.rec_.data();
  if (rec_n != n) {
    // Odd n: waverec gives n + 1 samples; scipy.signal.resample brings each signal back to n.
    ECGBENCH_RETURN_IF_ERROR(ws.fourier_.ResampleInterleaved(ws.rec_, lanes, data));
    result = data.data();
  }
  auto copy_finite = lanes % simd::kLanes != 0 ? CopyFiniteScalar
                     : simd::HasAvx2()            ? CopyFiniteV4Avx2
                                                  : CopyFiniteV4Base;
  copy_finite(result, data.data(), data.size());
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg
