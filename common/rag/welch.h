// Welch power spectral density with scipy.signal.welch's defaults, as the RAG feature extractor
// uses it: periodic Hann window of nperseg samples, noverlap = nperseg / 2, nfft = nperseg,
// per-segment mean removed (detrend='constant'), one-sided 'density' scaling
// (|X|^2 / (fs * sum(w^2)), doubled except at DC and, for even nfft, Nyquist), mean over the
// (n - noverlap) / (nperseg - noverlap) full segments (no boundary padding).
//
// Not thread-safe (keeps the FFT plan and scratch): one per thread. After the first call with a
// given nperseg, Compute does not allocate.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "common/ecg/dsp/fourier_resample.h"

namespace ecgbench::common::rag {

class WelchPsd {
 public:
  WelchPsd() = default;

  // PSD of x[0..n) at sampling rate fs with segments of `nperseg` samples (1 <= nperseg <= n).
  // Fills freqs() and psd() with nperseg / 2 + 1 values. InvalidArgument on bad sizes or fs <= 0.
  absl::Status Compute(const double* x, int64_t n, double fs, int64_t nperseg);

  const std::vector<double>& freqs() const { return freqs_; }
  const std::vector<double>& psd() const { return psd_; }

 private:
  void Prepare(int64_t nperseg, double fs);

  int64_t nperseg_ = 0;
  double fs_ = 0;
  std::unique_ptr<ecg::FftPlan> plan_;
  std::vector<double> window_;
  double window_power_ = 0;  // sum(w^2)
  std::vector<double> re_, im_, seg_, freqs_, psd_;
};

}  // namespace ecgbench::common::rag
