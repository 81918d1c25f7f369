// PyWavelets-compatible dwt/idwt/wavedec/waverec (mode='symmetric'), one signal or interleaved lanes.
#include "common/ecg/dsp/wavelet.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/simd.h"
#include "common/util/status_macros.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // see simd.h

namespace ecgbench::common::ecg {
namespace {

// db6 scaling filter (pywt's rec_lo for 'db6').
constexpr double kDb6RecLo[12] = {
    0.11154074335010947,   0.49462389039845306,   0.7511339080210954,    0.31525035170919763,
    -0.22626469396543983,  -0.12976686756726194,  0.09750160558732304,   0.027522865530305727,
    -0.03158203931748603,  0.0005538422011614961, 0.004777257510945511,  -0.0010773010853084796};

WaveletFilters MakeOrthogonal(const double* rec_lo, int n) {
  WaveletFilters w;
  w.rec_lo.assign(rec_lo, rec_lo + n);
  w.dec_lo.assign(w.rec_lo.rbegin(), w.rec_lo.rend());
  // rec_hi[k] = (-1)^k dec_lo[k]; dec_hi = reversed rec_hi (pywt's quadrature mirror filters).
  for (int k = 0; k < n; ++k) w.rec_hi.push_back(k % 2 == 0 ? w.dec_lo[k] : -w.dec_lo[k]);
  w.dec_hi.assign(w.rec_hi.rbegin(), w.rec_hi.rend());
  return w;
}

// Index into x of position `i` of the symmetric extension (... x1 x0 | x0 x1 ... xn-1 | xn-1 ...).
inline std::ptrdiff_t Symmetric(std::ptrdiff_t i, std::ptrdiff_t n) {
  const std::ptrdiff_t period = 2 * n;
  std::ptrdiff_t m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

// ca[o] = sum_j lo[j] * xs[2o + 1 - j], cd likewise with hi, j ascending (pywt's
// downsampling_convolution with step 2), for kBlocks blocks of lanes side by side (block k at
// x + k * width); samples are `stride` apart.
template <class T, int kBlocks>
ECGBENCH_DSP_INLINE void Downsample(const double* x, std::ptrdiff_t n, std::ptrdiff_t stride, const double* lo,
                                    const double* hi, std::ptrdiff_t taps, double* ca, double* cd,
                                    std::ptrdiff_t out_len) {
  using L = simd::Lane<T>;
  constexpr std::ptrdiff_t w = static_cast<std::ptrdiff_t>(L::kWidth);
  for (std::ptrdiff_t o = 0; o < out_len; ++o) {
    const std::ptrdiff_t i = 2 * o + 1;
    T sum_a[kBlocks], sum_d[kBlocks];
    for (int k = 0; k < kBlocks; ++k) sum_a[k] = sum_d[k] = L::Splat(0);
    const bool interior = i >= taps - 1 && i < n;
    for (std::ptrdiff_t j = 0; j < taps; ++j) {
      const double* row = x + (interior ? i - j : Symmetric(i - j, n)) * stride;
      for (int k = 0; k < kBlocks; ++k) {
        const T v = L::Load(row + k * w);
        sum_a[k] += lo[j] * v;
        sum_d[k] += hi[j] * v;
      }
    }
    for (int k = 0; k < kBlocks; ++k) {
      L::Store(ca + o * stride + k * w, sum_a[k]);
      L::Store(cd + o * stride + k * w, sum_d[k]);
    }
  }
}

// pywt's upsampling_convolution_valid_sf: adds the even/odd polyphase sums of `in` into out. Every
// output row is written once per call; the first call (kFirst) adds to 0 without reading `out`
// (0 + sum, the same bits as adding to a zero-filled buffer), so `out` needs no zero fill.
template <class T, int kBlocks, bool kFirst>
ECGBENCH_DSP_INLINE void UpsampleAdd(const double* in, std::ptrdiff_t m, std::ptrdiff_t stride, const double* f,
                                     std::ptrdiff_t taps, double* out) {
  using L = simd::Lane<T>;
  constexpr std::ptrdiff_t w = static_cast<std::ptrdiff_t>(L::kWidth);
  const std::ptrdiff_t half = taps / 2;
  for (std::ptrdiff_t i = half - 1, o = 0; i < m; ++i, o += 2) {
    T sum_even[kBlocks], sum_odd[kBlocks];
    for (int k = 0; k < kBlocks; ++k) sum_even[k] = sum_odd[k] = L::Splat(0);
    for (std::ptrdiff_t j = 0; j < half; ++j) {
      const double* row = in + (i - j) * stride;
      for (int k = 0; k < kBlocks; ++k) {
        const T v = L::Load(row + k * w);
        sum_even[k] += f[2 * j] * v;
        sum_odd[k] += f[2 * j + 1] * v;
      }
    }
    for (int k = 0; k < kBlocks; ++k) {
      double* even = out + o * stride + k * w;
      double* odd = out + (o + 1) * stride + k * w;
      L::Store(even, (kFirst ? L::Splat(0) : L::Load(even)) + sum_even[k]);
      L::Store(odd, (kFirst ? L::Splat(0) : L::Load(odd)) + sum_odd[k]);
    }
  }
}

struct DwtArgs {
  const double* x;
  std::ptrdiff_t n;
  const WaveletFilters* w;
  double* ca;
  double* cd;
  std::ptrdiff_t out_len;
};

struct IdwtArgs {
  const double* ca;
  const double* cd;
  std::ptrdiff_t m;
  const WaveletFilters* w;
  double* out;  // 2 m - taps + 2 rows, all overwritten
};

constexpr size_t kMaxBlocks = 4;

// Groups of up to kMaxBlocks blocks of lanes; returns the number of blocks in the group at `begin`.
inline int BlocksAt(size_t lanes, size_t begin, size_t width) {
  return static_cast<int>(std::min(kMaxBlocks, (lanes - begin) / width));
}

template <class T, int kBlocks>
ECGBENCH_DSP_INLINE void DwtGroup(const DwtArgs& a, std::ptrdiff_t stride, size_t b) {
  Downsample<T, kBlocks>(a.x + b, a.n, stride, a.w->dec_lo.data(), a.w->dec_hi.data(), a.w->length(), a.ca + b,
                         a.cd + b, a.out_len);
}

template <class T, int kBlocks>
ECGBENCH_DSP_INLINE void IdwtGroup(const IdwtArgs& a, std::ptrdiff_t stride, size_t b) {
  UpsampleAdd<T, kBlocks, true>(a.ca + b, a.m, stride, a.w->rec_lo.data(), a.w->length(), a.out + b);
  UpsampleAdd<T, kBlocks, false>(a.cd + b, a.m, stride, a.w->rec_hi.data(), a.w->length(), a.out + b);
}

template <class T>
ECGBENCH_DSP_INLINE void DwtLanes(const DwtArgs& a, size_t lanes) {
  const size_t width = simd::Lane<T>::kWidth;
  const auto stride = static_cast<std::ptrdiff_t>(lanes);
  for (size_t b = 0; b < lanes; b += width * kMaxBlocks) {
    switch (BlocksAt(lanes, b, width)) {
      case 1:
        DwtGroup<T, 1>(a, stride, b);
        break;
      case 2:
        DwtGroup<T, 2>(a, stride, b);
        break;
      case 3:
        DwtGroup<T, 3>(a, stride, b);
        break;
      default:
        DwtGroup<T, 4>(a, stride, b);
        break;
    }
  }
}

template <class T>
ECGBENCH_DSP_INLINE void IdwtLanes(const IdwtArgs& a, size_t lanes) {
  const size_t width = simd::Lane<T>::kWidth;
  const auto stride = static_cast<std::ptrdiff_t>(lanes);
  for (size_t b = 0; b < lanes; b += width * kMaxBlocks) {
    switch (BlocksAt(lanes, b, width)) {
      case 1:
        IdwtGroup<T, 1>(a, stride, b);
        break;
      case 2:
        IdwtGroup<T, 2>(a, stride, b);
        break;
      case 3:
        IdwtGroup<T, 3>(a, stride, b);
        break;
      default:
        IdwtGroup<T, 4>(a, stride, b);
        break;
    }
  }
}

void DwtScalar(const DwtArgs& a, size_t lanes) { DwtLanes<double>(a, lanes); }
void DwtV4Base(const DwtArgs& a, size_t lanes) { DwtLanes<simd::V4>(a, lanes); }
__attribute__((target("avx2"))) void DwtV4Avx2(const DwtArgs& a, size_t lanes) { DwtLanes<simd::V4>(a, lanes); }
void IdwtScalar(const IdwtArgs& a, size_t lanes) { IdwtLanes<double>(a, lanes); }
void IdwtV4Base(const IdwtArgs& a, size_t lanes) { IdwtLanes<simd::V4>(a, lanes); }
__attribute__((target("avx2"))) void IdwtV4Avx2(const IdwtArgs& a, size_t lanes) { IdwtLanes<simd::V4>(a, lanes); }

void RunDwt(const DwtArgs& a, size_t lanes) {
  if (lanes % simd::kLanes != 0) return DwtScalar(a, lanes);
  return simd::HasAvx2() ? DwtV4Avx2(a, lanes) : DwtV4Base(a, lanes);
}

void RunIdwt(const IdwtArgs& a, size_t lanes) {
  if (lanes % simd::kLanes != 0) return IdwtScalar(a, lanes);
  return simd::HasAvx2() ? IdwtV4Avx2(a, lanes) : IdwtV4Base(a, lanes);
}

absl::Status CheckLanes(size_t size, size_t lanes, const char* what) {
  if (lanes == 0 || (lanes != 1 && lanes % simd::kLanes != 0) || size % lanes != 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", size, " values in ", lanes,
                                                   " lanes (lanes must be 1 or a multiple of ", simd::kLanes,
                                                   " dividing the size)"));
  }
  return absl::OkStatus();
}

}  // namespace

