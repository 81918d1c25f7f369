// The `evaluate` stage: generates an answer for every assistant turn of the run's test
// conversations (the held-out fold), one shard of them per task, and writes the predictions.
//
// Like upstream, each turn is answered from the ground-truth history (teacher-forced: the prompt is
// the conversation up to that turn's assistant header), without truncation. Generation is greedy by
// default (deterministic); with `evaluate.generation.greedy: false` it samples with temperature,
// top-k and top-p from a generator seeded by (generation.seed, batch), so sampled answers depend on
// the shard count and the batch size. Prompts are sorted by length and generated in left-padded
// batches; each row stops at the template's end-of-turn / eos ids or after max_new_tokens. The
// answer is decoded without special tokens and trimmed; an empty answer is kept (scored as wrong).
//
// Ablation conditions (evaluate.ablation), each a full pass over the shard with the same weights:
//   signal  the real ECG
//   zeros   the representation of an all-zero segment (a zero signal tensor; for ECG-Byte the
//           symbols of a flat line; for images the picture of one)
//   none    no ECG at all: the prompt has no ECG slot (text only)
//
// The model: the train stage's export when the run trained (inputs "train"), else the base LLM as
// SetUpElm builds it (untrained projection and LoRA: a zero-shot baseline).
//
// Output: an artifact directory keyed by the content hash of (params, dataset, export, shard, shard
// count) holding predictions.jsonl: one JSON object per line with id, turn, question_type,
// condition, reference, prediction and answers (QA ground truth), in the score stage's format
// (common/eval/predictions.h). A finished artifact is reused. Results: predictions, empty.
// Cancel stops between batches; preemption releases the task (a retry starts the shard over).
#pragma once

#include <string>

#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct EvaluateStageOptions {
  std::string artifact_root = ".ecgbench/artifacts";
  int batch_size = 8;  // prompts per generation batch
};

class EvaluateRunner final : public StageRunner {
 public:
  explicit EvaluateRunner(EvaluateStageOptions options) : options_(std::move(options)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;

 private:
  EvaluateStageOptions options_;
};

}  // namespace ecgbench::worker
