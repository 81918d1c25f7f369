// The RAG feature vector of a 12-lead ECG: 24 hand-crafted features per lead, 288 in all, as the
// upstream ECG-Bench ECGFeatureExtractor computes them (docs/rag.md has the definitions, the
// deviations from upstream and the behaviour on flat or peak-less leads), plus the optional z-score
// normalisations of upstream PR #3.
//
// Per lead, in this order (FeatureNames()): mean, std, max, min, median, 25th and 75th percentile;
// Welch PSD total power, peak power, dominant frequency, spectral centroid; heart rate, HRV, QRS
// duration, T-wave amplitude, ST deviation (from R peaks); mean |coefficient| of a db4 wavelet
// decomposition (approximation, detail levels 5..1); mean |diff|; RMS of diff. The vector is
// lead-major: feature j of lead l at l * 24 + j.
//
// EcgFeatureExtractor is not thread-safe (scratch buffers): one per thread. Once it has seen the
// longest input, Extract does not allocate. Errors: InvalidArgument naming the lead and sample.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/ecg/core/record.h"
#include "common/ecg/dsp/wavelet.h"
#include "common/rag/find_peaks.h"
#include "common/rag/welch.h"

namespace ecgbench::common::rag {

inline constexpr int kFeaturesPerLead = 24;
inline constexpr int kFeatureLeads = 12;
inline constexpr int kNumEcgFeatures = kFeaturesPerLead * kFeatureLeads;  // 288
inline constexpr int kWaveletLevels = 5;

// Upstream's feature names ("mean", ..., "root mean square difference"), index = feature slot.
const std::array<const char*, kFeaturesPerLead>& FeatureNames();

// PyWavelets' 'db4' filter bank (8 taps).
const ecg::WaveletFilters& Db4();

struct FeatureOptions {
  double sampling_rate_hz = 250;  // fs of the Welch PSD and of the R-peak timings
  int max_nperseg = 1024;         // Welch segment: min(max_nperseg, num_samples)
};

class EcgFeatureExtractor {
 public:
  explicit EcgFeatureExtractor(FeatureOptions options = {});

  // Features of one lead x[0..n) into out[0..24). REQUIRES n >= 2 (else InvalidArgument) and
  // finite samples (else InvalidArgument naming the first bad sample).
  absl::Status ExtractLead(const double* x, int64_t n, double* out);

  // Features of an ECG of `num_leads` rows of `num_samples` floats (lead-major) into
  // out[0 .. num_leads * 24). Errors name the lead (0-based) and sample.
  absl::Status Extract(const float* samples, int num_leads, int64_t num_samples, absl::Span<double> out);

  // The 288 features of a record with the 12 standard leads in the standard order (see
  // ecg::HarmonizeLeads), at the record's own sampling rate. Errors name the record id.
  absl::StatusOr<std::vector<double>> Extract(const ecg::Record& record);

  const FeatureOptions& options() const { return options_; }

 private:
  void StatisticFeatures(int64_t n, double* out);
  absl::Status SpectralFeatures(int64_t n, double* out);
  void PeakFeatures(int64_t n, double* out);
  absl::Status WaveletFeatures(int64_t n, double* out);

  FeatureOptions options_;
  std::vector<double> lead_, x_, sorted_, scratch_, qrs_, wscratch_;
  ecg::WaveletCoeffs coeffs_;
  WelchPsd welch_;
  PeakFinder peaks_;
};

// PR #3 normalisation of a feature vector (num_leads * 24, lead-major), in place: each of the 24
// features is z-scored across the leads ((v - mean) / std, population std; 0 where std == 0).
void ZScoreFeaturesAcrossLeads(absl::Span<double> features);

// PR #3 normalisation of a signal, in place: each lead z-scored over its samples (float64
// arithmetic, population std; a lead with std == 0 becomes all zeros).
void ZScoreSignalPerLead(float* samples, int num_leads, int64_t num_samples);

}  // namespace ecgbench::common::rag
