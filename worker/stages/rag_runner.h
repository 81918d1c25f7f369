// The `rag` stage: builds the retrieval database of one run (docs/rag.md) from the run's training
// segments (every fold but the held-out one: a test question can never retrieve its own fold's
// ECGs), each with its record id and report, indexed in the spec's space (signal, feature or
// combined) with FAISS. Torch-free.
//
// Params: data, rag (the spec section). Output: an artifact directory keyed by the dataset, the
// held-out fold and the index options (rag_metadata.json, features.f32, <space>.index); a finished
// artifact is reused. Result document: {"index": dir, "k", "space", "prompt", "zscore",
// "features_in_prompt", "entries"}; results: entries, reused.
#pragma once

#include <string>

#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct RagStageOptions {
  std::string artifact_root = ".ecgbench/artifacts";
};

class RagRunner final : public StageRunner {
 public:
  explicit RagRunner(RagStageOptions options) : options_(std::move(options)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;

 private:
  RagStageOptions options_;
};

}  // namespace ecgbench::worker
