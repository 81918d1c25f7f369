// Small ECG measurements used by the synthetic-ECG tests to check that each class can be told
// from the signal alone: QRS detection on lead II (derivative energy + threshold), QRS onset and
// offset from the spatial velocity of the independent leads, heart rate and RR irregularity,
// P-wave presence (coherence of the lead-II window before each QRS across beats), PR interval,
// QRS width, ST level at J + 80 ms, and wide premature beats. Deliberately simple, not clinical.
#pragma once

#include <array>
#include <vector>

#include "common/ecg/core/record.h"

namespace ecgbench::common::ecg::testing {

struct EcgFeatures {
  std::vector<double> qrs_onsets_s;   // detected beats, in time order
  std::vector<double> qrs_offsets_s;
  std::vector<bool> ectopic;          // wide (>= 120 ms) and early (RR < 0.85 median)
  double heart_rate_bpm = 0;          // 60 / mean RR
  double rr_cv = 0;                   // std(RR) / mean(RR)
  double p_coherence = 0;             // energy of the beat-averaged P window / mean beat energy
  double p_amplitude_mv = 0;          // peak-to-peak of the averaged P window
  bool p_present = false;
  double pr_ms = 0;                   // from the averaged lead-II P wave (NaN without P)
  double qrs_ms = 0;                  // median width over non-ectopic beats
  std::array<double, 12> st_mv{};     // median ST level at J + 80 ms per standard lead
  int num_ectopic = 0;
};

// REQUIRES: a valid 12-lead record in kStandardLeads order.
EcgFeatures MeasureEcg(const Record& record);

// Power of `x` at frequency f (Goertzel), normalised by n^2 (a sinusoid of amplitude A gives A^2/4).
double PowerAt(const float* x, int64_t n, double fs, double f);

}  // namespace ecgbench::common::ecg::testing
