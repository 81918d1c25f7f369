// Training checkpoints (worker/train/checkpoint.h): exact round trip of every dtype, LATEST and
// retention, a torn write leaves the previous checkpoint readable, corruption is detected and
// named and the previous checkpoint is used instead, a write that runs out of space (a file-size
// limit) fails cleanly, and the CPU RNG state restores the same random stream.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

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

void FlipByteNearEnd(const std::string& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(-3, std::ios::end);
  const char c = static_cast<char>(f.get());
  f.seekp(-3, std::ios::end);
  f.put(static_cast<char>(c ^ 0x5a));
}

std::vector<std::string> Entries(const fs::path& root) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(root)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Checkpoint, CorruptionIsDetectedAndNamesTheFile) {
  const fs::path root = FreshRoot("corrupt");
  const std::string dir = *WriteCheckpoint(root.string(), Sample(7));
  const std::string tensors = dir + "/tensors.safetensors";
  FlipByteNearEnd(tensors);
  const absl::StatusOr<CheckpointContents> direct = ReadCheckpoint(dir);
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(direct.status().message().find(tensors + ": checksum "), std::string::npos) << direct.status();
  EXPECT_NE(direct.status().message().find("does not match state.json's"), std::string::npos);

  // The only checkpoint is corrupt: an error naming it, never a silent fresh start.
  const absl::StatusOr<std::optional<CheckpointContents>> read = ReadLatestCheckpoint(root.string());
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(read.status().message().rfind(root.string() + ": no checkpoint verifies (" + tensors + ": checksum ", 0), 0)
      << read.status();
  // It was renamed aside; a second read finds LATEST naming a missing directory and says so.
  ASSERT_EQ(Entries(root).size(), 2u);
  EXPECT_EQ(Entries(root)[0].rfind(".corrupt-step-000000007-", 0), 0u) << Entries(root)[0];
  EXPECT_EQ(ReadLatestCheckpoint(root.string()).status().code(), absl::StatusCode::kDataLoss);

  ASSERT_TRUE(common::WriteFileAtomic((root / "LATEST").string(), "../../etc\n").ok());
  const auto escaped = ReadLatestCheckpoint(root.string());
  EXPECT_EQ(escaped.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(escaped.status().message().find("does not name a step directory: '../../etc'"), std::string::npos)
      << escaped.status();
  fs::remove_all(root);
}

TEST(Checkpoint, ACorruptedLatestFallsBackToThePreviousOne) {
  const fs::path root = FreshRoot("fallback");
  ASSERT_TRUE(WriteCheckpoint(root.string(), Sample(4), /*keep=*/3).ok());
  ASSERT_TRUE(WriteCheckpoint(root.string(), Sample(8), /*keep=*/3).ok());
  const std::string newest = *WriteCheckpoint(root.string(), Sample(12), /*keep=*/3);
  FlipByteNearEnd(newest + "/tensors.safetensors");

  const absl::StatusOr<std::optional<CheckpointContents>> read = ReadLatestCheckpoint(root.string());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  ExpectSame(**read, Sample(8));
  ASSERT_EQ((*read)->skipped.size(), 1u);
  EXPECT_EQ((*read)->skipped[0].rfind(newest + "/tensors.safetensors: checksum ", 0), 0u) << (*read)->skipped[0];

  // The bad directory is kept aside (not counted by retention); training goes on from step 8.
  const std::vector<std::string> entries = Entries(root);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].rfind(".corrupt-step-000000012-", 0), 0u) << entries[0];
  EXPECT_EQ(entries[1], "LATEST");
  EXPECT_EQ(entries[2], "step-000000004");
  EXPECT_EQ(entries[3], "step-000000008");
  ASSERT_TRUE(WriteCheckpoint(root.string(), Sample(12), /*keep=*/3).ok());
  ExpectSame(**ReadLatestCheckpoint(root.string()), Sample(12));

  // LATEST naming a directory that vanished (a crash while a rerun replaced it) also falls back.
  fs::remove_all(root / "step-000000012");
  const auto after_loss = ReadLatestCheckpoint(root.string());
  ASSERT_TRUE(after_loss.ok()) << after_loss.status();
  EXPECT_EQ((*after_loss)->step, 8);
  EXPECT_NE((*after_loss)->skipped.at(0).find("step-000000012/state.json"), std::string::npos) << (*after_loss)->skipped[0];
  fs::remove_all(root);
}

// Disk full: the file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) makes write(2) fail part-way
// through the tensors file, as ENOSPC would. The write fails with a message naming the file, its
// temporary directory is gone, and LATEST still names the previous checkpoint, which verifies.
TEST(Checkpoint, AWriteThatRunsOutOfSpaceLeavesThePreviousCheckpoint) {
  const fs::path root = FreshRoot("full");
  ASSERT_TRUE(WriteCheckpoint(root.string(), Sample(3)).ok());
  CheckpointContents big = Sample(9);
  big.weights["big"] = torch::zeros({64, 1024});  // 256 KiB: over the limit below

  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  void (*previous_handler)(int) = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  const absl::StatusOr<std::string> written = WriteCheckpoint(root.string(), big);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  std::signal(SIGXFSZ, previous_handler);

  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.status().message().rfind("checkpoint step 9 not written (the previous one stays): ", 0), 0u)
      << written.status();
  EXPECT_NE(written.status().message().find("tensors.safetensors"), std::string::npos) << written.status();
  EXPECT_NE(written.status().message().find("File too large"), std::string::npos) << written.status();
  EXPECT_EQ(Entries(root), (std::vector<std::string>{"LATEST", "step-000000003"}));
  const auto read = ReadLatestCheckpoint(root.string());
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSame(**read, Sample(3));
  EXPECT_TRUE((*read)->skipped.empty());
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
