// Encoder pretraining for the "pretrain" stage (docs/encoder-pretraining.md): ST-MEM, MTAE and MLAE
// with the masked-patch MSE (mask ratio 0.75), MERL with its cross- and uni-modal InfoNCE (tau 0.07)
// against a frozen text encoder, on `world_size` data-parallel ranks (Gloo through the rendezvous
// KV, GradientBucketer; each rank reads its ShardIndices shard of the run's training segments).
//
// Data: RunData::train_segments (every fold but the held-out one; the ELM's validation carve-out
// included: pretraining is self-supervised), normalized as the run's representation says (no
// perturbation). Encoder: kind representation.encoder.name, sizes from the preset
// representation.encoder.preset ("base" = upstream's when absent, or "tiny"), segment length the
// store's, initial weights from train.seed. Optimizer: the train section's, except that
// optimizer name / lr / weight_decay left at the train defaults (adamw / 1e-4 / 0.01) become
// upstream's pretraining recipe (AdamW, 2e-4, 1e-5); batch_size (per rank), epochs, max_steps,
// grad_accum, schedule, clip_grad_norm, checkpoint_every, seed and deterministic as given.
// Masks and MERL's dropout views come from a CPU generator seeded per (seed, rank, batch), so a
// resumed run draws what the uninterrupted one drew.
//
// Output: <artifact-root>/encoder_pretrain/<key>/ (key: dataset, representation, train section,
// fold, world size, text encoder) with checkpoints/ and encoder.safetensors (SaveEcgEncoder);
// result_json {"kind": "ecg_encoder", "encoder": <file>, "artifact", "key", "encoder_name",
// "preset", "steps", "final_loss", "resumed_from_step", "reused"}. A complete artifact is reused.
// Metrics: pretrain/loss, pretrain/lr, pretrain/grad_norm, pretrain/samples_per_s,
// pretrain/step_seconds, pretrain/data_wait_seconds, pretrain/memory_bytes per step (MERL also
// pretrain/cma_loss and pretrain/uma_loss), pretrain/epoch_loss per epoch.
// Errors: InvalidArgument naming the field; FAILED_PRECONDITION for MERL without a text encoder
// (naming what is missing); ABORTED "preempted" after a checkpoint; CANCELLED.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/agent/stage_runner.h"
#include "worker/stages/pretrain_runner.h"

namespace ecgbench::worker {

// A frozen text encoder as MERL pretraining uses it: a batch of report strings -> their pooled
// embeddings [B, dim()] (float32, any device; upstream: MedCPT-Query-Encoder's pooler_output with
// the reports tokenized to at most 64 tokens). Called under NoGradGuard from one thread at a time
// (the loader's, not the one that created it).
class TextEmbedder {
 public:
  virtual ~TextEmbedder() = default;
  virtual absl::StatusOr<torch::Tensor> Embed(const std::vector<std::string>& texts) = 0;
  virtual int64_t dim() const = 0;
};

// Runs the stage for an encoder of the ViT family or MERL (PretrainRunner dispatches here).
absl::StatusOr<TaskResult> RunEncoderPretrain(TaskContext& ctx, const PretrainStageOptions& options);

}  // namespace ecgbench::worker
