// The `score` stage: joins the evaluate shards' predictions of one run into predictions.jsonl and
// computes the metrics of evaluate.metrics for each ablation condition (common/eval/scorer.h:
// BLEU, ROUGE, METEOR, accuracy / F1, torch-free; BERTScore with worker/infer/bertscore.h, the mean
// P / R / F1 over the pairs as bertscore_p, bertscore_r, bertscore_f1, when metrics lists it).
//
// Results (the run's "score.<condition>.<metric>", values in [0, 1]): e.g. score.signal.bleu,
// score.zeros.meteor, score.none.accuracy, score.signal.n (answers scored). Output: an artifact
// directory keyed by the shards' prediction files and the metric list, holding predictions.jsonl
// (every shard, in shard order) and metrics.json ({condition: {metric: value}}). A finished
// artifact is reused. Errors: FailedPrecondition when an evaluate shard names no predictions file;
// the reader's InvalidArgument (file:line, field) for a malformed one.
#pragma once

#include <string>

#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct ScoreStageOptions {
  std::string artifact_root = ".ecgbench/artifacts";
  std::string wordnet_dir = "/usr/share/wordnet";  // METEOR's synonym stage (Debian wordnet-base)
  int threads = 2;
};

class ScoreRunner final : public StageRunner {
 public:
  explicit ScoreRunner(ScoreStageOptions options) : options_(std::move(options)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;

 private:
  ScoreStageOptions options_;
};

}  // namespace ecgbench::worker
