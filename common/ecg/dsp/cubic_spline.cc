// Not-a-knot cubic spline interpolation (interp1d kind='cubic') and upstream's resampling grids.
#include "common/ecg/dsp/cubic_spline.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/simd.h"
#include "common/util/status_macros.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // see simd.h

namespace ecgbench::common::ecg {
namespace {

constexpr size_t kMaxBlocks = 4;

struct SolveArgs {
  const double* y;  // n rows of `lanes`
  size_t n;
  size_t lanes;
  const double* inv_h;
  const double* sub;
  const double* cprime;
  const double* inv_denom;
  double e0, e1, f0, f1;  // M[0] = e0 M[1] - e1 M[2]; M[n-1] = f0 M[n-2] - f1 M[n-3]
  double* m;              // n rows of `lanes`: second derivatives
  const size_t* piece;    // per output point
  const double* weights;  // 4 per output point
  size_t out_len;
  double* out;  // out_len rows of `lanes`
};

// Second derivatives by a Thomas sweep over the grid's precomputed factorisation, then
// out = w0 M[i] + w1 M[i+1] + w2 y[i] + w3 y[i+1] for every output point; kBlocks blocks of
// lanes side by side starting at lane `b`.
template <class T, int kBlocks>
ECGBENCH_DSP_INLINE void SolveGroup(const SolveArgs& a, size_t b) {
  using L = simd::Lane<T>;
  constexpr size_t w = L::kWidth;
  const size_t s = a.lanes;
  const double* y = a.y + b;
  double* m = a.m + b;
  const size_t last = a.n - 2;
  T d[kBlocks];
  for (int k = 0; k < kBlocks; ++k) d[k] = L::Splat(0);
  for (size_t r = 1; r <= last; ++r) {
    for (int k = 0; k < kBlocks; ++k) {
      const T y0 = L::Load(y + (r - 1) * s + k * w), y1 = L::Load(y + r * s + k * w),
              y2 = L::Load(y + (r + 1) * s + k * w);
      const T rhs = 6.0 * ((y2 - y1) * a.inv_h[r] - (y1 - y0) * a.inv_h[r - 1]);
      d[k] = (rhs - a.sub[r] * d[k]) * a.inv_denom[r];
      L::Store(m + r * s + k * w, d[k]);
    }
  }
  for (size_t r = last; r-- > 1;) {
    for (int k = 0; k < kBlocks; ++k) {
      d[k] = L::Load(m + r * s + k * w) - a.cprime[r] * d[k];
      L::Store(m + r * s + k * w, d[k]);
    }
  }
  for (int k = 0; k < kBlocks; ++k) {
    const size_t o = k * w;
    L::Store(m + o, a.e0 * L::Load(m + s + o) - a.e1 * L::Load(m + 2 * s + o));
    L::Store(m + (a.n - 1) * s + o,
             a.f0 * L::Load(m + (a.n - 2) * s + o) - a.f1 * L::Load(m + (a.n - 3) * s + o));
  }
  for (size_t j = 0; j < a.out_len; ++j) {
    const size_t i = a.piece[j];
    const double* wj = a.weights + 4 * j;
    for (int k = 0; k < kBlocks; ++k) {
      const size_t o = k * w;
      const T v = wj[0] * L::Load(m + i * s + o) + wj[1] * L::Load(m + (i + 1) * s + o) +
                  wj[2] * L::Load(y + i * s + o) + wj[3] * L::Load(y + (i + 1) * s + o);
      L::Store(a.out + j * s + b + o, v);
    }
  }
}

template <class T>
ECGBENCH_DSP_INLINE void Solve(const SolveArgs& a) {
  const size_t width = simd::Lane<T>::kWidth;
  for (size_t b = 0; b < a.lanes; b += width * kMaxBlocks) {
    switch (std::min(kMaxBlocks, (a.lanes - b) / width)) {
      case 1:
        SolveGroup<T, 1>(a, b);
        break;
      case 2:
        SolveGroup<T, 2>(a, b);
        break;
      case 3:
        SolveGroup<T, 3>(a, b);
        break;
      default:
        SolveGroup<T, 4>(a, b);
        break;
    }
  }
}

void SolveScalar(const SolveArgs& a) { Solve<double>(a); }
void SolveV4Base(const SolveArgs& a) { Solve<simd::V4>(a); }
__attribute__((target("avx2"))) void SolveV4Avx2(const SolveArgs& a) { Solve<simd::V4>(a); }

}  // namespace

void Linspace(double start, double stop, absl::Span<double> out) {
  const size_t num = out.size();
  if (num == 0) return;
  if (num == 1) {
    out[0] = start;
    return;
  }
  const double step = (stop - start) / static_cast<double>(num - 1);
  for (size_t i = 0; i < num; ++i) out[i] = static_cast<double>(i) * step + start;
  out[num - 1] = stop;
}

int64_t CubicResampleLength(int64_t n, double fs, double target_hz) {
  const double len = static_cast<double>(n) * target_hz / fs;
  if (!std::isfinite(len) || len < 0) return 0;
  return static_cast<int64_t>(len);
}

absl::Status CubicSplineInterpolator::Prepare(absl::Span<const double> x, absl::Span<const double> x_new) {
  const size_t n = x.size();
  if (n < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("cubic interpolation: x and y arrays must have at least 4 entries, got ", n));
  }
  h_.resize(n - 1);
  inv_h_.resize(n - 1);
  for (size_t i = 0; i + 1 < n; ++i) {
    h_[i] = x[i + 1] - x[i];
    if (!(h_[i] > 0)) {
      return absl::InvalidArgumentError(absl::StrCat("cubic interpolation: x must be strictly increasing (x[", i,
                                                     "] = ", x[i], ", x[", i + 1, "] = ", x[i + 1], ")"));
    }
    inv_h_[i] = 1 / h_[i];
  }
  // Tridiagonal system in M[1..n-2]; M[0] and M[n-1] are eliminated through the not-a-knot
  // conditions h1 M0 - (h0 + h1) M1 + h0 M2 = 0 and its mirror. Forward-sweep factors only
  // depend on x.
  const size_t last = n - 2;
  sub_.assign(n, 0.0);
  cprime_.assign(n, 0.0);
  inv_denom_.assign(n, 0.0);
  double prev_c = 0;
  for (size_t r = 1; r <= last; ++r) {
    const double h0 = h_[r - 1], h1 = h_[r];
    double sub = h0, diag = 2 * (h0 + h1), sup = h1;
    if (r == 1) {
      diag += h0 * (h0 + h1) / h1;
      sup = h1 - h0 * h0 / h1;
      sub = 0;
    }
    if (r == last) {
      const double ha = h_[last - 1], hb = h_[last];
      diag += hb * (ha + hb) / ha;
      sub = ha - hb * hb / ha;
      sup = 0;
    }
    const double denom = diag - sub * prev_c;
    prev_c = sup / denom;
    sub_[r] = sub;
    cprime_[r] = prev_c;
    inv_denom_[r] = 1 / denom;
  }
  e0_ = (h_[0] + h_[1]) / h_[1];
  e1_ = h_[0] / h_[1];
  f0_ = (h_[n - 3] + h_[n - 2]) / h_[n - 3];
  f1_ = h_[n - 2] / h_[n - 3];

