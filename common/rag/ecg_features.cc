// The 24-per-lead RAG features (see ecg_features.h and docs/rag.md).
#include "common/rag/ecg_features.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/leads.h"
#include "common/rag/numpy_stats.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::rag {
namespace {

// pywt.Wavelet('db4').rec_lo.
constexpr double kDb4RecLo[8] = {0.2303778133088965,   0.7148465705529157,  0.6308807679298589,
                                 -0.027983769416859854, -0.18703481171909309, 0.030841381835560764,
                                 0.0328830116668852,    -0.010597401785069032};

// pywt.dwt_max_level(n, filter_length): floor(log2(n // (F - 1))), 0 when n < F - 1.
int DwtMaxLevel(int64_t n, int filter_length) {
  if (filter_length <= 1 || n < filter_length - 1) return 0;
  int64_t q = n / (filter_length - 1);
  int level = 0;
  while (q > 1) {
    q >>= 1;
    ++level;
  }
  return level;
}

// Mean of |v| over v[0..n) in numpy order, |v| written to scratch.
double MeanAbs(const double* v, int64_t n, double* scratch) {
  for (int64_t i = 0; i < n; ++i) scratch[i] = std::fabs(v[i]);
  return NumpyMean(scratch, n);
}

}  // namespace

const std::array<const char*, kFeaturesPerLead>& FeatureNames() {
  static const std::array<const char*, kFeaturesPerLead> kNames = {
      "mean",
      "std",
      "max",
      "min",
      "median",
      "25th percentile",
      "75th percentile",
      "total power",
      "peak frequency power",
      "dominant frequency",
      "spectral centroid",
      "heart rate",
      "heart rate variability",
      "qrs duration",
      "t wave amplitude",
      "st deviation",
      "wavelet coefficient approximation",
      "wavelet coefficient detail level 5",
      "wavelet coefficient detail level 4",
      "wavelet coefficient detail level 3",
      "wavelet coefficient detail level 2",
      "wavelet coefficient detail level 1",
      "average absolute difference",
      "root mean square difference"};
  return kNames;
}

const ecg::WaveletFilters& Db4() {
  static const ecg::WaveletFilters* const kDb4 = [] {
    auto* w = new ecg::WaveletFilters;
    const int n = 8;
    w->rec_lo.assign(kDb4RecLo, kDb4RecLo + n);
    w->dec_lo.assign(w->rec_lo.rbegin(), w->rec_lo.rend());
    // Quadrature mirror filters as pywt builds them: rec_hi[k] = (-1)^k dec_lo[k], dec_hi reversed.
    for (int k = 0; k < n; ++k) w->rec_hi.push_back(k % 2 == 0 ? w->dec_lo[k] : -w->dec_lo[k]);
    w->dec_hi.assign(w->rec_hi.rbegin(), w->rec_hi.rend());
    return w;
  }();
  return *kDb4;
}

EcgFeatureExtractor::EcgFeatureExtractor(FeatureOptions options) : options_(options) {}

void EcgFeatureExtractor::StatisticFeatures(int64_t n, double* out) {
  sorted_.assign(x_.begin(), x_.begin() + n);
  std::sort(sorted_.begin(), sorted_.end());
  out[0] = NumpyMean(x_.data(), n);
  out[1] = NumpyStd(x_.data(), n, scratch_.data());
  out[2] = sorted_[static_cast<size_t>(n - 1)];
  out[3] = sorted_[0];
  out[4] = NumpyMedianSorted(sorted_.data(), n);
  out[5] = NumpyPercentileSorted(sorted_.data(), n, 25.0);
  out[6] = NumpyPercentileSorted(sorted_.data(), n, 75.0);
}

absl::Status EcgFeatureExtractor::SpectralFeatures(int64_t n, double* out) {
  const int64_t nperseg = std::min<int64_t>(options_.max_nperseg, n);
  ECGBENCH_RETURN_IF_ERROR(welch_.Compute(x_.data(), n, options_.sampling_rate_hz, nperseg));
  const std::vector<double>& psd = welch_.psd();
  const std::vector<double>& freqs = welch_.freqs();
  const auto bins = static_cast<int64_t>(psd.size());
  const double total = NumpySum(psd.data(), bins);
  size_t arg = 0;
  for (size_t k = 1; k < psd.size(); ++k) {
    if (psd[k] > psd[arg]) arg = k;
  }
  for (size_t k = 0; k < psd.size(); ++k) scratch_[k] = freqs[k] * psd[k];
  out[0] = total;
  out[1] = psd[arg];
  out[2] = freqs[arg];
  out[3] = total > 0 ? NumpySum(scratch_.data(), bins) / total : 0.0;
  return absl::OkStatus();
}

