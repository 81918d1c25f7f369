// resample_poly with scipy's default Kaiser-windowed FIR; see polyphase.h.
#include "common/ecg/dsp/polyphase.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/simd.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // see simd.h

namespace ecgbench::common::ecg {
namespace {

constexpr double kPi = 3.141592653589793;
constexpr double kKaiserBeta = 5.0;
constexpr int kMaxFactor = 4096;

// Modified Bessel function of the first kind, order 0 (power series; |x| <= 5 here).
double BesselI0(double x) {
  const double q = (x / 2) * (x / 2);
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 500; ++k) {
    term *= q / (static_cast<double>(k) * k);
    sum += term;
    if (term < sum * 1e-18) break;
  }
  return sum;
}

// numpy.sinc: sin(pi v) / (pi v) with v == 0 replaced by 1e-20.
double NumpySinc(double v) {
  const double y = kPi * (v == 0 ? 1.0e-20 : v);
  return std::sin(y) / y;
}

constexpr size_t kMaxBlocks = 4;

struct PolyArgs {
  const double* x;  // n rows of `lanes`
  int64_t n;
  size_t lanes;
  const double* h;
  int64_t taps;
  int64_t up, down, half_len;
  double* y;  // n_out rows of `lanes`
  int64_t n_out;
};

// y[k] = sum_i h[i] * x_up[k * down + half_len - i], x index ascending; kBlocks blocks of lanes.
template <class T, int kBlocks>
ECGBENCH_DSP_INLINE void PolyGroup(const PolyArgs& a, size_t b) {
  using L = simd::Lane<T>;
  constexpr size_t w = L::kWidth;
  const size_t s = a.lanes;
  for (int64_t k = 0; k < a.n_out; ++k) {
    const int64_t t = k * a.down + a.half_len;
    const int64_t i0 = t % a.up;
    const int64_t q = t / a.up;
    const int64_t j_lo = std::max<int64_t>(0, q - (a.n - 1));
    const int64_t j_hi = std::min<int64_t>(q, (a.taps - 1 - i0) / a.up);
    T sum[kBlocks];
    for (int c = 0; c < kBlocks; ++c) sum[c] = L::Splat(0);
    for (int64_t j = j_hi; j >= j_lo; --j) {
      const double coef = a.h[i0 + j * a.up];
      const double* row = a.x + static_cast<size_t>(q - j) * s + b;
      for (int c = 0; c < kBlocks; ++c) sum[c] += L::Load(row + c * w) * coef;
    }
    for (int c = 0; c < kBlocks; ++c) L::Store(a.y + static_cast<size_t>(k) * s + b + c * w, sum[c]);
  }
}

template <class T>
ECGBENCH_DSP_INLINE void Poly(const PolyArgs& a) {
  const size_t width = simd::Lane<T>::kWidth;
  for (size_t b = 0; b < a.lanes; b += width * kMaxBlocks) {
    switch (std::min(kMaxBlocks, (a.lanes - b) / width)) {
      case 1:
        PolyGroup<T, 1>(a, b);
        break;
      case 2:
        PolyGroup<T, 2>(a, b);
        break;
      case 3:
        PolyGroup<T, 3>(a, b);
        break;
      default:
        PolyGroup<T, 4>(a, b);
        break;
    }
  }
}

void PolyScalar(const PolyArgs& a) { Poly<double>(a); }
void PolyV4Base(const PolyArgs& a) { Poly<simd::V4>(a); }
__attribute__((target("avx2"))) void PolyV4Avx2(const PolyArgs& a) { Poly<simd::V4>(a); }

}  // namespace