const WaveletFilters& Db6() {
  static const WaveletFilters* const kDb6 = new WaveletFilters(MakeOrthogonal(kDb6RecLo, 12));
  return *kDb6;
}

int64_t DwtLength(int64_t n, int filter_length) { return (n + filter_length - 1) / 2; }

absl::Status Dwt(absl::Span<const double> x, const WaveletFilters& w, absl::Span<double> ca,
                 absl::Span<double> cd) {
  if (x.empty()) return absl::InvalidArgumentError("dwt: empty signal");
  const int64_t len = DwtLength(static_cast<int64_t>(x.size()), w.length());
  if (static_cast<int64_t>(ca.size()) != len || static_cast<int64_t>(cd.size()) != len) {
    return absl::InvalidArgumentError(absl::StrCat("dwt: coefficient buffers must hold ", len, " values"));
  }
  RunDwt({x.data(), static_cast<std::ptrdiff_t>(x.size()), &w, ca.data(), cd.data(), len}, 1);
  return absl::OkStatus();
}

absl::Status Idwt(absl::Span<const double> ca, absl::Span<const double> cd, const WaveletFilters& w,
                  absl::Span<double> out) {
  const auto m = static_cast<std::ptrdiff_t>(ca.size());
  const std::ptrdiff_t taps = w.length();
  if (cd.size() != ca.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("idwt: approximation and detail lengths differ (", ca.size(), " vs ", cd.size(), ")"));
  }
  if (m < taps / 2) {
    return absl::InvalidArgumentError(absl::StrCat("idwt: need at least ", taps / 2, " coefficients, got ", m));
  }
  if (static_cast<std::ptrdiff_t>(out.size()) != 2 * m - taps + 2) {
    return absl::InvalidArgumentError(absl::StrCat("idwt: output must hold ", 2 * m - taps + 2, " values"));
  }
  RunIdwt({ca.data(), cd.data(), m, &w, out.data()}, 1);
  return absl::OkStatus();
}

