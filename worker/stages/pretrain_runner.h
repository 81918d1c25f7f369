// PretrainRunner: the "pretrain" stage kind. For encoder signal2vec (representation.kind token;
// planned whenever the encoder has no path) it runs Signal2Vec: it encodes the run's training-fold
// segments with the run's ECG-Byte tokenizer (the tokenizer stage's artifact, or
// representation.ecg_byte.tokenizer) and trains skip-gram embeddings over the token sequences (worker/train/signal2vec_trainer.h, upstream
// defaults). The artifact (<artifact-root>/signal2vec/<key>/: embeddings.npy, signal2vec.json) is
// keyed by the dataset, the tokenizer file's digest, the fold and the options, so it is reused.
// Pretraining the other encoders (ST-MEM, MTAE, MLAE, MERL) is not in this build: such a task
// fails with FAILED_PRECONDITION naming the encoder (give encoder.path instead). Torch-free header.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct PretrainStageOptions {
  std::string artifact_root = ".ecgbench/artifacts";
};

class PretrainRunner final : public StageRunner {
 public:
  explicit PretrainRunner(PretrainStageOptions options) : options_(std::move(options)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;
  bool SupportsCheckpoint() const override { return false; }

 private:
  absl::StatusOr<TaskResult> RunSignal2Vec(TaskContext& ctx);
  PretrainStageOptions options_;
};

}  // namespace ecgbench::worker
