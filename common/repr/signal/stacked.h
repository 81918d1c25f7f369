// The stacked signal (upstream --ecg_stacked_signal): a normalized num_leads x L signal as a uint8
// image of height num_leads (12) and width L with 3 identical channels, HWC (row = lead, column =
// sample): pixel(lead, t, c) = uint8(y * 255) where y is the float32 normalized value and y * 255
// a float32 product (numpy: float32 array times a Python int), truncated toward zero like numpy's
// astype(np.uint8). The result is what upstream turns into a PIL.Image and hands
// to the vision processor (vision_processor.h).
// Pure functions, thread-safe, no allocation.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/repr/signal/normalize.h"

namespace ecgbench::common::repr {

inline constexpr int kStackedChannels = 3;

// Upstream's exact path: normalizes `raw` with `normalizer` (float32, normalize.h), multiplies by
// 255 in float32 and truncates; identical to Normalizer::Apply then StackNormalized, without the
// intermediate buffer. `out` holds raw.size() * 3 bytes. Returns the range used. Errors as
// Normalizer::Apply, or sizes mismatch / num_leads not dividing raw.size().
absl::StatusOr<NormalizeRange> NormalizeAndStack(const Normalizer& normalizer, absl::Span<const float> raw,
                                                 int num_leads, absl::Span<uint8_t> out);

// From an already normalized float32 signal: uint8(y * 255.0f). Values outside [0, 1] are
// clamped to 0 / 255 (numpy would wrap them). InvalidArgument for a non-finite value (naming the
// index), sizes mismatch or num_leads not dividing the size.
absl::Status StackNormalized(absl::Span<const float> normalized, int num_leads, absl::Span<uint8_t> out);

}  // namespace ecgbench::common::repr