absl::Status WaveDec(absl::Span<const double> x, const WaveletFilters& w, int level, WaveletCoeffs& coeffs,
                     std::vector<double>& scratch) {
  return WaveDecInterleaved(x, 1, w, level, coeffs, scratch);
}

absl::Status WaveRec(const WaveletCoeffs& coeffs, const WaveletFilters& w, std::vector<double>& out,
                     std::vector<double>& scratch) {
  return WaveRecInterleaved(coeffs, 1, w, out, scratch);
}

absl::Status WaveDecInterleaved(absl::Span<const double> x, size_t lanes, const WaveletFilters& w, int level,
                                WaveletCoeffs& coeffs, std::vector<double>& scratch) {
  ECGBENCH_RETURN_IF_ERROR(CheckLanes(x.size(), lanes, "wavedec"));
  if (x.empty()) return absl::InvalidArgumentError("wavedec: empty signal");
  if (level < 0) return absl::InvalidArgumentError(absl::StrCat("wavedec: level must be >= 0, got ", level));
  coeffs.resize(static_cast<size_t>(level) + 1);
  std::vector<double>& approx = coeffs[0];
  // One row more than x: WaveRec reuses `scratch` for up to n + 1 rows; equal capacities keep the
  // buffers from reallocating when they swap roles.
  approx.reserve(x.size() + lanes);
  scratch.reserve(x.size() + lanes);
  if (level == 0) {
    approx.assign(x.begin(), x.end());
    return absl::OkStatus();
  }
  // Level 1 reads x itself; each level's approximation goes to coeffs[0] or `scratch`, chosen so
  // that the last level's lands in coeffs[0] (no copy of x, no copy at the end).
  const double* in = x.data();
  auto n = static_cast<int64_t>(x.size() / lanes);
  for (int l = 1; l <= level; ++l) {
    const int64_t len = DwtLength(n, w.length());
    std::vector<double>& detail = coeffs[static_cast<size_t>(level + 1 - l)];
    std::vector<double>& out = (level - l) % 2 == 0 ? approx : scratch;
    detail.resize(static_cast<size_t>(len) * lanes);
    out.resize(static_cast<size_t>(len) * lanes);
    RunDwt({in, n, &w, out.data(), detail.data(), len}, lanes);
    in = out.data();
    n = len;
  }
  return absl::OkStatus();
}

