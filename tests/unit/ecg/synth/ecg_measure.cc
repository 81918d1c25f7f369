// ECG feature measurements for the synthetic-ECG tests (see ecg_measure.h).
#include "tests/unit/ecg/synth/ecg_measure.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ecgbench::common::ecg::testing {
namespace {

constexpr int kIndependent[] = {0, 1, 6, 7, 8, 9, 10, 11};  // I, II, V1..V6

double Median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

double Mean(const float* x, int64_t a, int64_t b) {
  double s = 0;
  for (int64_t i = a; i < b; ++i) s += x[i];
  return s / static_cast<double>(std::max<int64_t>(1, b - a));
}

// QRS centres: squared slope over +-10 ms (a derivative that ignores sample-to-sample noise) of
// lead II plus the other independent leads (I, V1..V6; a QRS that is small in lead II is large in
// some other lead while T waves are slow in all), integrated over 60 ms; regions above 10 % of its
// 98th percentile; 250 ms refractory period.
std::vector<int64_t> DetectQrs(const Record& r) {
  const int64_t n = r.num_samples;
  const double fs = r.sampling_rate_hz;
  std::vector<double> e(static_cast<size_t>(n), 0.0);
  const int64_t k = std::max<int64_t>(1, std::llround(0.01 * fs));
  for (int l : kIndependent) {
    const float* x = r.lead(l);
    for (int64_t i = k; i + k < n; ++i) {
      const double d = (x[i + k] - x[i - k]) * fs / static_cast<double>(2 * k);
      e[i] += d * d;
    }
  }
  const int64_t w = std::max<int64_t>(1, std::llround(0.06 * fs));
  std::vector<double> m(static_cast<size_t>(n), 0.0);
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) {
    acc += e[i];
    if (i >= w) acc -= e[i - w];
    m[std::max<int64_t>(0, i - w / 2)] = acc / static_cast<double>(w);
  }
  std::vector<double> sorted = m;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(0.98 * n), sorted.end());
  const double thr = 0.1 * sorted[static_cast<size_t>(0.98 * n)];
  std::vector<int64_t> peaks;
  const int64_t refractory = std::llround(0.25 * fs);
  int64_t i = 0;
  while (i < n) {
    if (m[i] <= thr) {
      ++i;
      continue;
    }
    int64_t best = i;
    while (i < n && m[i] > thr) {
      if (m[i] > m[best]) best = i;
      ++i;
    }
    if (!peaks.empty() && best - peaks.back() < refractory) {
      if (m[best] > m[peaks.back()]) peaks.back() = best;
    } else {
      peaks.push_back(best);
    }
  }
  return peaks;
}

}  // namespace

double PowerAt(const float* x, int64_t n, double fs, double f) {
  const double w = 2 * M_PI * f / fs;
  const double coeff = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return power / (static_cast<double>(n) * static_cast<double>(n));
}

