// TokenizerRunner: the "tokenizer" stage kind (representation.kind token without
// ecg_byte.tokenizer). Trains an ECG-Byte BPE tokenizer on up to ecg_byte.samples segments drawn
// (seeded by data.folds.seed) from the run's TRAINING folds only (upstream samples from all the
// preprocessed data, test ECGs included), normalized as representation.normalization says,
// symbolized and trained with representation.ecg_byte.merges merges. The artifact
// (<artifact-root>/tokenizer/<key>/: tokenizer.json, tokenizer.hf.json, percentiles.json when the
// normalization is percentile) is keyed by a content hash of the dataset and these parameters,
// so another run with the same data, fold and settings reuses it. Torch-free.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct TokenizerStageOptions {
  std::string artifact_root = ".ecgbench/artifacts";
};

class TokenizerRunner final : public StageRunner {
 public:
  explicit TokenizerRunner(TokenizerStageOptions options) : options_(std::move(options)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;
  bool SupportsCheckpoint() const override { return false; }

 private:
  TokenizerStageOptions options_;
};

}  // namespace ecgbench::worker
