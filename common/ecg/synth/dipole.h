// The cardiac dipole of the synthetic ECG and its projection onto the 12 leads (internal to
// common/ecg/synth). The heart's electrical activity is a 3-D vector d(t) in a Frank-like frame
// (x: to the patient's left, y: to the feet, z: to the back), built as a sum of Gaussian bumps
// (one per wave component, as in ECGSYN's z-equation but evaluated in closed form) and plateaus
// (ST injury currents). A lead is the dot product of d(t) with its lead vector: I, II and V1-V6
// use the Dower transform; III, aVR, aVL and aVF are not projected but derived from I and II
// (Einthoven/Goldberger), so the identities hold exactly in the output.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace ecgbench::common::ecg::synth_internal {

struct Vec3 {
  double x = 0, y = 0, z = 0;
};
inline Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline Vec3 operator*(double s, Vec3 a) { return {s * a.x, s * a.y, s * a.z}; }
inline double Dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
double Norm(Vec3 a);
// Rotation by `frontal_rad` about z (the frontal plane) then `horizontal_rad` about y.
Vec3 Rotate(Vec3 v, double frontal_rad, double horizontal_rad);

// Independent leads, in this order: I, II, V1..V6. Standard index of each (kStandardLeads order).
inline constexpr int kNumIndependentLeads = 8;
inline constexpr std::array<int, kNumIndependentLeads> kIndependentToStandard = {0, 1, 6, 7, 8, 9, 10, 11};

// Lead vector of standard lead 0..11 (derived leads combine those of I and II).
Vec3 LeadVector(int standard_lead);

// The dipole sampled at fs over n samples (t = i / fs). Not thread-safe.
class DipoleSignal {
 public:
  DipoleSignal(double fs, int64_t n);

  double fs() const { return fs_; }
  int64_t size() const { return n_; }
  // d(t) += amplitude * exp(-(t - center)^2 / (2 sigma^2)), evaluated within +-5 sigma.
  void AddGaussian(double center_s, double sigma_s, Vec3 amplitude);
  // d(t) += amplitude * L((t - start) / edge) * L((end - t) / edge_end), L the logistic function.
  void AddPlateau(double start_s, double end_s, double edge_s, double edge_end_s, Vec3 amplitude);
  // d(t) += direction * a(t) where a(t) is given per sample (AF fibrillatory waves).
  void AddScaled(Vec3 direction, const std::vector<double>& a);

  // Writes the 8 independent leads (I, II, V1..V6), each n samples, lead-major, into `out`
  // (resized to 8 * n).
  void ProjectIndependent(std::vector<double>& out) const;

 private:
  double fs_;
  int64_t n_;
  std::vector<double> x_, y_, z_;
};

}  // namespace ecgbench::common::ecg::synth_internal
