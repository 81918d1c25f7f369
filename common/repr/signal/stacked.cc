// The stacked-signal image (see stacked.h).
#include "common/repr/signal/stacked.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {
namespace {

absl::Status CheckShape(size_t values, int num_leads, size_t out_bytes) {
  if (values == 0) return absl::InvalidArgumentError("stacked signal: empty signal");
  if (num_leads <= 0 || values % static_cast<size_t>(num_leads) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("stacked signal: ", values, " values do not form ", num_leads, " leads"));
  }
  if (out_bytes != values * kStackedChannels) {
    return absl::InvalidArgumentError(absl::StrCat("stacked signal: output has ", out_bytes,
                                                   " bytes, expected ", values * kStackedChannels));
  }
  return absl::OkStatus();
}

// `scaled` is numpy's float32 product y * 255; NaN and negatives give 0, values above 255 give 255.
inline void Put(uint8_t* pixel, float scaled) {
  const float c = scaled > 0.0f ? (scaled < 255.0f ? scaled : 255.0f) : 0.0f;
  const auto v = static_cast<uint8_t>(c);  // truncation toward zero, like astype(np.uint8)
  pixel[0] = v;
  pixel[1] = v;
  pixel[2] = v;
}

}  // namespace

absl::StatusOr<NormalizeRange> NormalizeAndStack(const Normalizer& normalizer, absl::Span<const float> raw,
                                                 int num_leads, absl::Span<uint8_t> out) {
  ECGBENCH_RETURN_IF_ERROR(CheckShape(raw.size(), num_leads, out.size()));
  ECGBENCH_ASSIGN_OR_RETURN(const NormalizeRange range, normalizer.RangeFor(raw));
  // Lead-major input and row-major (lead, t) HWC output share the same value order.
  for (size_t i = 0; i < raw.size(); ++i) Put(&out[i * kStackedChannels], NormalizeValue(range, raw[i]) * 255.0f);
  return range;
}

absl::Status StackNormalized(absl::Span<const float> normalized, int num_leads, absl::Span<uint8_t> out) {
  ECGBENCH_RETURN_IF_ERROR(CheckShape(normalized.size(), num_leads, out.size()));
  for (size_t i = 0; i < normalized.size(); ++i) {
    if (!std::isfinite(normalized[i])) {
      return absl::InvalidArgumentError(absl::StrCat("stacked signal: input[", i, "] is not finite"));
    }
    Put(&out[i * kStackedChannels], normalized[i] * 255.0f);
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::repr
