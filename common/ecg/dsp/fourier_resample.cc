// Arbitrary-length FFT over interleaved lanes and scipy.signal.resample; see fourier_resample.h.
#include "common/ecg/dsp/fourier_resample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/simd.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // see simd.h

namespace ecgbench::common::ecg {
namespace {

constexpr double kPi = 3.141592653589793;
constexpr size_t kMaxPlans = 8;

size_t NextPow2(size_t n) {
  size_t m = 1;
  while (m < n) m <<= 1;
  return m;
}

struct PlanView {
  size_t n, m;
  const double *tw_re, *tw_im;
  const double *chirp_re, *chirp_im;
  const double *kernel_re, *kernel_im;
  double *work_re, *work_im;  // m rows of one block's width
};

// Iterative radix-2 DIT over m rows `s` apart (each row one lane block).
template <class T>
ECGBENCH_DSP_INLINE void Radix2(double* re, double* im, size_t m, size_t s, const double* tw_re, const double* tw_im,
                                bool inverse) {
  using L = simd::Lane<T>;
  for (size_t i = 1, j = 0; i < m; ++i) {
    size_t bit = m >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const T ar = L::Load(re + i * s), ai = L::Load(im + i * s);
      L::Store(re + i * s, L::Load(re + j * s));
      L::Store(im + i * s, L::Load(im + j * s));
      L::Store(re + j * s, ar);
      L::Store(im + j * s, ai);
    }
  }
  for (size_t len = 2; len <= m; len <<= 1) {
    const size_t half = len / 2;
    const double* wr = tw_re + half - 1;
    const double* wi = tw_im + half - 1;
    for (size_t i = 0; i < m; i += len) {
      for (size_t k = 0; k < half; ++k) {
        const double cr = wr[k], ci = inverse ? -wi[k] : wi[k];
        double* pr = re + (i + k) * s;
        double* pi = im + (i + k) * s;
        double* qr = re + (i + k + half) * s;
        double* qi = im + (i + k + half) * s;
        const T vr = L::Load(qr), vi = L::Load(qi);
        const T tr = vr * cr - vi * ci, ti = vr * ci + vi * cr;
        const T ur = L::Load(pr), ui = L::Load(pi);
        L::Store(pr, ur + tr);
        L::Store(pi, ui + ti);
        L::Store(qr, ur - tr);
        L::Store(qi, ui - ti);
      }
    }
  }
}

// Forward DFT of one block of lanes (rows `s` apart).
template <class T>
ECGBENCH_DSP_INLINE void ForwardBlock(const PlanView& p, double* re, double* im, size_t s) {
  using L = simd::Lane<T>;
  constexpr size_t w = L::kWidth;
  if (p.n <= 1) return;
  if (p.m == p.n) return Radix2<T>(re, im, p.m, s, p.tw_re, p.tw_im, false);
  // Bluestein: X[k] = c[k] * sum_t (x[t] c[t]) conj(c[k - t]), c[k] = exp(-i pi k^2 / n).
  for (size_t t = 0; t < p.n; ++t) {
    const T xr = L::Load(re + t * s), xi = L::Load(im + t * s);
    const double cr = p.chirp_re[t], ci = p.chirp_im[t];
    L::Store(p.work_re + t * w, xr * cr - xi * ci);
    L::Store(p.work_im + t * w, xr * ci + xi * cr);
  }
  for (size_t t = p.n; t < p.m; ++t) {
    L::Store(p.work_re + t * w, L::Splat(0));
    L::Store(p.work_im + t * w, L::Splat(0));
  }
  Radix2<T>(p.work_re, p.work_im, p.m, w, p.tw_re, p.tw_im, false);
  for (size_t k = 0; k < p.m; ++k) {
    const T a = L::Load(p.work_re + k * w), b = L::Load(p.work_im + k * w);
    const double kr = p.kernel_re[k], ki = p.kernel_im[k];
    L::Store(p.work_re + k * w, a * kr - b * ki);
    L::Store(p.work_im + k * w, a * ki + b * kr);
  }
  Radix2<T>(p.work_re, p.work_im, p.m, w, p.tw_re, p.tw_im, true);
  const double scale = 1.0 / static_cast<double>(p.m);
  for (size_t k = 0; k < p.n; ++k) {
    const T a = L::Load(p.work_re + k * w), b = L::Load(p.work_im + k * w);
    const double cr = p.chirp_re[k], ci = p.chirp_im[k];
    L::Store(re + k * s, (a * cr - b * ci) * scale);
    L::Store(im + k * s, (b * cr + a * ci) * scale);
  }
}

template <class T>
ECGBENCH_DSP_INLINE void ForwardLanes(const PlanView& p, double* re, double* im, size_t lanes) {
  for (size_t b = 0; b < lanes; b += simd::Lane<T>::kWidth) ForwardBlock<T>(p, re + b, im + b, lanes);
}

void ForwardScalar(const PlanView& p, double* re, double* im, size_t lanes) { ForwardLanes<double>(p, re, im, lanes); }
void ForwardV4Base(const PlanView& p, double* re, double* im, size_t lanes) {
  ForwardLanes<simd::V4>(p, re, im, lanes);
}
__attribute__((target("avx2"))) void ForwardV4Avx2(const PlanView& p, double* re, double* im, size_t lanes) {
  ForwardLanes<simd::V4>(p, re, im, lanes);
}

}  // namespace

