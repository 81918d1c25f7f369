// DatasetRunner: the "dataset" stage kind, one task after the preprocess shards. It joins their part
// stores into one segment store, assigns patient-grouped (label-stratified) folds and writes the
// split manifest next to the data, and maps the spec's question-answer / instruction datasets onto
// the segments as conversation JSONL. The output is a content-addressed artifact keyed by the
// preprocess parts and these parameters, reused by any experiment that asks for the same.
// Torch-free header.
#pragma once

#include <string>

#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct DatasetStageOptions {
  std::string artifact_root = ".ecgbench/artifacts";
};

class DatasetRunner final : public StageRunner {
 public:
  explicit DatasetRunner(DatasetStageOptions options) : options_(std::move(options)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;

 private:
  DatasetStageOptions options_;
};

}  // namespace ecgbench::worker
