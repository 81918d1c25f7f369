// filtfilt / sosfiltfilt with scipy's padding and initial conditions; see filtfilt.h.
#include "common/ecg/dsp/filtfilt.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/simd.h"
#include "common/util/status_macros.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // see simd.h

namespace ecgbench::common::ecg {
namespace {

// Double-double numbers (hi + lo, |lo| <= ulp(hi)/2) for the exact steady state.
struct DD {
  double hi = 0;
  double lo = 0;
};

DD TwoSum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}

DD Add(DD x, DD y) {
  DD s = TwoSum(x.hi, y.hi);
  s.lo += x.lo + y.lo;
  return TwoSum(s.hi, s.lo);
}

DD Neg(DD x) { return {-x.hi, -x.lo}; }

DD Mul(DD x, DD y) {
  const double p = x.hi * y.hi;
  const double e = std::fma(x.hi, y.hi, -p) + (x.hi * y.lo + x.lo * y.hi);
  return TwoSum(p, e);
}

DD Div(DD x, DD y) {
  const double q1 = x.hi / y.hi;
  const DD r = Add(x, Neg(Mul(DD{q1, 0}, y)));
  const double q2 = r.hi / y.hi;
  const DD r2 = Add(r, Neg(Mul(DD{q2, 0}, y)));
  const double q3 = r2.hi / y.hi;
  return Add(TwoSum(q1, q2), DD{q3, 0});
}

absl::Status CheckFinite(const std::vector<double>& v, const char* what) {
  for (double c : v) {
    if (!std::isfinite(c)) return absl::InvalidArgumentError(absl::StrCat("filter coefficient ", what, " is not finite"));
  }
  return absl::OkStatus();
}

// b and a divided by a[0] (as lfilter and lfilter_zi do) and zero-padded to a common length.
absl::Status Normalize(const std::vector<double>& b_in, const std::vector<double>& a_in, std::vector<double>& b,
                       std::vector<double>& a) {
  if (b_in.empty() || a_in.empty()) return absl::InvalidArgumentError("filter coefficients b and a must not be empty");
  ECGBENCH_RETURN_IF_ERROR(CheckFinite(b_in, "b"));
  ECGBENCH_RETURN_IF_ERROR(CheckFinite(a_in, "a"));
  if (a_in[0] == 0) return absl::InvalidArgumentError("filter coefficient a[0] must not be 0");
  b = b_in;
  a = a_in;
  if (a[0] != 1.0) {
    const double a0 = a[0];
    for (double& v : b) v = v / a0;
    for (double& v : a) v = v / a0;
  }
  const size_t n = std::max(a.size(), b.size());
  a.resize(n, 0.0);
  b.resize(n, 0.0);
  return absl::OkStatus();
}

// Steady state of the DF2T recursion for a unit step, from normalised b and a of equal length.
absl::StatusOr<std::vector<double>> SteadyState(const std::vector<double>& b, const std::vector<double>& a) {
  const size_t n = a.size();
  DD sum_a, sum_b;
  for (size_t j = 0; j < n; ++j) {
    sum_a = Add(sum_a, DD{a[j], 0});
    sum_b = Add(sum_b, DD{b[j], 0});
  }
  if (n > 1 && sum_a.hi == 0) {
    return absl::InvalidArgumentError("lfilter_zi: I - A^T is singular (sum(a) == 0: a pole at z = 1)");
  }
  std::vector<double> zi(n - 1);
  if (n == 1) return zi;
  const DD g = Div(sum_b, sum_a);
  DD tail_a, tail_b;
  for (size_t i = n - 1; i-- > 0;) {
    tail_a = Add(tail_a, DD{a[i + 1], 0});
    tail_b = Add(tail_b, DD{b[i + 1], 0});
    const DD v = Add(tail_b, Neg(Mul(g, tail_a)));
    zi[i] = v.hi + v.lo;
  }
  return zi;
}

// Coefficients as the recursion kernels see them.
struct Coeffs {
  const double* b = nullptr;  // (b, a) form, normalised, `taps` each
  const double* a = nullptr;
  int taps = 0;
  const SosSection* sos = nullptr;  // SOS form when sections > 0
  size_t sections = 0;
};

// The kernels below run kBlocks blocks of lanes side by side (independent recursions give the
// CPU parallel work); block b's lanes start at data + b * width and its states at
// z + b * states * width.

// Direct form II transposed over data[0], data[step], ... in lfilter's operation order.
template <class T, int kTaps, int kBlocks>
ECGBENCH_DSP_INLINE void Df2tFixed(const Coeffs& c, double* z_io, double* data, std::ptrdiff_t n,
                                   std::ptrdiff_t step) {
  using L = simd::Lane<T>;
  constexpr std::ptrdiff_t w = static_cast<std::ptrdiff_t>(L::kWidth);
  const double* b = c.b;
  const double* a = c.a;
  T z[kBlocks][kTaps];
  for (int k = 0; k < kBlocks; ++k) {
    for (int i = 0; i < kTaps - 1; ++i) z[k][i] = L::Load(z_io + (k * (kTaps - 1) + i) * w);
  }
  for (std::ptrdiff_t t = 0; t < n; ++t, data += step) {
    for (int k = 0; k < kBlocks; ++k) {
      const T x = L::Load(data + k * w);
      const T y = z[k][0] + b[0] * x;
      for (int i = 0; i < kTaps - 2; ++i) z[k][i] = z[k][i + 1] + x * b[i + 1] - y * a[i + 1];
      z[k][kTaps - 2] = x * b[kTaps - 1] - y * a[kTaps - 1];
      L::Store(data + k * w, y);
    }
  }
  for (int k = 0; k < kBlocks; ++k) {
    for (int i = 0; i < kTaps - 1; ++i) L::Store(z_io + (k * (kTaps - 1) + i) * w, z[k][i]);
  }
}

template <class T, int kBlocks>
ECGBENCH_DSP_INLINE void Df2tGeneric(const Coeffs& c, double* z_io, double* data, std::ptrdiff_t n,
                                     std::ptrdiff_t step) {
  using L = simd::Lane<T>;
  constexpr std::ptrdiff_t w = static_cast<std::ptrdiff_t>(L::kWidth);
  const int taps = c.taps;
  for (std::ptrdiff_t t = 0; t < n; ++t, data += step) {
    for (int k = 0; k < kBlocks; ++k) {
      double* z = z_io + k * (taps - 1) * w;
      const T x = L::Load(data + k * w);
      if (taps == 1) {
        L::Store(data + k * w, x * c.b[0]);
        continue;
      }
      const T y = L::Load(z) + c.b[0] * x;
      for (int i = 0; i < taps - 2; ++i) L::Store(z + i * w, L::Load(z + (i + 1) * w) + x * c.b[i + 1] - y * c.a[i + 1]);
      L::Store(z + (taps - 2) * w, x * c.b[taps - 1] - y * c.a[taps - 1]);
      L::Store(data + k * w, y);
    }
  }
}

// sosfilt's section cascade (scipy's _sosfilt loop order); 2 states per section.
template <class T, int kBlocks>
ECGBENCH_DSP_INLINE void SosCascade(const Coeffs& c, double* z_io, double* data, std::ptrdiff_t n,
                                    std::ptrdiff_t step) {
  using L = simd::Lane<T>;
  constexpr std::ptrdiff_t w = static_cast<std::ptrdiff_t>(L::kWidth);
  const auto states = static_cast<std::ptrdiff_t>(2 * c.sections);
  for (std::ptrdiff_t t = 0; t < n; ++t, data += step) {
    for (int k = 0; k < kBlocks; ++k) {
      T x_cur = L::Load(data + k * w);
      for (size_t s = 0; s < c.sections; ++s) {
        const SosSection& q = c.sos[s];
        double* zs = z_io + (k * states + 2 * static_cast<std::ptrdiff_t>(s)) * w;
        const T x_new = q[0] * x_cur + L::Load(zs);
        L::Store(zs, q[1] * x_cur - q[4] * x_new + L::Load(zs + w));
        L::Store(zs + w, q[2] * x_cur - q[5] * x_new);
        x_cur = x_new;
      }
      L::Store(data + k * w, x_cur);
    }
  }
}

template <class T, int kBlocks>
ECGBENCH_DSP_INLINE void Recurse(const Coeffs& c, double* z, double* data, std::ptrdiff_t n, std::ptrdiff_t step) {
  if (c.sections > 0) return SosCascade<T, kBlocks>(c, z, data, n, step);
  switch (c.taps) {
    case 3:
      return Df2tFixed<T, 3, kBlocks>(c, z, data, n, step);
    case 5:
      return Df2tFixed<T, 5, kBlocks>(c, z, data, n, step);
    case 9:
      return Df2tFixed<T, 9, kBlocks>(c, z, data, n, step);
    default:
      return Df2tGeneric<T, kBlocks>(c, z, data, n, step);
  }
}

template <class T>
ECGBENCH_DSP_INLINE void RecurseGroup(const Coeffs& c, double* z, double* data, std::ptrdiff_t n, std::ptrdiff_t step,
                                      int blocks) {
  switch (blocks) {
    case 1:
      return Recurse<T, 1>(c, z, data, n, step);
    case 2:
      return Recurse<T, 2>(c, z, data, n, step);
    case 3:
      return Recurse<T, 3>(c, z, data, n, step);
    default:
      return Recurse<T, 4>(c, z, data, n, step);
  }
}

constexpr int kMaxBlocks = 4;

void RecurseScalar(const Coeffs& c, double* z, double* data, std::ptrdiff_t n, std::ptrdiff_t step, int) {
  Recurse<double, 1>(c, z, data, n, step);
}
void RecurseV4Base(const Coeffs& c, double* z, double* data, std::ptrdiff_t n, std::ptrdiff_t step, int blocks) {
  RecurseGroup<simd::V4>(c, z, data, n, step, blocks);
}
__attribute__((target("avx2"))) void RecurseV4Avx2(const Coeffs& c, double* z, double* data, std::ptrdiff_t n,
                                                   std::ptrdiff_t step, int blocks) {
  RecurseGroup<simd::V4>(c, z, data, n, step, blocks);
}
using RecurseFn = void (*)(const Coeffs&, double*, double*, std::ptrdiff_t, std::ptrdiff_t, int);

}  // namespace

