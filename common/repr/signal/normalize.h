// Signal normalization for the representations (upstream ECG-Bench BaseECGDataset.normalize and the
// ECG-Bytes paper's dataset-percentile variant). Both map a value x through one affine range:
//   y = clip((x - lo) / (hi - lo + 1e-6), 0, 1)
// minmax:     lo = min, hi = max over the WHOLE input (all leads x L values, not per lead);
// percentile: lo = p1 - 0.5, hi = p99 + 0.5 with p1/p99 estimated once per dataset
//             (percentile_stats.h).
// Arithmetic: exactly what numpy 1.24 does on upstream's float32 segments (they are cast to float32
// after resampling), so tests compare with numpy bit for bit:
//   minmax:     max - min is a float32 subtraction (numpy float32 scalars); + 1e-6 is done in
//               float64 (scalar promotion); the array expression then casts that float64 scalar to
//               float32 (value-based casting) and computes (x - min) / denominator in float32.
//   percentile: lo and the denominator are float64 expressions of the float64 p1/p99, each cast
//               to float32; (x - lo) / denominator is then computed in float32.
//   clip:       numpy's: y > 0 ? y : 0, then y < 1 ? y : 1, a NaN kept (-0.0 becomes +0.0).
// Finite inputs whose span overflows float32 (|values| near 3.4e38) give NaN, as in numpy.
// A NormalizeRange carries both the float64 lo/hi (for decoders) and the float32 offset and
// denominator that the arithmetic uses. All functions are pure and thread-safe; `out` may alias
// `in` (in-place).
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/repr/signal/percentile_stats.h"

namespace ecgbench::common::repr {

inline constexpr double kNormalizeEps = 1e-6;

// The affine range of one normalization; the ECG-Byte decoder inverts it as y * (hi - lo) + lo.
// Build it with MinMaxRange / MinMaxRangeOf / PercentileRange (they set all four fields).
struct NormalizeRange {
  double lo = 0;           // min, or p1 - 0.5
  double hi = 0;           // max, or p99 + 0.5
  float offset = 0;        // float32(lo): what is subtracted
  float denominator = 1;   // float32(hi - lo + 1e-6) as numpy computes it (see above)
};

// InvalidArgument for empty input, or naming the first non-finite value: "input[37] is nan".
absl::Status CheckFinite(absl::Span<const float> in);
// The min-max range of values whose min and max are `min` and `max`.
NormalizeRange MinMaxRangeOf(float min, float max);
// min and max over all values. Errors as CheckFinite.
absl::StatusOr<NormalizeRange> MinMaxRange(absl::Span<const float> in);
// The percentile range: lo = p1 - 0.5, hi = p99 + 0.5 (in float64).
NormalizeRange PercentileRange(const PercentileStats& stats);
// The normalized value of one float32 x, in float32 like numpy.
inline float NormalizeValue(const NormalizeRange& r, float x) {
  const float y = (x - r.offset) / r.denominator;
  const float low_clipped = (y != y || y > 0.0f) ? y : 0.0f;  // numpy maximum: NaN propagates
  return (low_clipped != low_clipped || low_clipped < 1.0f) ? low_clipped : 1.0f;
}
// Applies `r` to every value. InvalidArgument when the sizes differ. No finiteness check.
absl::Status ApplyRange(const NormalizeRange& r, absl::Span<const float> in, absl::Span<float> out);

enum class NormalizerKind { kMinMax, kPercentile };

// A normalization choice as a value: kind plus its parameters (percentile statistics).
// Copyable, immutable, thread-safe.
class Normalizer {
 public:
  static Normalizer MinMax();
  static Normalizer Percentile(const PercentileStats& stats);
  // From the spec names "minmax" / "percentile". "percentile" needs `stats` (InvalidArgument
  // when null); unknown names are InvalidArgument listing the valid ones.
  static absl::StatusOr<Normalizer> Parse(std::string_view name, const PercentileStats* stats = nullptr);

  NormalizerKind kind() const { return kind_; }
  std::string_view name() const;
  const PercentileStats& stats() const { return stats_; }  // meaningful for kPercentile only

  // The range used for `in`: its min/max, or the fixed percentile range. Errors as CheckFinite.
  absl::StatusOr<NormalizeRange> RangeFor(absl::Span<const float> in) const;
  // Normalizes `in` into `out` (same size; may alias) and returns the range used (the min and max
  // for minmax, which ECG-Byte's decoder needs). Errors as CheckFinite, or sizes differ.
  absl::StatusOr<NormalizeRange> Apply(absl::Span<const float> in, absl::Span<float> out) const;

 private:
  Normalizer(NormalizerKind kind, const PercentileStats& stats) : kind_(kind), stats_(stats) {}
  NormalizerKind kind_;
  PercentileStats stats_;
};

}  // namespace ecgbench::common::repr
