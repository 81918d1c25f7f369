// Per-lead z-score normalization of a [leads x length] segment: every lead minus its mean, divided
// by its (population) standard deviation. Unlike upstream's min-max (one range for the whole
// 12 x L matrix, so every value sits in [0, 1] around a common offset near 0.5), it leaves no
// offset shared by all ECGs: a linear projection of the signal (the encoder-free ELM) then maps
// different ECGs to different vectors instead of nearly the same one. A lead whose standard
// deviation is below kZScoreFloorStd (flat) becomes zeros. Sums in float64. Pure, thread-safe;
// `out` may alias `in`.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace ecgbench::common::repr {

inline constexpr double kZScoreFloorStd = 1e-6;

// InvalidArgument when the sizes differ, leads < 1, the size is not leads x length, or a value is
// not finite (named as normalize.h's CheckFinite does).
absl::Status ZScorePerLead(absl::Span<const float> in, int64_t leads, absl::Span<float> out);

}  // namespace ecgbench::common::repr