EcgFeatures MeasureEcg(const Record& r) {
  EcgFeatures f;
  const double fs = r.sampling_rate_hz;
  const int64_t n = r.num_samples;
  const std::vector<int64_t> centres = DetectQrs(r);

  // Spatial velocity, smoothed over 5 samples.
  std::vector<double> sv(static_cast<size_t>(n), 0.0), svs(static_cast<size_t>(n), 0.0);
  for (int l : kIndependent) {
    const float* x = r.lead(l);
    for (int64_t i = 1; i + 1 < n; ++i) sv[i] += std::fabs(x[i + 1] - x[i - 1]);
  }
  for (int64_t i = 2; i + 2 < n; ++i) svs[i] = (sv[i - 2] + sv[i - 1] + sv[i] + sv[i + 1] + sv[i + 2]) / 5;
  const double floor = Median(svs);
  const int64_t quiet = std::llround(0.04 * fs);  // 40 ms below threshold ends the QRS
  for (int64_t c : centres) {
    const int64_t lo = std::max<int64_t>(2, c - std::llround(0.08 * fs));
    const int64_t hi = std::min<int64_t>(n - 3, c + std::llround(0.08 * fs));
    int64_t p = lo;
    for (int64_t i = lo; i <= hi; ++i) {
      if (svs[i] > svs[p]) p = i;
    }
    const double thr = floor + 0.08 * (svs[p] - floor);
    int64_t on = p, run = 0;
    for (int64_t i = p; i > 2 && run < quiet; --i) {
      if (svs[i] < thr) {
        ++run;
      } else {
        run = 0;
        on = i;
      }
    }
    int64_t off = p;
    run = 0;
    for (int64_t i = p; i < n - 3 && run < quiet; ++i) {
      if (svs[i] < thr) {
        ++run;
      } else {
        run = 0;
        off = i;
      }
    }
    f.qrs_onsets_s.push_back(static_cast<double>(on) / fs);
    f.qrs_offsets_s.push_back(static_cast<double>(off) / fs);
  }
  const size_t beats = f.qrs_onsets_s.size();
  std::vector<double> rr;
  for (size_t k = 1; k < beats; ++k) rr.push_back(f.qrs_onsets_s[k] - f.qrs_onsets_s[k - 1]);
  if (!rr.empty()) {
    double mean = 0, var = 0;
    for (double v : rr) mean += v;
    mean /= static_cast<double>(rr.size());
    for (double v : rr) var += (v - mean) * (v - mean);
    f.heart_rate_bpm = 60.0 / mean;
    f.rr_cv = std::sqrt(var / static_cast<double>(rr.size())) / mean;
  }
  const double median_rr = Median(rr);
  f.ectopic.assign(beats, false);
  std::vector<double> widths;
  for (size_t k = 0; k < beats; ++k) {
    const double width = f.qrs_offsets_s[k] - f.qrs_onsets_s[k];
    const bool early = k > 0 && rr[k - 1] < 0.85 * median_rr;
    f.ectopic[k] = early && width >= 0.12;
    f.num_ectopic += f.ectopic[k] ? 1 : 0;
    if (!f.ectopic[k]) widths.push_back(width);
  }
  f.qrs_ms = Median(widths) * 1000.0;

  // P window and ST on non-ectopic beats far enough from the record's edges.
  const int64_t pw_lo = std::llround(0.36 * fs), pw_hi = std::llround(0.03 * fs);
  const int64_t len = pw_lo - pw_hi;
  const float* ii = r.lead(1);
  std::vector<double> avg(static_cast<size_t>(len), 0.0), avg_pr(static_cast<size_t>(len), 0.0);
  std::vector<double> seg(static_cast<size_t>(len));
  double seg_energy = 0;
  int used = 0;
  std::array<std::vector<double>, 12> st;
  for (size_t k = 0; k < beats; ++k) {
    if (f.ectopic[k] || (k > 0 && f.ectopic[k - 1])) continue;
    const int64_t on = std::llround(f.qrs_onsets_s[k] * fs);
    const int64_t j80 = std::llround((f.qrs_offsets_s[k] + 0.08) * fs);
    if (on - pw_lo < 0 || j80 + 3 >= n) continue;
    const int64_t b0 = on - std::llround(0.03 * fs), b1 = on - std::llround(0.01 * fs);
    for (int l = 0; l < 12; ++l) {
      const float* x = r.lead(l);
      st[l].push_back(Mean(x, j80 - 2, j80 + 3) - Mean(x, b0, b1));
    }
    // Linear detrend of the window for the coherence; PR-segment baseline for the PR average.
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int64_t i = 0; i < len; ++i) {
      const double y = ii[on - pw_lo + i];
      sx += i;
      sy += y;
      sxx += static_cast<double>(i) * i;
      sxy += i * y;
    }
    const double slope = (len * sxy - sx * sy) / (len * sxx - sx * sx);
    const double icpt = (sy - slope * sx) / len;
    const double base = Mean(ii, b0, b1);
    for (int64_t i = 0; i < len; ++i) {
      const double y = ii[on - pw_lo + i];
      seg[i] = y - (icpt + slope * i);
      seg_energy += seg[i] * seg[i];
      avg[i] += seg[i];
      avg_pr[i] += y - base;
    }
    ++used;
  }
  for (int l = 0; l < 12; ++l) f.st_mv[l] = Median(st[l]);
  f.pr_ms = std::numeric_limits<double>::quiet_NaN();
  if (used >= 2) {
    double avg_energy = 0, lo = 1e9, hi = -1e9;
    for (int64_t i = 0; i < len; ++i) {
      avg[i] /= used;
      avg_pr[i] /= used;
      avg_energy += avg[i] * avg[i];
      lo = std::min(lo, avg[i]);
      hi = std::max(hi, avg[i]);
    }
    f.p_coherence = avg_energy / (seg_energy / used);
    f.p_amplitude_mv = hi - lo;
    f.p_present = f.p_coherence > 0.5 && f.p_amplitude_mv > 0.04;
    if (f.p_present) {
      // The P peak: the largest local maximum of the averaged window between 300 and 50 ms before
      // the QRS (the tail of the previous T wave may rise towards the window's start); its onset
      // is where the average falls below a quarter of the peak going back, or the valley
      // separating it from that T wave.
      const int64_t first = len - std::llround(0.27 * fs), last = len - std::llround(0.02 * fs);
      int64_t peak = -1;
      for (int64_t i = std::max<int64_t>(first, 1); i + 1 < last; ++i) {
        if (avg_pr[i] >= avg_pr[i - 1] && avg_pr[i] >= avg_pr[i + 1] && (peak < 0 || avg_pr[i] > avg_pr[peak])) peak = i;
      }
      if (peak < 0) return f;
      int64_t onset = peak, lowest = peak;
      for (int64_t i = peak; i >= 0; --i) {
        if (avg_pr[i] < avg_pr[lowest]) lowest = i;
        onset = i;
        if (avg_pr[i] < 0.25 * avg_pr[peak]) break;
        if (avg_pr[i] > avg_pr[lowest] + 0.1 * avg_pr[peak]) {
          onset = lowest;  // rising again: the valley before the previous T wave
          break;
        }
      }
      f.pr_ms = static_cast<double>(len - onset + pw_hi) / fs * 1000.0;
    }
  }
  return f;
}

}  // namespace ecgbench::common::ecg::testing
