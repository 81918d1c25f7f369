// Shared fixtures of the spec tests: the example experiment (3 representations x 5 folds) and a
// helper that returns a spec's error text.
#pragma once

#include <string>

#include "common/spec/plan.h"

namespace ecgbench::common::testing {

// The shape of /work/shared/design/example-spec.yaml: 15 runs.
inline constexpr char kExampleSpec[] = R"yaml(name: ecgqa-ptbxl-representations
description: Signal vs image vs ECG-Byte on ECG-QA (PTB-XL), Llama-3.2-1B, 5 patient folds
priority: normal

data:
  base: ptbxl
  root: /data/ptb-xl/1.0.3
  mapped: ecg-qa-ptbxl
  mapped_root: /data/ecg-qa
  target_rate: 250
  segment_len: 1250
  filters: none
  nan: skip
  folds: {k: 5, seed: 42, group_by: patient}

model:
  llm: {path: /models/Llama-3.2-1B-Instruct, template: llama3}
  lora: {rank: 16, alpha: 32, dropout: 0.05, targets: [q, k, v, o, gate, up, down]}

matrix:
  representation:
    - {kind: signal, encoder: projection, encoder_tokens: 1}
    - {kind: image, encoder: {path: /models/siglip-base-patch16-224}}
    - {kind: token, ecg_byte: {merges: 6000, samples: 300000}}
  fold: [1, 2, 3, 4, 5]

train:
  optimizer: {name: adamw, lr: 1.0e-4, betas: [0.9, 0.99], weight_decay: 0.01}
  schedule: {name: noam, warmup: 500}
  batch_size: 8
  grad_accum: 4
  epochs: 1
  max_tokens: 1024
  min_ecg_tokens: 250
  clip_grad_norm: 1.0
  precision: bf16
  checkpoint_every: 500
  early_stopping: {metric: val_loss, patience: 5, delta: 0.1}

evaluate:
  generation: {max_new_tokens: 128, greedy: true}
  metrics: [bleu, rouge, meteor, bertscore, accuracy]
  bertscore: {path: /models/roberta-large, layer: 17}
  ablation: [signal, zeros, none]
  compare: paired_bootstrap

resources:
  ranks: 4
  gpus_per_rank: 1
  preprocess_shards: 32
)yaml";

// Lines 1-9 of a spec whose train section starts on line 9; append train keys from line 10.
inline constexpr char kTrainHead[] =
    "name: t\n"
    "data:\n"
    "  base: ptbxl\n"
    "  root: /data/ptb-xl\n"
    "  mapped: ecg-qa-ptbxl\n"
    "  mapped_root: /data/ecg-qa\n"
    "model:\n"
    "  llm: {path: /models/llama}\n"
    "train:\n";

// Lines 1-4: a valid preprocess-only spec; append keys of data (indented) or new sections.
inline constexpr char kDataHead[] =
    "name: t\n"
    "data:\n"
    "  base: ptbxl\n"
    "  root: /data/ptb-xl\n";

// "OK" when the spec plans, else the error message.
inline std::string PlanError(const std::string& yaml) {
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(yaml, "spec.yaml");
  return plan.ok() ? "OK" : std::string(plan.status().message());
}

}  // namespace ecgbench::common::testing
