// Gaussian/plateau accumulation of the cardiac dipole and the Dower lead projection.
#include "common/ecg/synth/dipole.h"

#include <algorithm>
#include <cmath>

namespace ecgbench::common::ecg::synth_internal {
namespace {

// Dower's inverse transform (Frank X, Y, Z -> I, II, V1..V6), rows in kIndependentToStandard order.
constexpr double kDower[kNumIndependentLeads][3] = {
    {0.632, -0.235, 0.059},   // I
    {0.235, 1.066, -0.132},   // II
    {-0.515, 0.157, -0.917},  // V1
    {0.044, 0.164, -1.387},   // V2
    {0.882, 0.098, -1.277},   // V3
    {1.213, 0.127, -0.601},   // V4
    {1.125, 0.127, -0.086},   // V5
    {0.831, 0.076, 0.230},    // V6
};

Vec3 Row(int i) { return {kDower[i][0], kDower[i][1], kDower[i][2]}; }

// Sample range [first, last) of t in [lo, hi] seconds, clipped to [0, n).
void SampleRange(double lo, double hi, double fs, int64_t n, int64_t& first, int64_t& last) {
  first = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(lo * fs)));
  last = std::min<int64_t>(n, static_cast<int64_t>(std::floor(hi * fs)) + 1);
}

}  // namespace

double Norm(Vec3 a) { return std::sqrt(Dot(a, a)); }

Vec3 Rotate(Vec3 v, double frontal_rad, double horizontal_rad) {
  const double cf = std::cos(frontal_rad), sf = std::sin(frontal_rad);
  const Vec3 f{v.x * cf - v.y * sf, v.x * sf + v.y * cf, v.z};
  const double ch = std::cos(horizontal_rad), sh = std::sin(horizontal_rad);
  return {f.x * ch + f.z * sh, f.y, -f.x * sh + f.z * ch};
}

Vec3 LeadVector(int standard_lead) {
  const Vec3 i = Row(0), ii = Row(1);
  switch (standard_lead) {
    case 0: return i;
    case 1: return ii;
    case 2: return ii + (-1.0) * i;                    // III = II - I
    case 3: return (-0.5) * (i + ii);                  // aVR = -(I + II) / 2
    case 4: return i + (-0.5) * ii;                    // aVL = I - II / 2
    case 5: return ii + (-0.5) * i;                    // aVF = II - I / 2
    default: return Row(std::clamp(standard_lead - 4, 2, 7));  // V1..V6
  }
}

DipoleSignal::DipoleSignal(double fs, int64_t n)
    : fs_(fs), n_(n), x_(static_cast<size_t>(n), 0.0), y_(static_cast<size_t>(n), 0.0), z_(static_cast<size_t>(n), 0.0) {}

void DipoleSignal::AddGaussian(double center_s, double sigma_s, Vec3 a) {
  int64_t first = 0, last = 0;
  SampleRange(center_s - 5 * sigma_s, center_s + 5 * sigma_s, fs_, n_, first, last);
  const double inv = 1.0 / (2.0 * sigma_s * sigma_s);
  for (int64_t i = first; i < last; ++i) {
    const double dt = static_cast<double>(i) / fs_ - center_s;
    const double g = std::exp(-dt * dt * inv);
    x_[i] += a.x * g;
    y_[i] += a.y * g;
    z_[i] += a.z * g;
  }
}

void DipoleSignal::AddPlateau(double start_s, double end_s, double edge_s, double edge_end_s, Vec3 a) {
  int64_t first = 0, last = 0;
  SampleRange(start_s - 12 * edge_s, end_s + 12 * edge_end_s, fs_, n_, first, last);
  for (int64_t i = first; i < last; ++i) {
    const double t = static_cast<double>(i) / fs_;
    const double w = 1.0 / ((1.0 + std::exp(-(t - start_s) / edge_s)) * (1.0 + std::exp(-(end_s - t) / edge_end_s)));
    x_[i] += a.x * w;
    y_[i] += a.y * w;
    z_[i] += a.z * w;
  }
}

void DipoleSignal::AddScaled(Vec3 d, const std::vector<double>& a) {
  const int64_t n = std::min<int64_t>(n_, static_cast<int64_t>(a.size()));
  for (int64_t i = 0; i < n; ++i) {
    x_[i] += d.x * a[i];
    y_[i] += d.y * a[i];
    z_[i] += d.z * a[i];
  }
}

void DipoleSignal::ProjectIndependent(std::vector<double>& out) const {
  out.resize(static_cast<size_t>(kNumIndependentLeads * n_));
  for (int l = 0; l < kNumIndependentLeads; ++l) {
    const double cx = kDower[l][0], cy = kDower[l][1], cz = kDower[l][2];
    double* dst = out.data() + static_cast<size_t>(l) * static_cast<size_t>(n_);
    for (int64_t i = 0; i < n_; ++i) dst[i] = cx * x_[i] + cy * y_[i] + cz * z_[i];
  }
}

}  // namespace ecgbench::common::ecg::synth_internal
