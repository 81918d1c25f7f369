// The `train` stage: fine-tunes one ELM for one run (one held-out fold) on the run's training
// conversations, validating on a patient-disjoint carve-out, on `world_size` data-parallel ranks
// (Gloo on CPU; the ranks meet through the coordinator's rendezvous KV).
//
// Inputs: the dataset stage's result (segments, folds, conversations), the tokenizer stage's
// ECG-Byte tokenizer for the token representation; params data / representation / model / train
// (the spec sections). Output: an artifact directory keyed by the content hash of everything that
// determines the run (dataset, params, tokenizer), holding checkpoints/ (resume after preemption
// or a retry) and export/ (worker/train/export.h: adapter, projection, elm_config.json, model
// card). A finished artifact is reused.
// Metrics per step (to the coordinator and /metrics): train/loss, train/lr, train/grad_norm,
// train/tokens_per_s, train/samples_per_s, train/step_seconds, train/data_wait_seconds,
// train/memory_bytes, train/model_tflops (achieved model TFLOP/s per rank, worker/train/mfu.h) and,
// when ECGBENCH_PEAK_TFLOPS gives the per-rank peak, train/mfu; per epoch train/epoch_loss and
// train/val_loss.
// Cancel stops between steps; preemption (SIGTERM, drain) writes a checkpoint and releases the
// task, and the retried task resumes from it.
#pragma once

#include <string>

#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct TrainStageOptions {
  std::string artifact_root = ".ecgbench/artifacts";
  int loader_threads = 2;
  std::string hostname = "127.0.0.1";  // what this rank's Gloo device tells its peers
};

class TrainRunner final : public StageRunner {
 public:
  explicit TrainRunner(TrainStageOptions options) : options_(std::move(options)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;
  bool SupportsCheckpoint() const override { return true; }

 private:
  TrainStageOptions options_;
};

}  // namespace ecgbench::worker
