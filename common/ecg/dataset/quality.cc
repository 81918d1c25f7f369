// Non-finite, flat and saturation checks.
#include "common/ecg/dataset/quality.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

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

MinMax FiniteMinMax(const float* x, int64_t n) {
  MinMax m;
  for (int64_t t = 0; t < n; ++t) {
    const float v = x[t];
    if (!std::isfinite(v)) continue;
    if (!m.any) {
      m.min = m.max = v;
      m.any = true;
    } else {
      m.min = std::min(m.min, v);
      m.max = std::max(m.max, v);
    }
  }
  return m;
}

// Share of samples at `e` and the longest run at `e`, "at" meaning within `tol`.
bool ExtremeSaturated(const float* x, int64_t n, float e, float tol, const QualityOptions& o) {
  int64_t count = 0, run = 0, longest = 0;
  for (int64_t t = 0; t < n; ++t) {
    if (std::fabs(x[t] - e) <= tol) {
      ++count;
      longest = std::max(longest, ++run);
    } else {
      run = 0;
    }
  }
  return static_cast<double>(count) >= o.saturation_min_fraction * static_cast<double>(n) &&
         longest >= o.saturation_min_run;
}

bool SaturatedGivenRange(const float* x, int64_t n, const MinMax& m, const QualityOptions& o) {
  const float tol = static_cast<float>(o.saturation_tolerance * (static_cast<double>(m.max) - m.min));
  return ExtremeSaturated(x, n, m.max, tol, o) || ExtremeSaturated(x, n, m.min, tol, o);
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
    for (int64_t t = 0; t < length; ++t) {
      if (!std::isfinite(x[t])) {
        ++q.nonfinite_values;
        if (options.nan_policy == NanPolicy::kZero) x[t] = 0.0f;
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
