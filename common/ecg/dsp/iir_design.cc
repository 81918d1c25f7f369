// IIR design (iirnotch, butter) following scipy.signal 1.10 step by step; see iir_design.h.
#include "common/ecg/dsp/iir_design.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {
namespace {

using Complex = std::complex<double>;
constexpr double kPi = 3.141592653589793;

// numpy's complex product (no FMA contraction: the project builds for baseline x86-64).
Complex Mul(Complex x, Complex y) {
  return {x.real() * y.real() - x.imag() * y.imag(), x.real() * y.imag() + x.imag() * y.real()};
}

// numpy's complex quotient (Smith's algorithm, as in umath's complex divide loop).
Complex Div(Complex n, Complex d) {
  const double ar = n.real(), ai = n.imag(), br = d.real(), bi = d.imag();
  if (std::fabs(br) >= std::fabs(bi)) {
    if (br == 0 && bi == 0) return {ar / std::fabs(br), ai / std::fabs(br)};
    const double rat = bi / br;
    const double scl = 1.0 / (br + bi * rat);
    return {(ar + ai * rat) * scl, (ai - ar * rat) * scl};
  }
  const double rat = br / bi;
  const double scl = 1.0 / (bi + br * rat);
  return {(ar * rat + ai) * scl, (ai * rat - ar) * scl};
}

Complex Prod(const std::vector<Complex>& v) {
  if (v.empty()) return {1.0, 0.0};
  Complex r = v[0];
  for (size_t i = 1; i < v.size(); ++i) r = Mul(r, v[i]);
  return r;
}

// numpy.poly: coefficients of prod(x - root), highest power first, by repeated convolution.
std::vector<Complex> Poly(const std::vector<Complex>& roots) {
  std::vector<Complex> a = {Complex(1.0, 0.0)};
  for (const Complex& root : roots) {
    const Complex neg(-root.real(), -root.imag());
    std::vector<Complex> next(a.size() + 1);
    next[0] = a[0];
    for (size_t i = 1; i < a.size(); ++i) {
      const Complex t = Mul(a[i - 1], neg);
      next[i] = {a[i].real() + t.real(), a[i].imag() + t.imag()};
    }
    next[a.size()] = Mul(a.back(), neg);
    a = std::move(next);
  }
  return a;
}

std::vector<double> RealPoly(const std::vector<Complex>& roots, double k) {
  const std::vector<Complex> c = Poly(roots);
  std::vector<double> out(c.size());
  for (size_t i = 0; i < c.size(); ++i) out[i] = k * c[i].real();
  return out;
}

struct Zpk {
  std::vector<Complex> z;
  std::vector<Complex> p;
  double k = 1.0;
};

Zpk Buttap(int n) {
  Zpk out;
  const double scale = 1.0 / (2.0 * n);  // numpy divides a complex by (2N + 0j): Smith's scl
  for (int m = -n + 1; m < n; m += 2) {
    const double theta = (kPi * m) * scale;
    const Complex e = std::exp(Complex(m < 0 ? -0.0 : 0.0, theta));
    out.p.emplace_back(-e.real(), -e.imag());
  }
  return out;
}

void Lp2Lp(Zpk& s, double wo) {
  const int degree = static_cast<int>(s.p.size() - s.z.size());
  for (Complex& z : s.z) z = Mul(z, Complex(wo, 0.0));
  for (Complex& p : s.p) p = Mul(p, Complex(wo, 0.0));
  s.k = s.k * std::pow(wo, static_cast<double>(degree));
}

void Lp2Hp(Zpk& s, double wo) {
  const int degree = static_cast<int>(s.p.size() - s.z.size());
  std::vector<Complex> neg_z, neg_p;
  for (const Complex& z : s.z) neg_z.emplace_back(-z.real(), -z.imag());
  for (const Complex& p : s.p) neg_p.emplace_back(-p.real(), -p.imag());
  for (Complex& z : s.z) z = Div(Complex(wo, 0.0), z);
  for (Complex& p : s.p) p = Div(Complex(wo, 0.0), p);
  s.z.insert(s.z.end(), degree, Complex(0.0, 0.0));
  s.k = s.k * Div(Prod(neg_z), Prod(neg_p)).real();
}

void Lp2Bp(Zpk& s, double wo, double bw) {
  const int degree = static_cast<int>(s.p.size() - s.z.size());
  const double wo2 = std::pow(wo, 2.0);
  auto shift = [&](const std::vector<Complex>& in) {
    std::vector<Complex> plus, minus;
    for (const Complex& v : in) {
      const Complex scaled = Div(Mul(v, Complex(bw, 0.0)), Complex(2.0, 0.0));
      const Complex sq = Mul(scaled, scaled);
      const Complex root = std::sqrt(Complex(sq.real() - wo2, sq.imag()));
      plus.emplace_back(scaled.real() + root.real(), scaled.imag() + root.imag());
      minus.emplace_back(scaled.real() - root.real(), scaled.imag() - root.imag());
    }
    plus.insert(plus.end(), minus.begin(), minus.end());
    return plus;
  };
  s.z = shift(s.z);
  s.p = shift(s.p);
  s.z.insert(s.z.end(), degree, Complex(0.0, 0.0));
  s.k = s.k * std::pow(bw, static_cast<double>(degree));
}

void Bilinear(Zpk& s, double fs) {
  const int degree = static_cast<int>(s.p.size() - s.z.size());
  const double fs2 = 2.0 * fs;
  std::vector<Complex> num_terms, den_terms;
  auto map = [&](std::vector<Complex>& roots, std::vector<Complex>& terms) {
    for (Complex& r : roots) {
      const Complex minus(fs2 - r.real(), -r.imag());
      terms.push_back(minus);
      r = Div(Complex(fs2 + r.real(), r.imag()), minus);
    }
  };
  map(s.z, num_terms);
  map(s.p, den_terms);
  s.z.insert(s.z.end(), degree, Complex(-1.0, 0.0));
  s.k = s.k * Div(Prod(num_terms), Prod(den_terms)).real();
}

bool IsReal(const Complex& c) { return c.imag() == 0.0; }

// scipy's _cplxreal: conjugate pairs collapsed to their positive-imaginary member, then reals.
absl::StatusOr<std::vector<Complex>> CplxReal(std::vector<Complex> z) {
  const double tol = 100 * std::numeric_limits<double>::epsilon();
  std::stable_sort(z.begin(), z.end(), [](const Complex& x, const Complex& y) {
    if (x.real() != y.real()) return x.real() < y.real();
    return std::fabs(x.imag()) < std::fabs(y.imag());
  });
  std::vector<Complex> zp, zn, zr;
  for (const Complex& v : z) {
    if (std::fabs(v.imag()) <= tol * std::abs(v)) {
      zr.emplace_back(v.real(), 0.0);
    } else if (v.imag() > 0) {
      zp.push_back(v);
    } else {
      zn.push_back(v);
    }
  }
  if (zp.size() != zn.size()) return absl::InternalError("zpk2sos: complex root with no conjugate");
  // Runs of (nearly) equal real part are ordered by |imag|, as scipy does.
  for (size_t start = 0; start < zp.size();) {
    size_t stop = start + 1;
    while (stop < zp.size() && zp[stop].real() - zp[stop - 1].real() <= tol * std::abs(zp[stop - 1])) ++stop;
    auto by_imag = [](const Complex& x, const Complex& y) { return std::fabs(x.imag()) < std::fabs(y.imag()); };
    std::stable_sort(zp.begin() + static_cast<std::ptrdiff_t>(start), zp.begin() + static_cast<std::ptrdiff_t>(stop),
                     by_imag);
    std::stable_sort(zn.begin() + static_cast<std::ptrdiff_t>(start), zn.begin() + static_cast<std::ptrdiff_t>(stop),
                     by_imag);
    start = stop;
  }
  std::vector<Complex> out;
  for (size_t i = 0; i < zp.size(); ++i) {
    const Complex conj_n(zn[i].real(), -zn[i].imag());
    if (std::abs(zp[i] - conj_n) > tol * std::abs(zn[i])) {
      return absl::InternalError("zpk2sos: complex root with no conjugate");
    }
    out.emplace_back((zp[i].real() + conj_n.real()) * 0.5, (zp[i].imag() + conj_n.imag()) * 0.5);
  }
  out.insert(out.end(), zr.begin(), zr.end());
  return out;
}

size_t IdxWorst(const std::vector<Complex>& p) {
  size_t best = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    if (std::fabs(1 - std::abs(p[i])) < std::fabs(1 - std::abs(p[best]))) best = i;
  }
  return best;
}