void EcgFeatureExtractor::PeakFeatures(int64_t n, double* out) {
  std::fill(out, out + 5, 0.0);
  const double fs = options_.sampling_rate_hz;
  const double* x = x_.data();
  const double hi = sorted_[static_cast<size_t>(n - 1)];
  const double lo = sorted_[0];
  if (hi == lo) return;  // flat lead: no peaks
  peaks_.Find(x, n, 0.3 * (hi - lo) + lo, static_cast<double>(std::max<int64_t>(static_cast<int64_t>(0.2 * fs), 1)));
  const std::vector<int64_t>& p = peaks_.peaks();
  const auto np = static_cast<int64_t>(p.size());
  if (np < 2) return;
  // RR intervals (s) in sorted_ (no longer needed), their squares in scratch_.
  double* rr = sorted_.data();
  for (int64_t i = 0; i + 1 < np; ++i) rr[i] = static_cast<double>(p[i + 1] - p[i]) / fs;
  const double mean_rr = NumpyMean(rr, np - 1);
  out[0] = mean_rr > 0 ? 60.0 / mean_rr : 0.0;
  out[1] = np - 1 > 1 ? NumpyStd(rr, np - 1, scratch_.data()) : 0.0;
  // QRS duration: per peak, the samples within +-0.1 s whose |x - window mean| exceeds
  // 0.1 * window range + window min (upstream's threshold, min included), in seconds; mean over peaks.
  const auto half = static_cast<int64_t>(0.1 * fs);
  for (int64_t i = 0; i < np; ++i) {
    const int64_t start = std::max<int64_t>(0, p[i] - half);
    const int64_t end = std::min<int64_t>(n, p[i] + half);
    double q = 0;
    if (end > start) {
      const auto [mn, mx] = std::minmax_element(x + start, x + end);
      if (*mx != *mn) {
        const double thr = 0.1 * (*mx - *mn) + *mn;
        const double m = NumpyMean(x + start, end - start);
        int64_t count = 0;
        for (int64_t t = start; t < end; ++t) count += std::fabs(x[t] - m) > thr ? 1 : 0;
        q = static_cast<double>(count) / fs;
      }
    }
    qrs_[static_cast<size_t>(i)] = q;
  }
  out[2] = NumpyMean(qrs_.data(), np);
  // T-wave amplitude: range of x over [second-to-last peak, last peak).
  const int64_t t_start = p[np - 2];
  const int64_t t_end = std::min(p[np - 1], n - 1);
  if (t_start < t_end) {
    const auto [mn, mx] = std::minmax_element(x + t_start, x + t_end);
    out[3] = *mx - *mn;
  }
  // ST deviation: x 80 ms after the last peak (clamped to the end) minus x at the peak.
  const int64_t last = p[np - 1];
  const int64_t st = std::min(last + static_cast<int64_t>(0.08 * fs), n - 1);
  out[4] = x[st] - x[last];
}

absl::Status EcgFeatureExtractor::WaveletFeatures(int64_t n, double* out) {
  const int level = std::min(kWaveletLevels, DwtMaxLevel(n, Db4().length()));
  ECGBENCH_RETURN_IF_ERROR(
      ecg::WaveDec(absl::MakeConstSpan(x_.data(), static_cast<size_t>(n)), Db4(), level, coeffs_, wscratch_));
  // coeffs_ = [cA_level, cD_level, ..., cD_1]; slot 0 is the approximation, slot 1 + (5 - k) detail
  // level k. Levels deeper than the signal allows (short signals) stay 0.
  std::fill(out, out + kWaveletLevels + 1, 0.0);
  for (size_t c = 0; c < coeffs_.size(); ++c) {
    const std::vector<double>& band = coeffs_[c];
    if (scratch_.size() < band.size()) scratch_.resize(band.size());
    const double v = MeanAbs(band.data(), static_cast<int64_t>(band.size()), scratch_.data());
    if (c == 0) {
      out[0] = v;
    } else {
      const int k = level + 1 - static_cast<int>(c);  // detail level of coeffs_[c]
      out[1 + kWaveletLevels - k] = v;
    }
  }
  return absl::OkStatus();
}

absl::Status EcgFeatureExtractor::ExtractLead(const double* x, int64_t n, double* out) {
  if (n < 2) return absl::InvalidArgumentError(absl::StrCat("ECG lead has ", n, " samples; at least 2 needed"));
  if (!(options_.sampling_rate_hz > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("sampling rate must be > 0, got ", options_.sampling_rate_hz));
  }
  if (options_.max_nperseg < 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_nperseg must be >= 1, got ", options_.max_nperseg));
  }
  const auto un = static_cast<size_t>(n);
  if (x_.size() < un) {
    x_.resize(un);
    scratch_.resize(un + 64);
    qrs_.resize(un);
  }
  for (int64_t t = 0; t < n; ++t) {
    if (!std::isfinite(x[t])) {
      return absl::InvalidArgumentError(absl::StrCat("ECG sample ", t, " is not finite (", x[t], ")"));
    }
    x_[static_cast<size_t>(t)] = x[t];
  }
  StatisticFeatures(n, out);
  ECGBENCH_RETURN_IF_ERROR(SpectralFeatures(n, out + 7));
  PeakFeatures(n, out + 11);
  ECGBENCH_RETURN_IF_ERROR(WaveletFeatures(n, out + 16));
  double* d = sorted_.data();
  for (int64_t t = 0; t + 1 < n; ++t) d[t] = x_[static_cast<size_t>(t + 1)] - x_[static_cast<size_t>(t)];
  out[22] = MeanAbs(d, n - 1, scratch_.data());
  for (int64_t t = 0; t + 1 < n; ++t) scratch_[static_cast<size_t>(t)] = d[t] * d[t];
  out[23] = std::sqrt(NumpyMean(scratch_.data(), n - 1));
  return absl::OkStatus();
}