  // Piece and weights of every output point; outside the data the end pieces extend.
  piece_.resize(x_new.size());
  weights_.resize(4 * x_new.size());
  size_t i = 0;
  for (size_t j = 0; j < x_new.size(); ++j) {
    const double t = x_new[j];
    if (t < x[i]) {
      const auto pos = static_cast<size_t>(std::upper_bound(x.begin(), x.end(), t) - x.begin());
      i = pos == 0 ? 0 : std::min(pos - 1, n - 2);
    } else {
      while (i + 2 < n && t >= x[i + 1]) ++i;  // ascending x_new: amortised O(1)
    }
    const double h = h_[i], a = x[i + 1] - t, b = t - x[i];
    const double q = a * b / (6 * h);
    piece_[j] = i;
    weights_[4 * j] = -q * (a + h);      // a (a^2 - h^2) / 6h
    weights_[4 * j + 1] = -q * (b + h);  // b (b^2 - h^2) / 6h
    weights_[4 * j + 2] = a / h;
    weights_[4 * j + 3] = b / h;
  }
  grid_size_ = n;
  return absl::OkStatus();
}

absl::Status CubicSplineInterpolator::Evaluate(absl::Span<const double> y, size_t lanes, absl::Span<double> out) {
  const size_t n = grid_size_;
  if (lanes == 0 || (lanes != 1 && lanes % simd::kLanes != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cubic interpolation: lanes must be 1 or a multiple of ", simd::kLanes, ", got ", lanes));
  }
  if (y.size() != n * lanes) {
    return absl::InvalidArgumentError(absl::StrCat("cubic interpolation: x has ", n, " points, y has ", y.size(),
                                                   " values for ", lanes, " signals"));
  }
  if (out.size() != piece_.size() * lanes) {
    return absl::InvalidArgumentError("cubic interpolation: output and x_new sizes differ");
  }
  m_.resize(n * lanes);
  SolveArgs a{y.data(),       n,           lanes,      inv_h_.data(), sub_.data(), cprime_.data(),
              inv_denom_.data(), e0_,      e1_,        f0_,           f1_,         m_.data(),
              piece_.data(),  weights_.data(), piece_.size(), out.data()};
  if (lanes == 1) {
    SolveScalar(a);
  } else if (simd::HasAvx2()) {
    SolveV4Avx2(a);
  } else {
    SolveV4Base(a);
  }
  return absl::OkStatus();
}

absl::Status CubicSplineInterpolator::Interpolate(absl::Span<const double> x, absl::Span<const double> y,
                                                  absl::Span<const double> x_new, absl::Span<double> out) {
  return InterpolateInterleaved(x, y, 1, x_new, out);
}

absl::Status CubicSplineInterpolator::InterpolateInterleaved(absl::Span<const double> x, absl::Span<const double> y,
                                                             size_t lanes, absl::Span<const double> x_new,
                                                             absl::Span<double> out) {
  if (lanes == 0 || y.size() != x.size() * lanes) {
    return absl::InvalidArgumentError(absl::StrCat("cubic interpolation: x has ", x.size(), " points, y has ",
                                                   y.size(), " values for ", lanes, " signals"));
  }
  ECGBENCH_RETURN_IF_ERROR(Prepare(x, x_new));
  return Evaluate(y, lanes, out);
}

absl::Status CubicResampler::Resample(absl::Span<const double> x, double fs, double target_hz, absl::Span<double> y) {
  return ResampleInterleaved(x, 1, fs, target_hz, y);
}

absl::Status CubicResampler::ResampleInterleaved(absl::Span<const double> x, size_t lanes, double fs,
                                                 double target_hz, absl::Span<double> y) {
  if (!(fs > 0) || !(target_hz > 0) || !std::isfinite(fs) || !std::isfinite(target_hz)) {
    return absl::InvalidArgumentError(absl::StrCat("cubic resample: rates must be positive (", fs, " Hz -> ",
                                                   target_hz, " Hz)"));
  }
  if (lanes == 0 || x.size() % lanes != 0 || y.size() % lanes != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cubic resample: ", x.size(), " and ", y.size(),
                                                   " values do not divide into ", lanes, " signals"));
  }
  const size_t n = x.size() / lanes, m = y.size() / lanes;
  const int64_t want = CubicResampleLength(static_cast<int64_t>(n), fs, target_hz);
  if (want < 1 || static_cast<int64_t>(m) != want) {
    return absl::InvalidArgumentError(absl::StrCat("cubic resample: ", n, " samples at ", fs, " Hz give ", want,
                                                   " at ", target_hz, " Hz; output holds ", m));
  }
  if (n != n_ || m != m_ || fs != fs_ || target_hz != target_hz_) {
    // Upstream's grids: linspace(0, n / fs, n) -> linspace(0, n / fs, m). Factorised once per shape.
    n_ = m_ = 0;
    const double duration = static_cast<double>(n) / fs;
    grid_.resize(n);
    new_grid_.resize(m);
    Linspace(0, duration, absl::MakeSpan(grid_));
    Linspace(0, duration, absl::MakeSpan(new_grid_));
    ECGBENCH_RETURN_IF_ERROR(spline_.Prepare(grid_, new_grid_));
    n_ = n;
    m_ = m;
    fs_ = fs;
    target_hz_ = target_hz;
  }
  return spline_.Evaluate(x, lanes, y);
}

}  // namespace ecgbench::common::ecg
