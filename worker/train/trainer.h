// The training loop shared by ELM fine-tuning and encoder pretraining: micro-batches from a
// BatchSource, a loss function returning (sum, token count), gradient accumulation, data-parallel
// gradient averaging (GradientBucketer), clipping, the learning-rate schedule, the optimizer,
// periodic checkpoints with exact resume, validation with early stopping, metrics, and cancel /
// preempt between steps.
//
// Loss normalisation: an optimizer step's loss is the sum of every micro-batch's summed loss over
// all ranks divided by the step's total token count over all ranks (counted before the forward and
// all-reduced), so N ranks with batch b take exactly the step 1 rank takes with batch N*b, and
// micro-batches of different lengths weigh by their tokens (upstream averaged per micro-batch).
// Early stopping: after each validation, stop when the best validation loss (or the epoch's
// training loss, with metric "train_loss") has not improved by more than `delta` for `patience`
// consecutive validations (upstream compared the last five epochs' training losses with 0.1).
//
// Resume: with a checkpoint root, Run first reads the latest checkpoint (trainable weights,
// optimizer state, CPU RNG state, epoch, batches consumed, histories) and continues from it; on CPU
// with deterministic algorithms the loss curve is then bitwise the uninterrupted one.
// Thread-safety: one Run at a time; hooks are called on the training thread.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/nn/elm.h"
#include "worker/train/collective/collective.h"
#include "worker/train/collective/gradient_bucketer.h"
#include "worker/train/lr_schedule.h"
#include "worker/train/optimizer.h"

namespace ecgbench::worker::train {

// Micro-batches of one epoch, in order. StartEpoch(e, skip) positions the source at the start of
// epoch e with its first `skip` micro-batches skipped (resume); Next returns nullopt at the end.
template <typename Batch>
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual absl::Status StartEpoch(int64_t epoch, int64_t skip) = 0;
  virtual absl::StatusOr<std::optional<Batch>> Next() = 0;
};

// What one optimizer step reports.
struct StepMetrics {
  int64_t step = 0;   // optimizer steps done (1-based after the first)
  int64_t epoch = 0;  // 0-based
  double loss = 0;    // the step's token-mean loss over all ranks
  double lr = 0;
  double grad_norm = 0;       // before clipping
  int64_t tokens = 0;         // labeled tokens over all ranks
  int64_t samples = 0;        // rows over all ranks
  double step_seconds = 0;    // wall time of the step, data wait included
  double data_wait_seconds = 0;
};

struct TrainerOptions {
  int grad_accum = 1;                 // micro-batches per optimizer step (>= 1)
  int epochs = 1;                     // >= 1
  std::optional<int64_t> max_steps;   // stop after this many optimizer steps
  double clip_grad_norm = 1.0;        // <= 0: no clipping
  std::string checkpoint_root;        // empty: no checkpoints, no resume
  int64_t checkpoint_every = 0;       // steps; 0: at the end of each epoch only
  int checkpoint_keep = 2;
  bool early_stopping = false;
  std::string early_stopping_metric = "val_loss";  // val_loss | train_loss
  int patience = 5;
  double delta = 0.1;
};

struct TrainSummary {
  int64_t steps = 0;
  int64_t epochs_completed = 0;
  bool stopped_early = false;
  bool resumed = false;
  int64_t resumed_from_step = 0;
  std::vector<std::string> skipped_checkpoints;  // newer checkpoints that failed verification (why)
  std::vector<double> step_losses;   // this Run's steps
  std::vector<double> train_losses;  // per epoch (token mean over the epoch)
  std::vector<double> val_losses;    // per validation
  double best_val_loss = 0;          // when validation ran
  std::string last_checkpoint;       // directory, when written
};

enum class StopRequest { kNone, kCancel, kPreempt };

template <typename Batch>
struct TrainerHooks {
  // (sum, token count) for one micro-batch; called with the model in training mode.
  std::function<nn::LossSum(const Batch&)> loss;
  // Labeled tokens and rows of a micro-batch, without running the model.
  std::function<int64_t(const Batch&)> count_tokens;
  std::function<int64_t(const Batch&)> count_rows;
  std::function<void(bool)> set_training;  // model train/eval mode
  std::function<void(const StepMetrics&)> on_step;  // optional
  // After each checkpoint is written: the optimizer step it holds and the seconds writing took.
  std::function<void(int64_t step, double seconds)> on_checkpoint;  // optional
  std::function<void(int64_t epoch, double train_loss, std::optional<double> val_loss)> on_epoch;  // optional
  std::function<StopRequest()> should_stop;  // optional; checked between steps
};

template <typename T>
struct NonDeduced {
  using type = T;
};

// Runs training (Batch is deduced from `train`). `collective` and `bucketer` are null for one process. Returns ABORTED "preempted"
// (after writing a checkpoint) on kPreempt, CANCELLED on kCancel, and the first error of the source,
// the loss, the collective or the checkpoint writer otherwise.
template <typename Batch>
absl::StatusOr<TrainSummary> RunTraining(const TrainerOptions& options, Optimizer& optimizer,
                                         const LrSchedule& schedule, BatchSource<Batch>& train,
                                         typename NonDeduced<BatchSource<Batch>*>::type validation,
                                         const typename NonDeduced<TrainerHooks<Batch>>::type& hooks,
                                         Collective* collective = nullptr, GradientBucketer* bucketer = nullptr);

}  // namespace ecgbench::worker::train