enum class Which { kReal, kComplex, kAny };

// Index of the element of `from` nearest to `to` of the requested kind (first on ties).
size_t Nearest(const std::vector<Complex>& from, const Complex& to, Which which) {
  size_t best = from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    if (which == Which::kReal && !IsReal(from[i])) continue;
    if (which == Which::kComplex && IsReal(from[i])) continue;
    if (best == from.size() || std::abs(from[i] - to) < std::abs(from[best] - to)) best = i;
  }
  return best;
}

Complex Take(std::vector<Complex>& v, size_t i) {
  const Complex c = v[i];
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
  return c;
}

// Removes and returns the element of `v` nearest to `to` of the requested kind.
absl::StatusOr<Complex> TakeNearest(std::vector<Complex>& v, const Complex& to, Which which) {
  const size_t i = Nearest(v, to, which);
  if (i == v.size()) return absl::InternalError("zpk2sos: no zero of the kind needed to pair a pole");
  return Take(v, i);
}

SosSection SingleSection(const std::vector<Complex>& z, const std::vector<Complex>& p) {
  SosSection s{};
  const std::vector<double> b = RealPoly(z, 1.0);
  const std::vector<double> a = RealPoly(p, 1.0);
  for (size_t i = 0; i < b.size(); ++i) s[3 - b.size() + i] = b[i];
  for (size_t i = 0; i < a.size(); ++i) s[6 - a.size() + i] = a[i];
  return s;
}