absl::Status WaveRecInterleaved(const WaveletCoeffs& coeffs, size_t lanes, const WaveletFilters& w,
                                std::vector<double>& out, std::vector<double>& scratch) {
  if (coeffs.empty()) return absl::InvalidArgumentError("waverec: Coefficient list too short (minimum 1 arrays required).");
  for (const std::vector<double>& c : coeffs) ECGBENCH_RETURN_IF_ERROR(CheckLanes(c.size(), lanes, "waverec"));
  const std::ptrdiff_t final_len =
      2 * static_cast<std::ptrdiff_t>(coeffs.back().size() / lanes) - w.length() + 2;
  const size_t reserve =
      std::max<size_t>(coeffs[0].size(), static_cast<size_t>(std::max<std::ptrdiff_t>(final_len, 0)) * lanes);
  out.reserve(reserve);
  scratch.reserve(reserve);
  out.assign(coeffs[0].begin(), coeffs[0].end());
  for (size_t k = 1; k < coeffs.size(); ++k) {
    const std::vector<double>& d = coeffs[k];
    size_t m = out.size() / lanes;
    const size_t md = d.size() / lanes;
    if (m == md + 1) {
      m = md;  // pywt drops the extra approximation coefficient
    } else if (m != md) {
      return absl::InvalidArgumentError(
          absl::StrCat("waverec: coefficient shape mismatch at level ", coeffs.size() - k, " (", m, " vs ", md, ")"));
    }
    const std::ptrdiff_t rec_len = 2 * static_cast<std::ptrdiff_t>(m) - w.length() + 2;
    if (static_cast<std::ptrdiff_t>(m) < w.length() / 2 || rec_len < 0) {
      return absl::InvalidArgumentError(absl::StrCat("waverec: need at least ", w.length() / 2, " coefficients, got ", m));
    }
    scratch.resize(static_cast<size_t>(rec_len) * lanes);  // every row is written
    RunIdwt({out.data(), d.data(), static_cast<std::ptrdiff_t>(m), &w, scratch.data()}, lanes);
    out.swap(scratch);
  }
  return absl::OkStatus();
}


}  // namespace ecgbench::common::ecg
