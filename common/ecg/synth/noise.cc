// Noise models of the synthetic ECG (see noise.h).
#include "common/ecg/synth/noise.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace ecgbench::common::ecg {
namespace {

absl::Status CheckAmplitude(double v, const char* field) {
  if (!std::isfinite(v) || v < 0) {
    return absl::InvalidArgumentError(absl::StrCat("noise.", field, " must be a finite value >= 0, got ", v));
  }
  return absl::OkStatus();
}

// Adds amp * sin(2 pi f t + phase) for t = i / fs, by a rotation recurrence (no sin per sample).
void AddSinusoid(double* dst, int64_t n, double fs, double f, double amp, double phase) {
  const double w = 2.0 * M_PI * f / fs;
  const double c = std::cos(w), s = std::sin(w);
  double sn = std::sin(phase), cs = std::cos(phase);
  for (int64_t i = 0; i < n; ++i) {
    dst[i] += amp * sn;
    const double next_sn = sn * c + cs * s;
    cs = cs * c - sn * s;
    sn = next_sn;
  }
}

}  // namespace

absl::Status ValidateNoiseOptions(const NoiseOptions& noise, double fs) {
  if (auto s = CheckAmplitude(noise.white_mv, "white_mv"); !s.ok()) return s;
  if (auto s = CheckAmplitude(noise.baseline_wander_mv, "baseline_wander_mv"); !s.ok()) return s;
  if (auto s = CheckAmplitude(noise.powerline_mv, "powerline_mv"); !s.ok()) return s;
  if (auto s = CheckAmplitude(noise.muscle_mv, "muscle_mv"); !s.ok()) return s;
  if (noise.powerline_mv > 0 &&
      (!std::isfinite(noise.powerline_hz) || noise.powerline_hz <= 0 || noise.powerline_hz >= fs / 2)) {
    return absl::InvalidArgumentError(
        absl::StrCat("noise.powerline_hz must be in (0, fs/2 = ", fs / 2, "), got ", noise.powerline_hz));
  }
  return absl::OkStatus();
}

namespace synth_internal {

void AddNoise(const NoiseOptions& noise, double fs, int num_leads, int64_t n, uint64_t noise_seed,
              std::vector<double>& leads, std::vector<double>& scratch) {
  // One stream per noise kind: switching one kind on or off leaves the others unchanged.
  Rng white_rng(Rng::DeriveSeed(noise_seed, 1));
  Rng wander_rng(Rng::DeriveSeed(noise_seed, 2));
  Rng mains_rng(Rng::DeriveSeed(noise_seed, 3));
  Rng muscle_rng(Rng::DeriveSeed(noise_seed, 4));
  // Shared by all leads: breathing moves the heart and the chest the same way everywhere.
  const double resp_hz = wander_rng.Uniform(0.15, 0.5);
  const double drift_hz = wander_rng.Uniform(0.05, 0.15);
  const double burst_hz = muscle_rng.Uniform(0.2, 1.0);
  const double dt = 1.0 / fs;
  for (int l = 0; l < num_leads; ++l) {
    double* x = leads.data() + static_cast<size_t>(l) * static_cast<size_t>(n);
    if (noise.white_mv > 0) {
      for (int64_t i = 0; i < n; ++i) x[i] += noise.white_mv * white_rng.Normal();
    }
    if (noise.baseline_wander_mv > 0) {
      const double a = noise.baseline_wander_mv;
      // Draws go to named locals: the order of evaluation of call arguments is unspecified.
      const double resp_amp = a * wander_rng.Uniform(0.5, 1.0);
      const double resp_phase = wander_rng.Uniform(0, 2 * M_PI);
      const double drift_amp = a * wander_rng.Uniform(0.5, 1.0);
      const double drift_phase = wander_rng.Uniform(0, 2 * M_PI);
      AddSinusoid(x, n, fs, resp_hz, resp_amp, resp_phase);
      AddSinusoid(x, n, fs, drift_hz, drift_amp, drift_phase);
    }
    if (noise.powerline_mv > 0) {
      const double mains_amp = noise.powerline_mv * mains_rng.Uniform(0.6, 1.0);
      const double mains_phase = mains_rng.Uniform(0, 2 * M_PI);
      AddSinusoid(x, n, fs, noise.powerline_hz, mains_amp, mains_phase);
    }
    if (noise.muscle_mv > 0) {
      Rng& rng = muscle_rng;
      // White noise -> first-order high-pass at 20 Hz -> two first-order low-passes at 150 Hz
      // (or 0.4 fs), scaled to unit RMS, then shaped by a burst envelope with mean square 1.
      scratch.assign(static_cast<size_t>(n), 0.0);
      const double rc_hp = 1.0 / (2 * M_PI * 20.0);
      const double alpha = rc_hp / (rc_hp + dt);
      const double rc_lp = 1.0 / (2 * M_PI * std::min(150.0, 0.4 * fs));
      const double beta = dt / (rc_lp + dt);
      double prev_in = 0, hp = 0, lp1 = 0, lp2 = 0, energy = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double in = rng.Normal();
        hp = alpha * (hp + in - prev_in);
        prev_in = in;
        lp1 += beta * (hp - lp1);
        lp2 += beta * (lp1 - lp2);
        scratch[i] = lp2;
        energy += lp2 * lp2;
      }
      const double scale = energy > 0 ? noise.muscle_mv / std::sqrt(energy / static_cast<double>(n)) : 0.0;
      const double phase = rng.Uniform(0, 2 * M_PI);
      const double w = 2 * M_PI * burst_hz * dt;
      // Envelope e = m + k sin(.) between 0.35 and 1; its mean square is m^2 + k^2 / 2.
      constexpr double kMean = 0.675, kSwing = 0.325;
      const double gain = scale / std::sqrt(kMean * kMean + 0.5 * kSwing * kSwing);
      for (int64_t i = 0; i < n; ++i) {
        const double e = kMean + kSwing * std::sin(w * static_cast<double>(i) + phase);
        x[i] += gain * scratch[i] * e;
      }
    }
  }
}

}  // namespace synth_internal
}  // namespace ecgbench::common::ecg