absl::StatusOr<std::pair<int, int>> PolyphaseRatio(double fs, double target_hz) {
  if (!(fs > 0) || !(target_hz > 0) || !std::isfinite(fs) || !std::isfinite(target_hz)) {
    return absl::InvalidArgumentError(absl::StrCat("polyphase resample: rates must be positive (", fs, " Hz -> ",
                                                   target_hz, " Hz)"));
  }
  const double a = std::round(fs * 1000), b = std::round(target_hz * 1000);
  auto off_grid = [](double rounded, double scaled) { return std::fabs(rounded - scaled) > 1e-6 + 1e-12 * rounded; };
  if (off_grid(a, fs * 1000) || off_grid(b, target_hz * 1000) || a > 1e12 || b > 1e12 || a < 1 || b < 1) {
    return absl::InvalidArgumentError(absl::StrCat("polyphase resample: rates must be multiples of 0.001 Hz (", fs,
                                                   " Hz -> ", target_hz, " Hz)"));
  }
  const auto down = static_cast<int64_t>(a), up = static_cast<int64_t>(b);
  const int64_t g = std::gcd(up, down);
  if (up / g > kMaxFactor || down / g > kMaxFactor) {
    return absl::InvalidArgumentError(absl::StrCat("polyphase resample: ", fs, " Hz -> ", target_hz, " Hz needs up=",
                                                   up / g, ", down=", down / g, "; factors above ", kMaxFactor,
                                                   " are not supported (use the cubic method)"));
  }
  return std::make_pair(static_cast<int>(up / g), static_cast<int>(down / g));
}

int64_t PolyphaseResampler::OutputLength(int64_t n, int up, int down) {
  if (up < 1 || down < 1) return 0;
  const int g = std::gcd(up, down);
  up /= g;
  down /= g;
  const int64_t total = n * up;
  return total / down + (total % down != 0 ? 1 : 0);
}

void PolyphaseResampler::Design(int up, int down) {
  up_ = up;
  down_ = down;
  const int max_rate = std::max(up, down);
  const double cutoff = 1. / max_rate;
  half_len_ = 10 * max_rate;
  const int taps = 2 * half_len_ + 1;
  const double alpha = 0.5 * (taps - 1);
  const double i0_beta = BesselI0(kKaiserBeta);
  h_.resize(static_cast<size_t>(taps));
  double sum = 0;
  for (int i = 0; i < taps; ++i) {
    const double m = i - alpha;
    const double r = (i - alpha) / alpha;
    const double window = BesselI0(kKaiserBeta * std::sqrt(1 - r * r)) / i0_beta;
    h_[static_cast<size_t>(i)] = cutoff * NumpySinc(cutoff * m) * window;
    sum += h_[static_cast<size_t>(i)];
  }
  for (double& v : h_) v = v / sum * up;
}

absl::Status PolyphaseResampler::Resample(absl::Span<const double> x, int up, int down, absl::Span<double> y) {
  return ResampleInterleaved(x, 1, up, down, y);
}

absl::Status PolyphaseResampler::ResampleInterleaved(absl::Span<const double> x, size_t lanes, int up, int down,
                                                     absl::Span<double> y) {
  if (up < 1 || down < 1) {
    return absl::InvalidArgumentError(absl::StrCat("resample_poly: up and down must be >= 1 (got ", up, ", ", down, ")"));
  }
  if (lanes == 0 || (lanes != 1 && lanes % simd::kLanes != 0) || x.size() % lanes != 0 || y.size() % lanes != 0) {
    return absl::InvalidArgumentError(absl::StrCat("resample_poly: ", x.size(), " and ", y.size(),
                                                   " values do not divide into ", lanes,
                                                   " signals (1 or a multiple of ", simd::kLanes, ")"));
  }
  if (x.empty()) return absl::InvalidArgumentError("resample_poly: empty signal");
  const auto n = static_cast<int64_t>(x.size() / lanes);
  const int64_t n_out = OutputLength(n, up, down);
  if (static_cast<int64_t>(y.size() / lanes) != n_out) {
    return absl::InvalidArgumentError(
        absl::StrCat("resample_poly: output must hold ", n_out, " samples, holds ", y.size() / lanes));
  }
  const int g = std::gcd(up, down);
  up /= g;
  down /= g;
  if (up == 1 && down == 1) {
    std::copy(x.begin(), x.end(), y.begin());
    return absl::OkStatus();
  }
  if (up != up_ || down != down_) Design(up, down);
  const PolyArgs a{x.data(), n, lanes, h_.data(), static_cast<int64_t>(h_.size()), up, down, half_len_,
                   y.data(), n_out};
  if (lanes == 1) {
    PolyScalar(a);
  } else if (simd::HasAvx2()) {
    PolyV4Avx2(a);
  } else {
    PolyV4Base(a);
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg
