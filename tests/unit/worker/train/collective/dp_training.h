// The data-parallel check's training run (tests only): a 2-layer MLP classifier on fixed synthetic
// data, trained for a number of steps either by one process on the global batch or by one rank of
// a group on its shard (ShardIndices) with GradientBucketer averaging the gradients.
// The model also has a parameter that is never used and one that is used only when the rank's
// batch holds a sample of the rare class 3, so unused-parameter handling is part of the check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/train/collective/collective.h"

namespace ecgbench::worker::train::testing {

struct DpRunConfig {
  int world_size = 1;          // ranks of the group (1 with no collective: the reference)
  int rank = 0;
  int64_t batch_per_rank = 4;  // b: samples per rank and step
  int micro_batches = 1;       // gradient accumulation: b is split into this many backward passes
  int steps = 20;
  int64_t num_samples = 0;     // the data set; 0 means steps * world_size * batch_per_rank
  std::string optimizer = "sgd";  // "sgd" (momentum 0.9) or "adamw"
  int64_t bucket_bytes = 256;  // small, so that the tiny model spans several buckets
  uint64_t seed = 11;
};

// Trains and returns every parameter, flattened in model order. With `collective` (world_size and
// rank from it must match the config), rank 0's initial weights are broadcast first (each rank
// initialises from its own seed). Errors: a collective or bucketer error, INVALID_ARGUMENT for a
// config whose batch does not split into the micro-batches.
absl::StatusOr<std::vector<float>> TrainMlp(const DpRunConfig& config, Collective* collective);

// The scenarios the process-level check runs: name -> config for rank `rank` of `world`.
std::vector<std::string> DpScenarioNames();
DpRunConfig DpScenario(const std::string& name, int world, int rank);
// The single-process reference of a scenario: world 1, batch world * b, no accumulation.
DpRunConfig DpReference(const std::string& name, int world);

}  // namespace ecgbench::worker::train::testing
