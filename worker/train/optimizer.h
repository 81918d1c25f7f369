// Adam and AdamW over named parameters, with PyTorch's arithmetic (torch.optim.Adam with L2 weight
// decay added to the gradient; torch.optim.AdamW with decoupled decay; amsgrad off), gradient
// clipping (clip_grad_norm_), rows that must not move (added-token rows, token_embeddings.h), and
// a state that checkpoints can save and restore exactly.
//
// Upstream defaults: betas (0.9, 0.99), eps 1e-8, weight decay 0.01. State per parameter: exp_avg
// and exp_avg_sq (float32, like the parameter's shape), a float32 master copy for bf16 / f16
// parameters (updates then accumulate in float32), and the step counts.
// Thread-safety: none. Errors: absl::Status naming the parameter.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::worker::train {

enum class OptimizerKind { kAdam, kAdamW };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kAdamW;
  double beta1 = 0.9;
  double beta2 = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

absl::StatusOr<OptimizerKind> ParseOptimizerKind(const std::string& name);  // "adam" | "adamw"

// Rows [first_row, first_row + count) of `weight` stay exactly as they are across steps.
struct FrozenRows {
  torch::Tensor weight;
  int64_t first_row = 0;
  int64_t count = 0;
};

class Optimizer {
 public:
  // `params`: (name, tensor) pairs, each requiring grad; names unique.
  static absl::StatusOr<Optimizer> Create(std::vector<std::pair<std::string, torch::Tensor>> params,
                                          const OptimizerOptions& options);

  void FreezeRows(FrozenRows rows) { frozen_.push_back(std::move(rows)); }
  // Parameters whose name starts with `prefix` step with lr x `scale` (decoupled decay too), e.g.
  // the ELM's projection with its own learning rate. Returns how many parameters matched.
  int ScaleLearningRate(const std::string& prefix, double scale);

  // Global L2 norm of all gradients (missing gradients count as zero), computed in float64.
  double GradNorm() const;
  // Scales gradients so their norm is at most max_norm (PyTorch: factor max_norm / (norm + 1e-6)
  // when below 1); returns the norm before clipping. max_norm <= 0: no clipping.
  double ClipGradNorm(double max_norm);
  // One update with learning rate `lr`; parameters without a gradient are skipped (their state
  // does not advance), as in PyTorch.
  void Step(double lr);
  void ZeroGrad();

  int64_t step() const { return step_; }
  const std::vector<std::pair<std::string, torch::Tensor>>& parameters() const { return params_; }

  // "<name>.exp_avg", "<name>.exp_avg_sq", "<name>.steps" (and "<name>.master") for parameters
  // that have state (CPU copies); the global step separately. Restore checks every name and shape.
  std::map<std::string, torch::Tensor> StateTensors() const;
  absl::Status RestoreState(const std::map<std::string, torch::Tensor>& tensors, int64_t step);

 private:
  struct State {
    torch::Tensor exp_avg, exp_avg_sq;
    torch::Tensor master;  // float32 copy of a bf16 / f16 parameter
    int64_t steps = 0;
  };
  Optimizer(std::vector<std::pair<std::string, torch::Tensor>> params, const OptimizerOptions& options);

  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::vector<State> state_;
  std::vector<double> lr_scale_;  // per parameter, 1 unless ScaleLearningRate
  std::vector<FrozenRows> frozen_;
  torch::Tensor scratch_;  // float32, the largest parameter's size: Step's denominator
  OptimizerOptions options_;
  int64_t step_ = 0;
};

}  // namespace ecgbench::worker::train