FftPlan::FftPlan(size_t n) : n_(n) {
  const bool pow2 = n > 0 && (n & (n - 1)) == 0;
  m_ = pow2 ? n : NextPow2(2 * n - 1);
  // Stage `len` uses exp(-2 pi i k / len), k < len / 2, stored from offset len / 2 - 1.
  tw_re_.resize(m_ > 1 ? m_ - 1 : 0);
  tw_im_.resize(tw_re_.size());
  for (size_t len = 2; len <= m_; len <<= 1) {
    for (size_t k = 0; k < len / 2; ++k) {
      const double angle = 2 * kPi * static_cast<double>(k) / static_cast<double>(len);
      tw_re_[len / 2 - 1 + k] = std::cos(angle);
      tw_im_[len / 2 - 1 + k] = -std::sin(angle);
    }
  }
  if (pow2) return;
  chirp_re_.resize(n);
  chirp_im_.resize(n);
  const uint64_t period = 2 * static_cast<uint64_t>(n);
  for (size_t k = 0; k < n; ++k) {
    const uint64_t k2 = (static_cast<uint64_t>(k) * k) % period;  // exact phase index
    const double angle = kPi * static_cast<double>(k2) / static_cast<double>(n);
    chirp_re_[k] = std::cos(angle);
    chirp_im_[k] = -std::sin(angle);
  }
  kernel_re_.assign(m_, 0.0);
  kernel_im_.assign(m_, 0.0);
  kernel_re_[0] = chirp_re_[0];
  kernel_im_[0] = -chirp_im_[0];
  for (size_t j = 1; j < n; ++j) {
    kernel_re_[j] = kernel_re_[m_ - j] = chirp_re_[j];
    kernel_im_[j] = kernel_im_[m_ - j] = -chirp_im_[j];
  }
  Radix2<double>(kernel_re_.data(), kernel_im_.data(), m_, 1, tw_re_.data(), tw_im_.data(), false);
}

void FftPlan::Forward(double* re, double* im, size_t lanes) {
  const size_t width = lanes == 1 ? 1 : simd::kLanes;
  if (m_ != n_) {
    work_re_.resize(m_ * width);
    work_im_.resize(m_ * width);
  }
  const PlanView p{n_,           m_,           tw_re_.data(),     tw_im_.data(),     chirp_re_.data(),
                   chirp_im_.data(), kernel_re_.data(), kernel_im_.data(), work_re_.data(), work_im_.data()};
  if (lanes == 1) {
    ForwardScalar(p, re, im, lanes);
  } else if (simd::HasAvx2()) {
    ForwardV4Avx2(p, re, im, lanes);
  } else {
    ForwardV4Base(p, re, im, lanes);
  }
}

