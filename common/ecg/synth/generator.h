// Synthetic 12-lead ECGs from a dynamical beat model (ECGSYN-like; McSharry et al., IEEE TBME 2003):
// P, Q, R, S and T waves are Gaussian bumps of a cardiac dipole placed around each beat, beats
// follow an RR tachogram with heart-rate variability (respiratory sinus arrhythmia and Mayer
// waves), and leads are projections of the dipole (Dower transform for I, II, V1-V6; III, aVR, aVL
// and aVF derived so that III = II - I, aVR = -(I + II)/2, aVL = I - II/2, aVF = II - I/2 hold to
// float rounding). Each EcgClass changes only the signal; see docs/synthetic.md for the ranges.
//
// Deterministic: the same class, options and Rng state give bit-identical samples on one platform
// (see rng.h for what may differ across C libraries). Thread-compatible: no shared state; use one
// Rng per thread.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "common/ecg/core/record.h"
#include "common/ecg/synth/ecg_class.h"
#include "common/ecg/synth/noise.h"
#include "common/ecg/synth/rng.h"

namespace ecgbench::common::ecg {

struct SynthOptions {
  double fs = 500;          // sampling rate, Hz, in [50, 10000]
  double duration_s = 10;   // record length, in (0, 600]; num_samples = round(fs * duration_s)
  uint64_t seed = 0;        // used by the Generate overload that takes no Rng
  NoiseOptions noise;       // default: 0.01 mV white noise + 0.05 mV baseline wander
};

// InvalidArgument naming the field and the value when an option is out of range.
absl::Status ValidateSynthOptions(const SynthOptions& options);

// Ground truth of one generated record, for tests and for writing catalog labels. It is never
// written into record ids or file names.
struct SynthMeta {
  EcgClass ecg_class = EcgClass::kSinusRhythm;
  BbbType bbb_type = BbbType::kNone;   // kRight/kLeft for kBundleBranchBlock
  StGroup st_group = StGroup::kNone;   // group of kStElevation
  std::vector<int> st_leads;           // StGroupLeads(st_group)
  double heart_rate_bpm = 0;  // 60 / mean RR over the beats whose QRS starts inside the record
  double rr_cv = 0;           // coefficient of variation of those RR intervals
  double pr_ms = 0;           // P onset to QRS onset; NaN when there are no P waves (AF)
  double qrs_ms = 0;          // QRS duration of conducted beats
  double qt_ms = 0;           // QT at the mean RR
  double st_mv = 0;           // ST elevation from the injury current in the weakest group lead
  std::vector<double> qrs_onsets_s;    // beats inside the record, in time order
  std::vector<bool> premature;         // per beat: a premature ventricular complex
  int num_premature = 0;
  NoiseOptions noise;                  // the noise that was added
};

// A record of `c`: leads kStandardLeads (I, II, III, aVR, aVL, aVF, V1..V6), samples in mV,
// sampling_rate_hz = options.fs, source "synth", id/patient_id empty (layouts assign them).
// Draws from `rng` (advancing it). Fills *meta when non-null.
// REQUIRES: ValidateSynthOptions(options).ok(); otherwise returns a Record with no samples (whose
// Validate() fails) and leaves *meta untouched.
Record Generate(EcgClass c, const SynthOptions& options, Rng& rng, SynthMeta* meta = nullptr);

// Same with a fresh Rng(options.seed).
Record Generate(EcgClass c, const SynthOptions& options, SynthMeta* meta = nullptr);

}  // namespace ecgbench::common::ecg
