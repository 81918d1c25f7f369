// Per-lead z-score (see zscore.h).
#include "common/repr/signal/zscore.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/repr/signal/normalize.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {

absl::Status ZScorePerLead(absl::Span<const float> in, int64_t leads, absl::Span<float> out) {
  if (in.size() != out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("zscore: output has ", out.size(), " values, input ", in.size()));
  }
  if (leads < 1 || in.size() % static_cast<size_t>(leads) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("zscore: ", in.size(), " values are not ", leads, " leads"));
  }
  ECGBENCH_RETURN_IF_ERROR(CheckFinite(in));
  const size_t length = in.size() / static_cast<size_t>(leads);
  for (size_t l = 0; l < static_cast<size_t>(leads); ++l) {
    const float* x = in.data() + l * length;
    float* y = out.data() + l * length;
    double sum = 0;
    for (size_t i = 0; i < length; ++i) sum += x[i];
    const double mean = sum / static_cast<double>(length);
    double squares = 0;
    for (size_t i = 0; i < length; ++i) squares += (x[i] - mean) * (x[i] - mean);
    const double sd = std::sqrt(squares / static_cast<double>(length));
    const double scale = sd < kZScoreFloorStd ? 0.0 : 1.0 / sd;
    for (size_t i = 0; i < length; ++i) y[i] = static_cast<float>((x[i] - mean) * scale);
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::repr
