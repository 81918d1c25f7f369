// ShardIndices: DistributedSampler-like sharding (padding, dropping, shuffling, errors).
#include "worker/train/collective/shard_indices.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace ecgbench::worker::train {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ShardOptions Options(bool shuffle, bool drop_last, uint64_t seed) {
  ShardOptions options;
  options.shuffle = shuffle;
  options.drop_last = drop_last;
  options.seed = seed;
  return options;
}

std::vector<int64_t> Shard(int64_t n, int rank, int world, ShardOptions options, int64_t epoch = 0) {
  auto shard = ShardIndices(n, rank, world, epoch, options);
  EXPECT_TRUE(shard.ok()) << shard.status();
  return shard.ok() ? *shard : std::vector<int64_t>();
}

TEST(ShardIndicesTest, PadsByRepeatingTheFirstIndicesLikeDistributedSampler) {
  ShardOptions options = Options(false, false, 0);
  EXPECT_EQ(ShardSize(10, 3, false), 4);
  EXPECT_THAT(Shard(10, 0, 3, options), ElementsAre(0, 3, 6, 9));
  EXPECT_THAT(Shard(10, 1, 3, options), ElementsAre(1, 4, 7, 0));
  EXPECT_THAT(Shard(10, 2, 3, options), ElementsAre(2, 5, 8, 1));
}

TEST(ShardIndicesTest, DropLastDropsTheTail) {
  ShardOptions options = Options(false, true, 0);
  EXPECT_EQ(ShardSize(10, 3, true), 3);
  EXPECT_THAT(Shard(10, 0, 3, options), ElementsAre(0, 3, 6));
  EXPECT_THAT(Shard(10, 1, 3, options), ElementsAre(1, 4, 7));
  EXPECT_THAT(Shard(10, 2, 3, options), ElementsAre(2, 5, 8));
}

TEST(ShardIndicesTest, FewerSamplesThanRanks) {
  ShardOptions pad = Options(false, false, 0);
  for (int rank = 0; rank < 5; ++rank) EXPECT_THAT(Shard(2, rank, 5, pad), ElementsAre(rank % 2)) << rank;
  ShardOptions drop = Options(false, true, 0);
  EXPECT_THAT(Shard(2, 4, 5, drop), IsEmpty());
  EXPECT_THAT(Shard(0, 1, 3, pad), IsEmpty());
}

TEST(ShardIndicesTest, ShuffledShardsAreDisjointAndCoverThePermutation) {
  ShardOptions options = Options(true, false, 17);
  const int world = 3;
  auto permutation = EpochPermutation(12, 2, options);
  ASSERT_TRUE(permutation.ok());
  std::vector<int64_t> sorted = *permutation;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
  std::set<int64_t> seen;
  for (int rank = 0; rank < world; ++rank) {
    const std::vector<int64_t> shard = Shard(12, rank, world, options, 2);
    ASSERT_EQ(shard.size(), 4u);
    for (size_t i = 0; i < shard.size(); ++i) {
      // Rank r holds permutation[r], permutation[r + world], ...: k samples per rank are the first
      // k * world samples of the permutation.
      EXPECT_EQ(shard[i], (*permutation)[rank + i * world]);
      EXPECT_TRUE(seen.insert(shard[i]).second) << "sample " << shard[i] << " in two shards";
    }
  }
  EXPECT_EQ(seen.size(), 12u);
}

TEST(ShardIndicesTest, PermutationDependsOnSeedAndEpochOnly) {
  ShardOptions options = Options(true, false, 42);
  auto a = EpochPermutation(10, 0, options);
  ASSERT_TRUE(a.ok());
  // Golden values: common::DetRandom draws the same on every platform.
  EXPECT_THAT(*a, ElementsAre(2, 9, 6, 4, 1, 7, 3, 8, 0, 5));
  EXPECT_EQ(*EpochPermutation(10, 0, options), *a);
  EXPECT_NE(*EpochPermutation(10, 1, options), *a);
  options.seed = 43;
  EXPECT_NE(*EpochPermutation(10, 0, options), *a);
}

TEST(ShardIndicesTest, RejectsBadArguments) {
  ShardOptions options;
  auto check = [&](absl::StatusOr<std::vector<int64_t>> result, const std::string& message) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(message));
  };
  check(ShardIndices(10, 0, 0, 0, options), "world_size must be >= 1 (got 0)");
  check(ShardIndices(10, 3, 3, 0, options), "rank must be in [0, 3) (got 3)");
  check(ShardIndices(10, -1, 3, 0, options), "rank must be in [0, 3) (got -1)");
  check(ShardIndices(-5, 0, 3, 0, options), "num_samples must be >= 0 (got -5)");
  check(ShardIndices(10, 0, 3, -1, options), "epoch must be >= 0 (got -1)");
}

}  // namespace
}  // namespace ecgbench::worker::train
