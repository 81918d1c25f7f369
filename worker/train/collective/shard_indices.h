// ShardIndices: which samples one rank of a data-parallel group reads in one epoch, like PyTorch's
// DistributedSampler. Every rank draws the same permutation of [0, num_samples) (from seed and
// epoch, so no communication is needed), evens it out to a multiple of world_size, and takes every
// world_size-th entry starting at its rank. The shards of one epoch are disjoint except for the
// padding described below. Torch-free; pure and thread-safe.
//
// Evening out (Note [Shard padding]):
//   drop_last = false: the permutation is padded by repeating its first entries (cyclically when
//     num_samples < world_size) up to ceil(num_samples / world_size) * world_size, so every rank gets
//     the same number of samples and up to world_size - 1 samples are seen twice per epoch (training
//     only: evaluation must not count them twice);
//   drop_last = true: the tail is dropped down to floor(num_samples / world_size) * world_size, so
//     up to world_size - 1 samples are not seen in that epoch (a different set each epoch when
//     shuffling); with num_samples < world_size every shard is empty.
// Equal shard sizes matter: every rank must run the same number of steps, or the collectives of the
// ranks that run longer wait for partners that never come.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::worker::train {

struct ShardOptions {
  bool shuffle = true;     // false: the identity permutation (seed and epoch are ignored)
  bool drop_last = false;  // see Note [Shard padding]
  uint64_t seed = 0;       // the permutation of epoch e is a function of (seed, e) alone
};

// Number of samples each rank gets per epoch. REQUIRES num_samples >= 0, world_size >= 1.
int64_t ShardSize(int64_t num_samples, int world_size, bool drop_last);

// The sample indices of `rank` for `epoch`, in reading order. The union over ranks of the first
// k * world_size entries (k entries per rank) is the first k * world_size entries of the epoch's
// permutation (rank r holds permutation[r], permutation[r + world_size], ...), so N ranks reading k
// samples each see the same samples as one rank reading k * N.
// Errors: INVALID_ARGUMENT for num_samples < 0, world_size < 1, rank outside [0, world_size) or
// epoch < 0 (the message names the argument and its value).
absl::StatusOr<std::vector<int64_t>> ShardIndices(int64_t num_samples, int rank, int world_size,
                                                  int64_t epoch, const ShardOptions& options);

// The full permutation of one epoch that every rank draws (what a single rank reads when shuffling).
// Errors: as ShardIndices.
absl::StatusOr<std::vector<int64_t>> EpochPermutation(int64_t num_samples, int64_t epoch,
                                                      const ShardOptions& options);

}  // namespace ecgbench::worker::train