absl::StatusOr<std::vector<double>> LfilterZi(const std::vector<double>& b_in, const std::vector<double>& a_in) {
  std::vector<double> b, a;
  ECGBENCH_RETURN_IF_ERROR(Normalize(b_in, a_in, b, a));
  return SteadyState(b, a);
}

absl::StatusOr<std::vector<double>> SosfiltZi(const std::vector<SosSection>& sos) {
  if (sos.empty()) return absl::InvalidArgumentError("sos must have at least one section");
  std::vector<double> out;
  double scale = 1.0;
  for (size_t s = 0; s < sos.size(); ++s) {
    const SosSection& c = sos[s];
    for (double v : c) {
      if (!std::isfinite(v)) return absl::InvalidArgumentError(absl::StrCat("sos section ", s, " is not finite"));
    }
    if (c[3] != 1.0) return absl::InvalidArgumentError(absl::StrCat("sos[", s, ", 3] should be 1, got ", c[3]));
    ECGBENCH_ASSIGN_OR_RETURN(std::vector<double> zi, LfilterZi({c[0], c[1], c[2]}, {c[3], c[4], c[5]}));
    for (double v : zi) out.push_back(scale * v);
    scale *= ((c[0] + c[1]) + c[2]) / ((c[3] + c[4]) + c[5]);
  }
  return out;
}