// scipy.signal.zpk2sos(z, p, k, pairing='nearest') for a digital filter.
absl::StatusOr<std::vector<SosSection>> Zpk2Sos(Zpk s) {
  if (s.z.size() < s.p.size()) s.z.insert(s.z.end(), s.p.size() - s.z.size(), Complex(0, 0));
  if (s.p.size() < s.z.size()) s.p.insert(s.p.end(), s.z.size() - s.p.size(), Complex(0, 0));
  const size_t n_sections = (s.p.size() + 1) / 2;
  if (s.p.size() % 2 == 1) {
    s.p.emplace_back(0, 0);
    s.z.emplace_back(0, 0);
  }
  ECGBENCH_ASSIGN_OR_RETURN(std::vector<Complex> z, CplxReal(s.z));
  ECGBENCH_ASSIGN_OR_RETURN(std::vector<Complex> p, CplxReal(s.p));
  std::vector<SosSection> sos(n_sections);
  auto count_real = [](const std::vector<Complex>& v) {
    return std::count_if(v.begin(), v.end(), IsReal);
  };
  for (size_t si = n_sections; si-- > 0;) {
    const Complex p1 = Take(p, IdxWorst(p));
    if (IsReal(p1) && count_real(p) == 0) {
      ECGBENCH_ASSIGN_OR_RETURN(const Complex z1, TakeNearest(z, p1, Which::kReal));
      sos[si] = SingleSection({z1, Complex(0, 0)}, {p1, Complex(0, 0)});
    } else if (p.size() + 1 == z.size() && !IsReal(p1) && count_real(p) == 1 && count_real(z) == 1) {
      ECGBENCH_ASSIGN_OR_RETURN(const Complex z1, TakeNearest(z, p1, Which::kComplex));
      sos[si] = SingleSection({z1, std::conj(z1)}, {p1, std::conj(p1)});
    } else {
      Complex p2;
      if (IsReal(p1)) {
        std::vector<Complex> reals;
        std::vector<size_t> idx;
        for (size_t i = 0; i < p.size(); ++i) {
          if (IsReal(p[i])) reals.push_back(p[i]), idx.push_back(i);
        }
        p2 = Take(p, idx[IdxWorst(reals)]);
      } else {
        p2 = std::conj(p1);
      }
      if (z.empty()) {
        sos[si] = SingleSection({}, {p1, p2});
        continue;
      }
      ECGBENCH_ASSIGN_OR_RETURN(const Complex z1, TakeNearest(z, p1, Which::kAny));
      if (!IsReal(z1)) {
        sos[si] = SingleSection({z1, std::conj(z1)}, {p1, p2});
      } else if (!z.empty()) {
        ECGBENCH_ASSIGN_OR_RETURN(const Complex z2, TakeNearest(z, p1, Which::kReal));
        sos[si] = SingleSection({z1, z2}, {p1, p2});
      } else {
        sos[si] = SingleSection({z1}, {p1, p2});
      }
    }
  }
  for (int i = 0; i < 3; ++i) sos[0][i] *= s.k;
  return sos;
}

}  // namespace

