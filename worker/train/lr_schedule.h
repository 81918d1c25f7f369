// Learning-rate schedules of the training loop (torch-free). Steps are optimizer steps, 1-based
// (the first update uses LearningRate(1)).
//   noam:     upstream ECG-Bench's ScheduledOptim (HEAD): init = peak * sqrt(warmup),
//             lr(n) = max(init * min(n^-0.5, n * warmup^-1.5), 1e-8): linear warm-up to `peak` at
//             n = warmup, then peak * sqrt(warmup / n). peak = lr * scale, where scale = effective
//             batch / reference batch (upstream's default reference makes it the world size).
//             The paper era ignored lr and used peak = d_model^-0.5 * warmup^-0.5 (NoamPeak::kModelDim).
//   cosine:   linear warm-up from peak / warmup to `peak` over `warmup` steps, then half a cosine
//             from peak down to min_lr at total_steps (min_lr after that).
//   constant: linear warm-up to peak, then peak.
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ecgbench::worker::train {

enum class ScheduleKind { kNoam, kCosine, kConstant };
enum class NoamPeak { kLearningRate, kModelDim };

struct ScheduleOptions {
  ScheduleKind kind = ScheduleKind::kNoam;
  double lr = 1e-4;            // the spec's optimizer.lr
  double scale = 1.0;          // effective batch / reference batch (> 0)
  int64_t warmup = 500;        // >= 0; 0: no warm-up
  int64_t total_steps = 0;     // cosine: > 0
  double min_lr = 0.0;         // cosine floor
  NoamPeak noam_peak = NoamPeak::kLearningRate;
  int64_t model_dim = 0;       // NoamPeak::kModelDim: the LLM's hidden size (> 0)
};

class LrSchedule {
 public:
  // InvalidArgument naming the option for values outside the ranges above; "noam", "cosine",
  // "constant" are the spec's names (ParseScheduleKind).
  static absl::StatusOr<LrSchedule> Create(const ScheduleOptions& options);
  double LearningRate(int64_t step) const;
  double peak() const { return peak_; }

 private:
  explicit LrSchedule(const ScheduleOptions& options, double peak) : options_(options), peak_(peak) {}
  ScheduleOptions options_;
  double peak_;
};

absl::StatusOr<ScheduleKind> ParseScheduleKind(const std::string& name);

// Upstream's optional weight-decay scaling with the batch scale: none, 1/sqrt(scale), 1/scale.
enum class DecayScaling { kNone, kInverseSqrt, kInverse };
double ScaledWeightDecay(double weight_decay, double scale, DecayScaling scaling);

}  // namespace ecgbench::worker::train