absl::StatusOr<ZeroPhaseFilter> ZeroPhaseFilter::FromTransferFunction(const TransferFunction& tf) {
  ZeroPhaseFilter f;
  ECGBENCH_RETURN_IF_ERROR(Normalize(tf.b, tf.a, f.b_, f.a_));
  ECGBENCH_ASSIGN_OR_RETURN(f.zi_, SteadyState(f.b_, f.a_));
  f.padlen_ = 3 * static_cast<int>(std::max(tf.a.size(), tf.b.size()));
  return f;
}

absl::StatusOr<ZeroPhaseFilter> ZeroPhaseFilter::FromSos(const std::vector<SosSection>& sos) {
  ZeroPhaseFilter f;
  ECGBENCH_ASSIGN_OR_RETURN(f.zi_, SosfiltZi(sos));
  f.sos_ = sos;
  int b2_zero = 0, a2_zero = 0;
  for (const SosSection& c : sos) {
    b2_zero += c[2] == 0;
    a2_zero += c[5] == 0;
  }
  f.padlen_ = 3 * (2 * static_cast<int>(sos.size()) + 1 - std::min(b2_zero, a2_zero));
  return f;
}

// Forward then backward over `n` interleaved samples of `lanes` signals in ext (in place).
void ZeroPhaseFilter::Run(double* ext, size_t n, size_t lanes, double* state) const {
  Coeffs c;
  c.b = b_.data();
  c.a = a_.data();
  c.taps = static_cast<int>(b_.size());
  c.sos = sos_.data();
  c.sections = sos_.size();
  const size_t states = zi_.size();
  const auto len = static_cast<std::ptrdiff_t>(n);
  const auto stride = static_cast<std::ptrdiff_t>(lanes);
  // Groups of up to kMaxBlocks blocks of `width` lanes.
  auto pass = [&](RecurseFn recurse, size_t width) {
    for (size_t begin = 0; begin < lanes; begin += width * kMaxBlocks) {
      const size_t count = std::min(width * kMaxBlocks, lanes - begin);  // lanes in this group
      const int blocks = static_cast<int>(count / width);
      double* first = ext + begin;
      double* last = ext + (n - 1) * lanes + begin;
      auto init = [&](const double* row) {
        for (size_t k = 0; k < count / width; ++k) {
          for (size_t i = 0; i < states; ++i) {
            for (size_t l = 0; l < width; ++l) state[(k * states + i) * width + l] = zi_[i] * row[k * width + l];
          }
        }
      };
      init(first);
      recurse(c, state, first, len, stride, blocks);
      init(last);
      recurse(c, state, last, len, -stride, blocks);
    }
  };
  if (lanes == 1) return pass(RecurseScalar, 1);
  pass(simd::HasAvx2() ? RecurseV4Avx2 : RecurseV4Base, simd::kLanes);
}

