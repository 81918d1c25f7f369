// Non-finite, flat and saturation checks.
#include "common/ecg/dataset/quality.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // vector values never cross a non-inlined call

namespace ecgbench::common::ecg {

absl::StatusOr<NanPolicy> ParseNanPolicy(std::string_view name) {
  if (name == "skip") return NanPolicy::kSkip;
  if (name == "zero") return NanPolicy::kZero;
  return absl::InvalidArgumentError(
      absl::StrCat("nan policy: expected \"skip\" or \"zero\", got \"", std::string(name), "\""));
}

const char* NanPolicyName(NanPolicy policy) { return policy == NanPolicy::kSkip ? "skip" : "zero"; }

void QualityCounts::Add(const SegmentQuality& q) {
  ++segments_checked;
  switch (q.skip) {
    case SkipReason::kNone:
      ++segments_kept;
      break;
    case SkipReason::kNonFinite:
      ++skipped_nonfinite;
      break;
    case SkipReason::kFlat:
      ++skipped_flat;
      break;
    case SkipReason::kSaturated:
      ++skipped_saturated;
      break;
  }
  if (q.skip != SkipReason::kNonFinite && (q.nonfinite_values > 0 || q.in_nonfinite_span)) {
    ++zero_filled_segments;
    zero_filled_values += q.nonfinite_values;
  }
  if (q.flat_leads > 0) ++segments_with_flat_lead;
  flat_leads += q.flat_leads;
  if (q.saturated_leads > 0) ++segments_with_saturated_lead;
  saturated_leads += q.saturated_leads;
}

void QualityCounts::Merge(const QualityCounts& o) {
  segments_checked += o.segments_checked;
  segments_kept += o.segments_kept;
  skipped_nonfinite += o.skipped_nonfinite;
  skipped_flat += o.skipped_flat;
  skipped_saturated += o.skipped_saturated;
  zero_filled_segments += o.zero_filled_segments;
  zero_filled_values += o.zero_filled_values;
  segments_with_flat_lead += o.segments_with_flat_lead;
  flat_leads += o.flat_leads;
  segments_with_saturated_lead += o.segments_with_saturated_lead;
  saturated_leads += o.saturated_leads;
}

nlohmann::json QualityCounts::ToJson() const {
  return nlohmann::json{{"segments_checked", segments_checked},
                        {"segments_kept", segments_kept},
                        {"skipped_nonfinite", skipped_nonfinite},
                        {"skipped_flat", skipped_flat},
                        {"skipped_saturated", skipped_saturated},
                        {"zero_filled_segments", zero_filled_segments},
                        {"zero_filled_values", zero_filled_values},
                        {"segments_with_flat_lead", segments_with_flat_lead},
                        {"flat_leads", flat_leads},
                        {"segments_with_saturated_lead", segments_with_saturated_lead},
                        {"saturated_leads", saturated_leads}};
}

bool QualityCounts::operator==(const QualityCounts& o) const { return ToJson() == o.ToJson(); }

namespace {

struct MinMax {
  float min = 0;
  float max = 0;
  bool any = false;
};

// Four floats at a time (GCC vector extension over SSE2, the x86-64 baseline); all operations
// are exact (comparisons, selects, integer counts), so results equal the scalar definition.
typedef float F8 __attribute__((vector_size(16)));
typedef int32_t I8 __attribute__((vector_size(16)));
constexpr int64_t kW = 4;

inline F8 LoadF8(const float* p) {
  F8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline I8 NonFiniteMask(F8 v) {  // all-ones where exponent bits are all set (NaN, +-Inf)
  I8 bits;
  std::memcpy(&bits, &v, sizeof(bits));
  const I8 exp = bits & 0x7f800000;
  return exp == 0x7f800000;
}
inline bool NonFinite(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return (bits & 0x7f800000u) == 0x7f800000u;
}

int64_t CountNonFinite(const float* x, int64_t n) {
  I8 acc = {};
  int64_t t = 0;
  for (; t + kW <= n; t += kW) acc -= NonFiniteMask(LoadF8(x + t));  // mask is -1 where set
  int64_t count = 0;
  for (int k = 0; k < kW; ++k) count += acc[k];
  for (; t < n; ++t) count += NonFinite(x[t]);
  return count;
}

// Min and max of the finite values (single pass; a lead without non-finite values, the usual
// case, never takes the scalar path).
MinMax FiniteMinMax(const float* x, int64_t n) {
  MinMax m;
  const float inf = std::numeric_limits<float>::infinity();
  F8 lo = {inf, inf, inf, inf};
  F8 hi = -lo;
  I8 seen = {};
  int64_t t = 0;
  for (; t + kW <= n; t += kW) {
    const F8 v = LoadF8(x + t);
    const I8 finite = ~NonFiniteMask(v);
    seen |= finite;
    lo = (finite & (v < lo)) ? v : lo;
    hi = (finite & (v > hi)) ? v : hi;
  }
  float mn = inf, mx = -inf;
  for (int k = 0; k < kW; ++k) {
    if (!seen[k]) continue;
    m.any = true;
    mn = std::min(mn, lo[k]);
    mx = std::max(mx, hi[k]);
  }
  for (; t < n; ++t) {
    const float v = x[t];
    if (NonFinite(v)) continue;
    m.any = true;
    mn = std::min(mn, v);
    mx = std::max(mx, v);
  }
  if (m.any) {
    m.min = mn;
    m.max = mx;
  }
  return m;
}

// Samples within `tol` of hi and of lo (counts only; vectorised).
void CountNearExtremes(const float* x, int64_t n, float lo, float hi, float tol, int64_t* near_lo,
                       int64_t* near_hi) {
  I8 acc_lo = {}, acc_hi = {};
  const F8 vlo = {lo, lo, lo, lo}, vhi = {hi, hi, hi, hi}, vtol = {tol, tol, tol, tol};
  int64_t t = 0;
  for (; t + kW <= n; t += kW) {
    const F8 v = LoadF8(x + t);
    const F8 dl = v - vlo, dh = v - vhi;
    acc_lo -= (dl <= vtol) & (-dl <= vtol);
    acc_hi -= (dh <= vtol) & (-dh <= vtol);
  }
  int64_t cl = 0, ch = 0;
  for (int k = 0; k < kW; ++k) {
    cl += acc_lo[k];
    ch += acc_hi[k];
  }
  for (; t < n; ++t) {
    cl += std::fabs(x[t] - lo) <= tol;
    ch += std::fabs(x[t] - hi) <= tol;
  }
  *near_lo = cl;
  *near_hi = ch;
}

int64_t LongestRunNear(const float* x, int64_t n, float e, float tol) {
  int64_t run = 0, longest = 0;
  for (int64_t t = 0; t < n; ++t) {
    if (std::fabs(x[t] - e) <= tol) {
      longest = std::max(longest, ++run);
    } else {
      run = 0;
    }
  }
  return longest;
}

// Saturated at an extreme e: >= min_fraction of the samples within tol of e and a run of
// >= min_run of them. The run is only looked for when the share already qualifies.
bool SaturatedGivenRange(const float* x, int64_t n, const MinMax& m, const QualityOptions& o) {
  const float tol = static_cast<float>(o.saturation_tolerance * (static_cast<double>(m.max) - m.min));
  int64_t near_lo = 0, near_hi = 0;
  CountNearExtremes(x, n, m.min, m.max, tol, &near_lo, &near_hi);
  const double need = o.saturation_min_fraction * static_cast<double>(n);
  auto saturated_at = [&](float e, int64_t near) {
    return static_cast<double>(near) >= need && LongestRunNear(x, n, e, tol) >= o.saturation_min_run;
  };
  return saturated_at(m.max, near_hi) || saturated_at(m.min, near_lo);
}

}  // namespace

bool IsFlatLead(const float* x, int64_t n, float flat_peak_to_peak_mv) {
  MinMax m = FiniteMinMax(x, n);
  return !m.any || (m.max - m.min) < flat_peak_to_peak_mv;
}

bool IsSaturatedLead(const float* x, int64_t n, const QualityOptions& options) {
  MinMax m = FiniteMinMax(x, n);
  if (!m.any || (m.max - m.min) < options.flat_peak_to_peak_mv) return false;
  return SaturatedGivenRange(x, n, m, options);
}

SegmentQuality CheckSegment(float* data, int num_leads, int64_t length, int64_t stride,
                            const QualityOptions& options) {
  SegmentQuality q;
  for (int l = 0; l < num_leads; ++l) {
    float* x = data + static_cast<int64_t>(l) * stride;
    const int64_t bad = CountNonFinite(x, length);
    q.nonfinite_values += bad;
    if (bad > 0 && options.nan_policy == NanPolicy::kZero) {
      for (int64_t t = 0; t < length; ++t) {
        if (NonFinite(x[t])) x[t] = 0.0f;
      }
    }
  }
  if (q.nonfinite_values > 0 && options.nan_policy == NanPolicy::kSkip) {
    q.skip = SkipReason::kNonFinite;
    return q;
  }
  for (int l = 0; l < num_leads; ++l) {
    const float* x = data + static_cast<int64_t>(l) * stride;
    MinMax m = FiniteMinMax(x, length);
    if (!m.any || (m.max - m.min) < options.flat_peak_to_peak_mv) {
      ++q.flat_leads;
    } else if (SaturatedGivenRange(x, length, m, options)) {
      ++q.saturated_leads;
    }
  }
  if (q.flat_leads > 0 && options.skip_flat) {
    q.skip = SkipReason::kFlat;
  } else if (q.saturated_leads > 0 && options.skip_saturated) {
    q.skip = SkipReason::kSaturated;
  }
  return q;
}

NonFiniteScan ZeroFillNonFinite(Record& record) {
  NonFiniteScan scan;
  std::vector<std::pair<int64_t, int64_t>> runs;  // sample ranges [a, b), only when found
  const int64_t n = record.num_samples;
  for (int l = 0; l < record.num_leads(); ++l) {
    float* x = record.lead(l);
    if (CountNonFinite(x, n) == 0) continue;
    int64_t t = 0;
    while (t < n) {
      if (std::isfinite(x[t])) {
        ++t;
        continue;
      }
      const int64_t a = t;
      while (t < n && !std::isfinite(x[t])) {
        x[t] = 0.0f;
        ++t;
      }
      scan.values += t - a;
      runs.emplace_back(a, t);
    }
  }
  if (runs.empty()) return scan;
  std::sort(runs.begin(), runs.end());
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& r : runs) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  const double rate = record.sampling_rate_hz;
  for (const auto& r : merged) {
    scan.spans.push_back(TimeSpan{static_cast<double>(r.first) / rate, static_cast<double>(r.second) / rate});
  }
  return scan;
}

}  // namespace ecgbench::common::ecg