absl::Status EcgFeatureExtractor::Extract(const float* samples, int num_leads, int64_t num_samples,
                                          absl::Span<double> out) {
  if (num_leads < 1) return absl::InvalidArgumentError(absl::StrCat("ECG has ", num_leads, " leads"));
  if (out.size() != static_cast<size_t>(num_leads) * kFeaturesPerLead) {
    return absl::InvalidArgumentError(absl::StrCat("feature output holds ", out.size(), " values, expected ",
                                                   num_leads * kFeaturesPerLead));
  }
  if (num_samples < 2) {
    return absl::InvalidArgumentError(absl::StrCat("ECG has ", num_samples, " samples per lead; at least 2 needed"));
  }
  const auto n = static_cast<size_t>(num_samples);
  if (lead_.size() < n) lead_.resize(n);
  for (int l = 0; l < num_leads; ++l) {
    const float* src = samples + static_cast<size_t>(l) * n;
    for (size_t t = 0; t < n; ++t) lead_[t] = static_cast<double>(src[t]);
    absl::Status st = ExtractLead(lead_.data(), num_samples, out.data() + static_cast<size_t>(l) * kFeaturesPerLead);
    if (!st.ok()) return absl::Status(st.code(), absl::StrCat("lead ", l, ": ", st.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> EcgFeatureExtractor::Extract(const ecg::Record& record) {
  ECGBENCH_RETURN_IF_ERROR(record.Validate());
  const std::string where = record.path.empty() ? record.id : record.path;
  if (record.num_leads() != kFeatureLeads) {
    return absl::InvalidArgumentError(
        absl::StrCat("record ", where, ": has ", record.num_leads(), " leads, the RAG features need 12"));
  }
  for (int l = 0; l < kFeatureLeads; ++l) {
    if (ecg::StandardLeadIndex(record.leads[static_cast<size_t>(l)]) != l) {
      return absl::InvalidArgumentError(absl::StrCat("record ", where, ": lead ", l, " is '",
                                                     record.leads[static_cast<size_t>(l)], "', expected '",
                                                     ecg::kStandardLeads[static_cast<size_t>(l)],
                                                     "' (harmonize the leads first)"));
    }
  }
  const FeatureOptions saved = options_;
  options_.sampling_rate_hz = record.sampling_rate_hz;
  std::vector<double> out(kNumEcgFeatures);
  absl::Status st = Extract(record.samples.data(), kFeatureLeads, record.num_samples, absl::MakeSpan(out));
  options_ = saved;
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("record ", where, ": ", st.message()));
  return out;
}

void ZScoreFeaturesAcrossLeads(absl::Span<double> features) {
  const size_t leads = features.size() / kFeaturesPerLead;
  if (leads == 0) return;
  std::vector<double> vals(leads), squares(leads);
  for (size_t j = 0; j < kFeaturesPerLead; ++j) {
    for (size_t l = 0; l < leads; ++l) vals[l] = features[l * kFeaturesPerLead + j];
    const double mean = NumpyMean(vals.data(), static_cast<int64_t>(leads));
    const double sd = NumpyStd(vals.data(), static_cast<int64_t>(leads), squares.data());
    for (size_t l = 0; l < leads; ++l) features[l * kFeaturesPerLead + j] = sd > 0 ? (vals[l] - mean) / sd : 0.0;
  }
}

void ZScoreSignalPerLead(float* samples, int num_leads, int64_t num_samples) {
  for (int l = 0; l < num_leads; ++l) {
    float* x = samples + static_cast<size_t>(l) * static_cast<size_t>(num_samples);
    double sum = 0;
    for (int64_t t = 0; t < num_samples; ++t) sum += x[t];
    const double mean = num_samples > 0 ? sum / static_cast<double>(num_samples) : 0.0;
    double ss = 0;
    for (int64_t t = 0; t < num_samples; ++t) ss += (x[t] - mean) * (x[t] - mean);
    const double sd = num_samples > 0 ? std::sqrt(ss / static_cast<double>(num_samples)) : 0.0;
    for (int64_t t = 0; t < num_samples; ++t) x[t] = sd > 0 ? static_cast<float>((x[t] - mean) / sd) : 0.0f;
  }
}

}  // namespace ecgbench::common::rag