void FftPlan::Inverse(double* re, double* im, size_t lanes) {
  const size_t total = n_ * lanes;
  for (size_t i = 0; i < total; ++i) im[i] = -im[i];
  Forward(re, im, lanes);
  for (size_t i = 0; i < total; ++i) im[i] = -im[i];
}

FftPlan& FourierResampler::PlanFor(size_t n) {
  for (auto& plan : plans_) {
    if (plan->size() == n) return *plan;
  }
  if (plans_.size() >= kMaxPlans) plans_.erase(plans_.begin());
  plans_.push_back(std::make_unique<FftPlan>(n));
  return *plans_.back();
}

absl::Status FourierResampler::Resample(absl::Span<const double> x, absl::Span<double> y) {
  return ResampleInterleaved(x, 1, y);
}

absl::Status FourierResampler::ResampleInterleaved(absl::Span<const double> x, size_t lanes, absl::Span<double> y) {
  if (lanes == 0 || (lanes != 1 && lanes % simd::kLanes != 0) || x.size() % lanes != 0 || y.size() % lanes != 0) {
    return absl::InvalidArgumentError(absl::StrCat("resample: ", x.size(), " and ", y.size(),
                                                   " values do not divide into ", lanes, " signals"));
  }
  const size_t nx = x.size() / lanes;
  const size_t num = y.size() / lanes;
  if (nx == 0 || num == 0) {
    return absl::InvalidArgumentError(absl::StrCat("resample: cannot resample ", nx, " samples to ", num));
  }
  spec_re_.assign(x.begin(), x.end());
  spec_im_.assign(x.size(), 0.0);
  PlanFor(nx).Forward(spec_re_.data(), spec_im_.data(), lanes);

  // Y = rfft bins 0..num/2 of the output: the lowest min(num, nx) frequencies of the input.
  const size_t n = std::min(num, nx);
  const size_t nyq = n / 2 + 1;
  auto factor = [&](size_t k) -> double {
    if (k >= nyq) return 0.0;
    if (n % 2 == 0 && k == n / 2) {
      if (num < nx) return 2.0;  // downsampling: fold the Nyquist bin
      if (nx < num) return 0.5;  // upsampling: split it
    }
    return 1.0;
  };
  // irfft(Y, num): Hermitian extension; the imaginary parts of DC and Nyquist are ignored.
  out_re_.assign(num * lanes, 0.0);
  out_im_.assign(num * lanes, 0.0);
  for (size_t k = 0; k <= num / 2; ++k) {
    const double f = factor(k);
    if (f == 0.0) continue;
    const bool real_only = k == 0 || (num % 2 == 0 && k == num / 2);
    for (size_t l = 0; l < lanes; ++l) {
      const double re = f == 1.0 ? spec_re_[k * lanes + l] : spec_re_[k * lanes + l] * f;
      const double im = f == 1.0 ? spec_im_[k * lanes + l] : spec_im_[k * lanes + l] * f;
      out_re_[k * lanes + l] = re;
      out_im_[k * lanes + l] = real_only ? 0.0 : im;
      if (!real_only) {
        out_re_[(num - k) * lanes + l] = re;
        out_im_[(num - k) * lanes + l] = -im;
      }
    }
  }
  PlanFor(num).Inverse(out_re_.data(), out_im_.data(), lanes);
  const double fct = 1.0 / static_cast<double>(num);
  const double ratio = static_cast<double>(num) / static_cast<double>(nx);
  for (size_t i = 0; i < num * lanes; ++i) y[i] = (out_re_[i] * fct) * ratio;
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg
