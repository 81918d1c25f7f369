// Training checkpoints: everything a run needs to continue exactly where it stopped (trainable
// weights, optimizer state, RNG states, step / epoch / data position, early-stopping history),
// written atomically and verified on read.
//
// Layout under a checkpoint root (the task's output directory):
//   <root>/step-<NNNNNNNNN>/tensors.safetensors   "weights/<name>", "optimizer/<key>", "rng/<name>"
//   <root>/step-<NNNNNNNNN>/state.json            {"format": 1, "step", "state": {...},
//                                                  "tensors_xxh3_128": "<32 hex>"}
//   <root>/LATEST                                 "step-<NNNNNNNNN>\n"
// A checkpoint directory is written under a temporary name, fsynced file by file and renamed into
// place; LATEST is replaced atomically afterwards, so a crash at any point leaves the previous
// checkpoint readable. Older step directories beyond `keep` are removed after LATEST moved.
// Reading checks the checksum and names the file on any mismatch. When the checkpoint LATEST names
// cannot be read (checksum mismatch, missing or torn file), the newest older step directory that
// verifies is used instead and the bad one is renamed to ".corrupt-step-<N>-<unix s>" (kept for
// inspection, out of retention's way). A write that fails (disk full, I/O error) removes its
// temporary directory and leaves LATEST and the previous checkpoint untouched. Tensors keep their
// dtype (F32, BF16, F16, I64, U8); they come back on the CPU.
//
// Thread-safety: functions are independent; do not write the same root from two processes (rank 0
// writes, as in upstream).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::worker::train {

struct CheckpointContents {
  int64_t step = 0;
  std::map<std::string, torch::Tensor> weights;    // trainable parameters by name
  std::map<std::string, torch::Tensor> optimizer;  // Optimizer::StateTensors()
  std::map<std::string, torch::Tensor> rng;        // generator states (uint8 tensors)
  nlohmann::json state = nlohmann::json::object();  // epoch, data position, histories, ...
  // Set by ReadLatestCheckpoint when it fell back: why each newer checkpoint was passed over.
  std::vector<std::string> skipped;
};

// Writes a checkpoint for contents.step and points LATEST at it; keeps the newest `keep` (>= 1).
// Returns the checkpoint directory.
absl::StatusOr<std::string> WriteCheckpoint(const std::string& root, const CheckpointContents& contents, int keep = 2);

// The checkpoint LATEST names, or the newest older one that verifies when that one cannot be read
// (`skipped` says why); std::nullopt when the root has no LATEST (a fresh run). DATA_LOSS naming
// every failure when LATEST exists but no step directory verifies (never a silent fresh start).
absl::StatusOr<std::optional<CheckpointContents>> ReadLatestCheckpoint(const std::string& root);
// A specific checkpoint directory.
absl::StatusOr<CheckpointContents> ReadCheckpoint(const std::string& dir);

// The CPU default generator's state, and restoring it (for the "rng" map).
torch::Tensor CpuRngState();
void RestoreCpuRngState(const torch::Tensor& state);

}  // namespace ecgbench::worker::train
