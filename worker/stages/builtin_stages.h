// The stage kinds this worker binary ships, registered in one place: "probe", "preprocess",
// "dataset", "tokenizer", "pretrain" (Signal2Vec, ECG encoders), "train" (ELM fine-tuning),
// "evaluate" (generation over the test fold), "score" (metrics over the predictions) and "rag"
// (the retrieval index).
// Torch-free header.
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "common/security/path_policy.h"
#include "worker/agent/stage_registry.h"
#include "worker/stages/dataset_runner.h"
#include "worker/stages/evaluate_runner.h"
#include "worker/stages/preprocess_runner.h"
#include "worker/stages/pretrain_runner.h"
#include "worker/stages/rag_runner.h"
#include "worker/stages/score_runner.h"
#include "worker/stages/tokenizer_runner.h"
#include "worker/stages/train_runner.h"

namespace ecgbench::worker {

struct BuiltinStageOptions {
  PreprocessStageOptions preprocess;
  DatasetStageOptions dataset;
  TokenizerStageOptions tokenizer;
  PretrainStageOptions pretrain;
  TrainStageOptions train;
  EvaluateStageOptions evaluate;
  ScoreStageOptions score;
  RagStageOptions rag;
  // --data-root: every runner checks the spec paths of its assignment first (worker/agent/path_guard.h).
  // Null: no check.
  std::shared_ptr<const common::PathPolicy> path_policy;
};

// Errors: ALREADY_EXISTS when a kind is registered already.
absl::Status RegisterBuiltinStages(StageRegistry& registry, const BuiltinStageOptions& options = {});

}  // namespace ecgbench::worker
