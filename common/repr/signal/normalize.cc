// Min-max and percentile normalization with numpy's float32 semantics (see normalize.h).
#include "common/repr/signal/normalize.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {

absl::Status CheckFinite(absl::Span<const float> in) {
  if (in.empty()) return absl::InvalidArgumentError("normalize: empty input");
  for (size_t i = 0; i < in.size(); ++i) {
    if (!std::isfinite(in[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("normalize: input[", i, "] is ", std::isnan(in[i]) ? "nan" : "infinite"));
    }
  }
  return absl::OkStatus();
}

NormalizeRange MinMaxRangeOf(float min, float max) {
  NormalizeRange r;
  r.lo = min;  // float32 -> float64 is exact
  r.hi = max;
  r.offset = min;
  const float span = max - min;  // float32 scalar arithmetic, like numpy's x.max() - x.min()
  r.denominator = static_cast<float>(static_cast<double>(span) + kNormalizeEps);
  return r;
}

absl::StatusOr<NormalizeRange> MinMaxRange(absl::Span<const float> in) {
  ECGBENCH_RETURN_IF_ERROR(CheckFinite(in));
  float lo = in[0];
  float hi = in[0];
  for (float v : in) {
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  return MinMaxRangeOf(lo, hi);
}

NormalizeRange PercentileRange(const PercentileStats& stats) {
  NormalizeRange r;
  r.lo = stats.p1 - 0.5;
  r.hi = stats.p99 + 0.5;
  r.offset = static_cast<float>(r.lo);
  r.denominator = static_cast<float>(r.hi - r.lo + kNormalizeEps);
  return r;
}

absl::Status ApplyRange(const NormalizeRange& r, absl::Span<const float> in, absl::Span<float> out) {
  if (in.size() != out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("normalize: output has ", out.size(), " values, input ", in.size()));
  }
  for (size_t i = 0; i < in.size(); ++i) out[i] = NormalizeValue(r, in[i]);
  return absl::OkStatus();
}

Normalizer Normalizer::MinMax() { return Normalizer(NormalizerKind::kMinMax, PercentileStats{}); }

Normalizer Normalizer::Percentile(const PercentileStats& stats) {
  return Normalizer(NormalizerKind::kPercentile, stats);
}

absl::StatusOr<Normalizer> Normalizer::Parse(std::string_view name, const PercentileStats* stats) {
  if (name == "minmax") return MinMax();
  if (name == "percentile") {
    if (stats == nullptr) {
      return absl::InvalidArgumentError(
          "normalizer \"percentile\" needs p1/p99 statistics (EstimatePercentiles or a saved "
          "percentile_stats.json)");
    }
    return Percentile(*stats);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown normalizer \"", std::string(name), "\" (expected \"minmax\" or \"percentile\")"));
}

std::string_view Normalizer::name() const {
  return kind_ == NormalizerKind::kMinMax ? "minmax" : "percentile";
}

absl::StatusOr<NormalizeRange> Normalizer::RangeFor(absl::Span<const float> in) const {
  if (kind_ == NormalizerKind::kMinMax) return MinMaxRange(in);
  ECGBENCH_RETURN_IF_ERROR(CheckFinite(in));
  return PercentileRange(stats_);
}

absl::StatusOr<NormalizeRange> Normalizer::Apply(absl::Span<const float> in, absl::Span<float> out) const {
  ECGBENCH_ASSIGN_OR_RETURN(const NormalizeRange range, RangeFor(in));
  ECGBENCH_RETURN_IF_ERROR(ApplyRange(range, in, out));
  return range;
}

}  // namespace ecgbench::common::repr