absl::StatusOr<TransferFunction> IirNotch(double f0, double q, double fs) {
  if (!(fs > 0) || !std::isfinite(fs)) {
    return absl::InvalidArgumentError(absl::StrCat("iirnotch: fs must be positive, got ", fs));
  }
  if (!(q > 0) || !std::isfinite(q)) {
    return absl::InvalidArgumentError(absl::StrCat("iirnotch: Q must be positive, got ", q));
  }
  double w0 = 2 * f0 / fs;
  if (w0 > 1.0 || w0 < 0.0 || std::isnan(w0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("iirnotch(f0=", f0, ", fs=", fs, "): w0 should be such that 0 < w0 < 1"));
  }
  double bw = w0 / q;
  bw = bw * kPi;
  w0 = w0 * kPi;
  const double gb = 1 / std::sqrt(2.0);
  const double beta = (std::sqrt(1.0 - std::pow(gb, 2.0)) / gb) * std::tan(bw / 2.0);
  const double gain = 1.0 / (1.0 + beta);
  TransferFunction tf;
  tf.b = {gain * 1.0, gain * (-2.0 * std::cos(w0)), gain * 1.0};
  tf.a = {1.0, -2.0 * gain * std::cos(w0), 2.0 * gain - 1.0};
  return tf;
}

absl::StatusOr<ButterDesign> Butter(int order, const std::vector<double>& wn_in, BandType type,
                                    std::optional<double> fs) {
  if (order < 1 || order > 32) {
    return absl::InvalidArgumentError(absl::StrCat("butter: order must be in 1..32, got ", order));
  }
  const size_t want = type == BandType::kBandpass ? 2 : 1;
  if (wn_in.size() != want) {
    return absl::InvalidArgumentError(
        type == BandType::kBandpass
            ? "butter: Wn must specify start and stop frequencies for bandpass or bandstop filter"
            : "butter: Must specify a single critical frequency Wn for lowpass or highpass filter");
  }
  std::vector<double> wn = wn_in;
  if (fs.has_value()) {
    if (!(*fs > 0) || !std::isfinite(*fs)) {
      return absl::InvalidArgumentError(absl::StrCat("butter: fs must be positive, got ", *fs));
    }
    for (double& w : wn) w = 2 * w / *fs;
  }
  for (double w : wn) {
    if (!(w > 0)) return absl::InvalidArgumentError("butter: filter critical frequencies must be greater than 0");
  }
  if (wn.size() > 1 && !(wn[0] < wn[1])) {
    return absl::InvalidArgumentError("butter: Wn[0] must be less than Wn[1]");
  }
  for (double w : wn) {
    if (!(w < 1)) {
      if (fs.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("butter: Digital filter critical frequencies must be 0 < Wn < fs/2 (fs=", *fs,
                         " -> fs/2=", *fs / 2, ")"));
      }
      return absl::InvalidArgumentError("butter: Digital filter critical frequencies must be 0 < Wn < 1");
    }
  }
  const double design_fs = 2.0;
  std::vector<double> warped;
  for (double w : wn) warped.push_back(2 * design_fs * std::tan(kPi * w / design_fs));

  Zpk s = Buttap(order);
  switch (type) {
    case BandType::kLowpass:
      Lp2Lp(s, warped[0]);
      break;
    case BandType::kHighpass:
      Lp2Hp(s, warped[0]);
      break;
    case BandType::kBandpass:
      Lp2Bp(s, std::sqrt(warped[0] * warped[1]), warped[1] - warped[0]);
      break;
  }
  Bilinear(s, design_fs);

  ButterDesign design;
  design.ba.b = RealPoly(s.z, s.k);
  design.ba.a = RealPoly(s.p, 1.0);
  ECGBENCH_ASSIGN_OR_RETURN(design.sos, Zpk2Sos(s));
  return design;
}

}  // namespace ecgbench::common::ecg