absl::Status ZeroPhaseFilter::CheckLength(size_t n) const {
  if (n <= static_cast<size_t>(padlen_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("The length of the input vector x must be greater than padlen, which is ", padlen_, "."));
  }
  return absl::OkStatus();
}

void ZeroPhaseFilter::FilterPadded(double* data, size_t n, size_t lanes, FiltFiltWorkspace& ws) const {
  const size_t edge = static_cast<size_t>(padlen_);
  ws.state_.resize(zi_.size() * std::min<size_t>(lanes, simd::kLanes * kMaxBlocks));
  // Odd extension into the rows around the data: 2*x[0] - x[edge..1] before it,
  // 2*x[n-1] - x[n-2..n-1-edge] after it.
  double* before = data - edge * lanes;
  double* after = data + n * lanes;
  for (size_t l = 0; l < lanes; ++l) {
    const double left = 2 * data[l];
    const double right = 2 * data[(n - 1) * lanes + l];
    for (size_t i = 0; i < edge; ++i) before[i * lanes + l] = left - data[(edge - i) * lanes + l];
    for (size_t i = 0; i < edge; ++i) after[i * lanes + l] = right - data[(n - 2 - i) * lanes + l];
  }
  Run(before, n + 2 * edge, lanes, ws.state_.data());
}

absl::Status ZeroPhaseFilter::Filter(const double* x, double* y, size_t n, size_t lanes, FiltFiltWorkspace& ws) const {
  ECGBENCH_RETURN_IF_ERROR(CheckLength(n));
  const size_t edge = static_cast<size_t>(padlen_);
  ws.ext_.resize((n + 2 * edge) * lanes);
  double* data = ws.ext_.data() + edge * lanes;
  std::copy(x, x + n * lanes, data);
  FilterPadded(data, n, lanes, ws);
  std::copy(data, data + n * lanes, y);
  return absl::OkStatus();
}

absl::Status ZeroPhaseFilter::Apply(absl::Span<const double> x, absl::Span<double> y, FiltFiltWorkspace& ws) const {
  if (x.size() != y.size()) {
    return absl::InvalidArgumentError(absl::StrCat("filtfilt: output has ", y.size(), " samples, input ", x.size()));
  }
  return Filter(x.data(), y.data(), x.size(), 1, ws);
}

absl::Status ZeroPhaseFilter::ApplyInterleaved(absl::Span<double> data, size_t lanes, FiltFiltWorkspace& ws) const {
  if (lanes == 0 || lanes % simd::kLanes != 0 || data.size() % lanes != 0) {
    return absl::InvalidArgumentError(absl::StrCat("filtfilt: ", data.size(), " values in ", lanes,
                                                   " lanes (lanes must be a positive multiple of ", simd::kLanes,
                                                   " dividing the size)"));
  }
  return Filter(data.data(), data.data(), data.size() / lanes, lanes, ws);
}

absl::Status ZeroPhaseFilter::ApplyInterleavedPadded(double* data, size_t n, size_t lanes,
                                                     FiltFiltWorkspace& ws) const {
  if (lanes == 0 || lanes % simd::kLanes != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("filtfilt: ", lanes, " lanes (lanes must be a positive multiple of ", simd::kLanes, ")"));
  }
  ECGBENCH_RETURN_IF_ERROR(CheckLength(n));
  FilterPadded(data, n, lanes, ws);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> FiltFilt(const TransferFunction& tf, absl::Span<const double> x) {
  ECGBENCH_ASSIGN_OR_RETURN(const ZeroPhaseFilter f, ZeroPhaseFilter::FromTransferFunction(tf));
  FiltFiltWorkspace ws;
  std::vector<double> y(x.size());
  ECGBENCH_RETURN_IF_ERROR(f.Apply(x, absl::MakeSpan(y), ws));
  return y;
}

absl::StatusOr<std::vector<double>> SosFiltFilt(const std::vector<SosSection>& sos, absl::Span<const double> x) {
  ECGBENCH_ASSIGN_OR_RETURN(const ZeroPhaseFilter f, ZeroPhaseFilter::FromSos(sos));
  FiltFiltWorkspace ws;
  std::vector<double> y(x.size());
  ECGBENCH_RETURN_IF_ERROR(f.Apply(x, absl::MakeSpan(y), ws));
  return y;
}

}  // namespace ecgbench::common::ecg
