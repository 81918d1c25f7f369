// Measurement noise of the synthetic ECG: white noise, baseline wander, powerline interference and
// muscle (EMG) noise, added per electrode signal (the independent leads I, II, V1..V6) so that the
// derived limb leads carry the same noise combination as real ones.
// Thread-compatible: functions only touch their arguments.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "common/ecg/synth/rng.h"

namespace ecgbench::common::ecg {

struct NoiseOptions {
  // Standard deviation of white Gaussian noise per lead, mV.
  double white_mv = 0.01;
  // Amplitude of baseline wander per lead, mV: a respiratory component (0.15-0.5 Hz) plus a slow
  // drift (0.05-0.15 Hz), each lead with its own amplitude (50-100 %) and phases.
  double baseline_wander_mv = 0.05;
  // Amplitude of mains interference per lead, mV (0 = off), at powerline_hz (50 or 60).
  double powerline_mv = 0.0;
  double powerline_hz = 50.0;
  // RMS of muscle noise per lead, mV (0 = off): white noise band-limited to about 20-150 Hz with a
  // slowly fluctuating (0.2-1 Hz) burst envelope.
  double muscle_mv = 0.0;

  // All amplitudes 0.
  static NoiseOptions None() { return NoiseOptions{0, 0, 0, 50.0, 0}; }
};

// InvalidArgument naming the field when an amplitude is negative or not finite, or when
// powerline_mv > 0 and powerline_hz is not in (0, fs/2).
absl::Status ValidateNoiseOptions(const NoiseOptions& noise, double fs);

namespace synth_internal {

// Adds noise to `leads`: num_leads rows of n samples, lead-major. Each kind of noise draws from
// its own stream derived from `noise_seed`, so enabling one kind leaves the others bit-identical.
// `scratch` is reused between calls. REQUIRES: ValidateNoiseOptions(noise, fs).ok().
void AddNoise(const NoiseOptions& noise, double fs, int num_leads, int64_t n, uint64_t noise_seed,
              std::vector<double>& leads, std::vector<double>& scratch);

}  // namespace synth_internal
}  // namespace ecgbench::common::ecg
