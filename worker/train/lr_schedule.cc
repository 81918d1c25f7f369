// Learning-rate schedules (see lr_schedule.h).
#include "worker/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace ecgbench::worker::train {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kNoamFloor = 1e-8;  // upstream's max(lr, 1e-8)

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("learning-rate schedule: ", message));
}

}  // namespace

absl::StatusOr<ScheduleKind> ParseScheduleKind(const std::string& name) {
  if (name == "noam") return ScheduleKind::kNoam;
  if (name == "cosine") return ScheduleKind::kCosine;
  if (name == "constant") return ScheduleKind::kConstant;
  return Invalid(absl::StrCat("unknown schedule '", name, "' (noam | cosine | constant)"));
}

absl::StatusOr<LrSchedule> LrSchedule::Create(const ScheduleOptions& o) {
  if (!(std::isfinite(o.lr) && o.lr > 0)) return Invalid(absl::StrCat("lr must be > 0, got ", o.lr));
  if (!(std::isfinite(o.scale) && o.scale > 0)) return Invalid(absl::StrCat("scale must be > 0, got ", o.scale));
  if (o.warmup < 0) return Invalid(absl::StrCat("warmup must be >= 0, got ", o.warmup));
  if (o.kind == ScheduleKind::kCosine && o.total_steps <= 0) {
    return Invalid(absl::StrCat("cosine needs total_steps > 0, got ", o.total_steps));
  }
  if (!(o.min_lr >= 0)) return Invalid(absl::StrCat("min_lr must be >= 0, got ", o.min_lr));
  double peak = o.lr * o.scale;
  if (o.kind == ScheduleKind::kNoam && o.noam_peak == NoamPeak::kModelDim) {
    if (o.model_dim <= 0) return Invalid(absl::StrCat("noam with the model-dim peak needs model_dim > 0"));
    peak = std::pow(static_cast<double>(o.model_dim), -0.5) * std::pow(static_cast<double>(std::max<int64_t>(o.warmup, 1)), -0.5) * o.scale;
  }
  if (o.kind == ScheduleKind::kNoam && o.warmup == 0) {
    return Invalid("noam needs warmup > 0 (its decay is relative to the warm-up length)");
  }
  return LrSchedule(o, peak);
}

double LrSchedule::LearningRate(int64_t step) const {
  const double n = static_cast<double>(std::max<int64_t>(step, 1));
  const double warmup = static_cast<double>(options_.warmup);
  switch (options_.kind) {
    case ScheduleKind::kNoam: {
      const double init = peak_ * std::sqrt(warmup);
      return std::max(init * std::min(std::pow(n, -0.5), n * std::pow(warmup, -1.5)), kNoamFloor);
    }
    case ScheduleKind::kConstant:
      return n < warmup ? peak_ * n / warmup : peak_;
    case ScheduleKind::kCosine: {
      if (n < warmup) return peak_ * n / warmup;
      const double total = static_cast<double>(options_.total_steps);
      if (n >= total) return options_.min_lr;
      const double span = std::max(total - warmup, 1.0);
      const double progress = (n - warmup) / span;
      return options_.min_lr + 0.5 * (peak_ - options_.min_lr) * (1.0 + std::cos(kPi * progress));
    }
  }
  return peak_;
}

double ScaledWeightDecay(double weight_decay, double scale, DecayScaling scaling) {
  switch (scaling) {
    case DecayScaling::kInverseSqrt: return weight_decay / std::sqrt(scale);
    case DecayScaling::kInverse: return weight_decay / scale;
    case DecayScaling::kNone: break;
  }
  return weight_decay;
}

}  // namespace ecgbench::worker::train
