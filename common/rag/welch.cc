// scipy.signal.welch defaults over a real signal (see welch.h).
#include "common/rag/welch.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/rag/numpy_stats.h"

namespace ecgbench::common::rag {

void WelchPsd::Prepare(int64_t nperseg, double fs) {
  if (nperseg != nperseg_) {
    nperseg_ = nperseg;
    plan_ = std::make_unique<ecg::FftPlan>(static_cast<size_t>(nperseg));
    window_.assign(static_cast<size_t>(nperseg), 1.0);
    // scipy.signal.get_window('hann', M) is periodic (fftbins=True): 0.5 - 0.5 cos(2 pi k / M);
    // a window of one sample is [1].
    if (nperseg > 1) {
      const double step = 2.0 * M_PI / static_cast<double>(nperseg);
      for (int64_t k = 0; k < nperseg; ++k) window_[k] = 0.5 - 0.5 * std::cos(step * static_cast<double>(k));
    }
    re_.assign(static_cast<size_t>(nperseg), 0.0);
    im_.assign(static_cast<size_t>(nperseg), 0.0);
    seg_.assign(static_cast<size_t>(nperseg), 0.0);
    psd_.assign(static_cast<size_t>(nperseg / 2 + 1), 0.0);
    freqs_.assign(static_cast<size_t>(nperseg / 2 + 1), 0.0);
    for (size_t k = 0; k < window_.size(); ++k) seg_[k] = window_[k] * window_[k];
    window_power_ = NumpySum(seg_.data(), nperseg);
    fs_ = -1;
  }
  if (fs != fs_) {
    fs_ = fs;
    // np.fft.rfftfreq(nfft, 1 / fs): k / (nfft * (1 / fs)).
    const double denom = static_cast<double>(nperseg) * (1.0 / fs);
    for (size_t k = 0; k < freqs_.size(); ++k) freqs_[k] = static_cast<double>(k) / denom;
  }
}

absl::Status WelchPsd::Compute(const double* x, int64_t n, double fs, int64_t nperseg) {
  if (nperseg < 1 || nperseg > n) {
    return absl::InvalidArgumentError(absl::StrCat("welch: nperseg ", nperseg, " must be in [1, ", n, "]"));
  }
  if (!(fs > 0)) return absl::InvalidArgumentError(absl::StrCat("welch: sampling rate must be > 0, got ", fs));
  Prepare(nperseg, fs);
  const int64_t noverlap = nperseg / 2;
  const int64_t step = nperseg - noverlap;
  const int64_t num_segments = (n - noverlap) / step;
  const int64_t bins = nperseg / 2 + 1;
  const double scale = 1.0 / (fs * window_power_);
  std::fill(psd_.begin(), psd_.end(), 0.0);
  for (int64_t s = 0; s < num_segments; ++s) {
    const double* seg = x + s * step;
    const double mean = NumpyMean(seg, nperseg);
    for (int64_t t = 0; t < nperseg; ++t) {
      re_[t] = (seg[t] - mean) * window_[t];
      im_[t] = 0.0;
    }
    plan_->Forward(re_.data(), im_.data(), 1);
    for (int64_t k = 0; k < bins; ++k) {
      double p = (re_[k] * re_[k] + im_[k] * im_[k]) * scale;
      const bool edge = k == 0 || (nperseg % 2 == 0 && k == bins - 1);
      if (!edge) p *= 2.0;
      psd_[k] += p;
    }
  }
  if (num_segments > 1) {
    for (double& p : psd_) p /= static_cast<double>(num_segments);
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::rag
