// Training checkpoints (worker/train/checkpoint.h): exact round trip of every dtype, LATEST and
// retention, a torn write leaves the previous checkpoint readable, corruption is detected and
// named, and the CPU RNG state restores the same random stream.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/util/files.h"
#include "worker/train/checkpoint.h"

namespace ecgbench::worker::train {
namespace {

namespace fs = std::filesystem;

fs::path FreshRoot(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ecgbench_ckpt_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

CheckpointContents Sample(int64_t step) {
  torch::manual_seed(step);
  CheckpointContents c;
  c.step = step;
  c.weights["projection.weight"] = torch::randn({3, 4});
  c.weights["lora.bf16"] = torch::randn({5}).to(torch::kBFloat16);
  c.optimizer["projection.weight.exp_avg"] = torch::randn({3, 4});
  c.optimizer["projection.weight.steps"] = torch::tensor({step}, torch::kLong);
  c.rng["cpu"] = CpuRngState();
  c.state = {{"epoch", 1}, {"position", 17}, {"val_losses", {2.5, 2.25}}};
  return c;
}

void ExpectSame(const CheckpointContents& a, const CheckpointContents& b) {
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.state, b.state);
  using Group = std::map<std::string, torch::Tensor>;
  const std::pair<const Group*, const Group*> groups[] = {
      {&a.weights, &b.weights}, {&a.optimizer, &b.optimizer}, {&a.rng, &b.rng}};
  for (const auto& [x, y] : groups) {
    ASSERT_EQ(x->size(), y->size());
    for (const auto& [name, t] : *x) {
      ASSERT_TRUE(y->count(name)) << name;
      EXPECT_EQ(y->at(name).scalar_type(), t.scalar_type()) << name;
      EXPECT_TRUE(torch::equal(y->at(name), t)) << name;
    }
  }
}

TEST(Checkpoint, RoundTripsEveryDtypeExactly) {
  const fs::path root = FreshRoot("roundtrip");
  absl::StatusOr<std::optional<CheckpointContents>> none = ReadLatestCheckpoint(root.string());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());  // a fresh run

  const CheckpointContents written = Sample(40);
  absl::StatusOr<std::string> dir = WriteCheckpoint(root.string(), written);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(fs::path(*dir).filename(), "step-000000040");
  absl::StatusOr<std::optional<CheckpointContents>> read = ReadLatestCheckpoint(root.string());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  ExpectSame(written, **read);
  fs::remove_all(root);
}

TEST(Checkpoint, LatestMovesAndOldOnesAreRemovedBeyondKeep) {
  const fs::path root = FreshRoot("retention");
  for (int64_t step : {10, 20, 30}) ASSERT_TRUE(WriteCheckpoint(root.string(), Sample(step), /*keep=*/2).ok());
  EXPECT_FALSE(fs::exists(root / "step-000000010"));
  EXPECT_TRUE(fs::exists(root / "step-000000020"));
  EXPECT_TRUE(fs::exists(root / "step-000000030"));
  EXPECT_EQ((*ReadLatestCheckpoint(root.string()))->step, 30);
  fs::remove_all(root);
}

TEST(Checkpoint, ATornWriteLeavesThePreviousCheckpoint) {
  const fs::path root = FreshRoot("torn");
  ASSERT_TRUE(WriteCheckpoint(root.string(), Sample(5)).ok());
  // A crash mid-write leaves a temporary directory and no LATEST update.
  fs::create_directories(root / ".step-000000006.tmp-999");
  std::ofstream(root / ".step-000000006.tmp-999" / "tensors.safetensors") << "partial";
  absl::StatusOr<std::optional<CheckpointContents>> read = ReadLatestCheckpoint(root.string());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ((*read)->step, 5);
  // The next successful write works past the leftover.
  ASSERT_TRUE(WriteCheckpoint(root.string(), Sample(6)).ok());
  EXPECT_EQ((*ReadLatestCheckpoint(root.string()))->step, 6);
  fs::remove_all(root);
}

TEST(Checkpoint, CorruptionIsDetectedAndNamesTheFile) {
  const fs::path root = FreshRoot("corrupt");
  const std::string dir = *WriteCheckpoint(root.string(), Sample(7));
  const std::string tensors = dir + "/tensors.safetensors";
  {
    std::fstream f(tensors, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
  }
  const absl::StatusOr<std::optional<CheckpointContents>> read = ReadLatestCheckpoint(root.string());
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(read.status().message().find(tensors), std::string::npos) << read.status();
  EXPECT_NE(read.status().message().find("does not match"), std::string::npos);

  ASSERT_TRUE(common::WriteFileAtomic((root / "LATEST").string(), "../../etc\n").ok());
  EXPECT_EQ(ReadLatestCheckpoint(root.string()).status().code(), absl::StatusCode::kDataLoss);
  fs::remove_all(root);
}

TEST(Checkpoint, RngStateRestoresTheSameStream) {
  torch::manual_seed(123);
  torch::randn({10});
  const torch::Tensor state = CpuRngState();
  const torch::Tensor first = torch::randn({5});
  torch::randn({100});
  RestoreCpuRngState(state);
  EXPECT_TRUE(torch::equal(torch::randn({5}), first));
}

}  // namespace
}  // namespace ecgbench::worker::train
