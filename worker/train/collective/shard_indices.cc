// ShardIndices: a seeded Fisher-Yates permutation (common::DetRandom, the same on every platform),
// padded or truncated to a multiple of the world size, then strided by rank.
#include "worker/train/collective/shard_indices.h"

#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/util/det_random.h"

namespace ecgbench::worker::train {
namespace {

// Salt so that the shuffle of (seed, epoch) does not correlate with other users of the same seed.
constexpr uint64_t kShardShuffleSalt = 0x5348415244u;  // "SHARD"

absl::Status CheckCounts(int64_t num_samples, int64_t epoch) {
  if (num_samples < 0) {
    return absl::InvalidArgumentError(absl::StrCat("ShardIndices: num_samples must be >= 0 (got ", num_samples, ")"));
  }
  if (epoch < 0) return absl::InvalidArgumentError(absl::StrCat("ShardIndices: epoch must be >= 0 (got ", epoch, ")"));
  return absl::OkStatus();
}

}  // namespace

int64_t ShardSize(int64_t num_samples, int world_size, bool drop_last) {
  if (drop_last) return num_samples / world_size;
  return (num_samples + world_size - 1) / world_size;
}

absl::StatusOr<std::vector<int64_t>> EpochPermutation(int64_t num_samples, int64_t epoch,
                                                      const ShardOptions& options) {
  if (absl::Status status = CheckCounts(num_samples, epoch); !status.ok()) return status;
  std::vector<int64_t> permutation(static_cast<size_t>(num_samples));
  std::iota(permutation.begin(), permutation.end(), int64_t{0});
  if (!options.shuffle || num_samples < 2) return permutation;
  const uint64_t engine_seed = common::SplitMix64(
      common::SplitMix64(options.seed ^ kShardShuffleSalt) ^ static_cast<uint64_t>(epoch));
  common::DetRandom random(engine_seed);
  for (int64_t i = num_samples - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(random.UniformInt(static_cast<uint64_t>(i) + 1));
    std::swap(permutation[static_cast<size_t>(i)], permutation[static_cast<size_t>(j)]);
  }
  return permutation;
}

absl::StatusOr<std::vector<int64_t>> ShardIndices(int64_t num_samples, int rank, int world_size,
                                                  int64_t epoch, const ShardOptions& options) {
  if (world_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("ShardIndices: world_size must be >= 1 (got ", world_size, ")"));
  }
  if (rank < 0 || rank >= world_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("ShardIndices: rank must be in [0, ", world_size, ") (got ", rank, ")"));
  }
  auto permutation = EpochPermutation(num_samples, epoch, options);
  if (!permutation.ok()) return permutation.status();
  const int64_t per_rank = ShardSize(num_samples, world_size, options.drop_last);
  std::vector<int64_t> shard;
  if (num_samples == 0) return shard;
  shard.reserve(static_cast<size_t>(per_rank));
  for (int64_t i = 0; i < per_rank; ++i) {
    // Position in the evened-out sequence; beyond num_samples it wraps to the start (padding).
    const int64_t position = rank + i * world_size;
    shard.push_back((*permutation)[static_cast<size_t>(position % num_samples)]);
  }
  return shard;
}

}  // namespace ecgbench::worker::train
