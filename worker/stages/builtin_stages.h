// The stage kinds this worker binary ships, registered in one place (today: "probe", "preprocess",
// "dataset", "tokenizer" and "pretrain" (Signal2Vec); train and evaluate arrive with later issues).
// Torch-free header.
#pragma once

#include "absl/status/status.h"
#include "worker/agent/stage_registry.h"
#include "worker/stages/dataset_runner.h"
#include "worker/stages/preprocess_runner.h"
#include "worker/stages/pretrain_runner.h"
#include "worker/stages/tokenizer_runner.h"

namespace ecgbench::worker {

struct BuiltinStageOptions {
  PreprocessStageOptions preprocess;
  DatasetStageOptions dataset;
  TokenizerStageOptions tokenizer;
  PretrainStageOptions pretrain;
};

// Errors: ALREADY_EXISTS when a kind is registered already.
absl::Status RegisterBuiltinStages(StageRegistry& registry, const BuiltinStageOptions& options = {});

}  // namespace ecgbench::worker
