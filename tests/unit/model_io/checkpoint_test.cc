// Checkpoint: sharded sets through model.safetensors.index.json, single files, and the errors
// for missing, duplicate and unlisted tensors and unsafe shard paths.
#include "common/model_io/checkpoint.h"

#include <vector>

#include "common/model_io/safetensors_writer.h"
#include "gtest/gtest.h"
#include "tests/unit/model_io/test_util.h"

namespace ecgbench::common::model_io {
namespace {

using testing::TempDir;
using testing::WriteBytes;

void WriteShard(const std::string& path, const std::vector<std::pair<std::string, float>>& tensors) {
  SafetensorsWriter writer;
  for (const auto& [name, value] : tensors) {
    const float values[2] = {value, value + 1};
    ASSERT_TRUE(writer.AddFloat32(name, {2}, values, DType::kBF16).ok());
  }
  ASSERT_TRUE(writer.Write(path).ok());
}

constexpr char kIndex[] = R"({
  "metadata": {"total_size": 16},
  "weight_map": {
    "lm_head.weight": "model-00002-of-00002.safetensors",
    "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
    "model.norm.weight": "model-00002-of-00002.safetensors",
    "model.layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors"
  }
})";

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteShard(dir_ / "model-00001-of-00002.safetensors",
               {{"model.embed_tokens.weight", 1.0f}, {"model.layers.0.mlp.up_proj.weight", 3.0f}});
    WriteShard(dir_ / "model-00002-of-00002.safetensors", {{"model.norm.weight", 5.0f}, {"lm_head.weight", 7.0f}});
  }
  TempDir dir_;
};

TEST_F(CheckpointTest, OpensShardedSetAsOne) {
  WriteBytes(dir_ / kSafetensorsIndexName, kIndex);
  absl::StatusOr<Checkpoint> ckpt = Checkpoint::OpenDirectory(dir_.path());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->shards().size(), 2u);
  EXPECT_EQ(ckpt->size(), 4u);
  EXPECT_EQ(ckpt->TensorNames(), (std::vector<std::string>{"lm_head.weight", "model.embed_tokens.weight",
                                                           "model.layers.0.mlp.up_proj.weight", "model.norm.weight"}));
  EXPECT_EQ(*ckpt->ReadFloat32("lm_head.weight"), (std::vector<float>{7.0f, 8.0f}));
  EXPECT_EQ(*ckpt->ReadFloat32("model.layers.0.mlp.up_proj.weight"), (std::vector<float>{3.0f, 4.0f}));
  EXPECT_EQ(*ckpt->ShardOf("model.norm.weight"), dir_ / "model-00002-of-00002.safetensors");
  EXPECT_EQ(ckpt->TotalTensorBytes(), 16u);
  ASSERT_EQ(ckpt->index_metadata().size(), 1u);
  EXPECT_EQ(ckpt->index_metadata()[0], (std::pair<std::string, std::string>{"total_size", "16"}));
  absl::StatusOr<TensorView> view = ckpt->Tensor("model.norm.weight");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->dtype, DType::kBF16);
  EXPECT_TRUE(view->IsAligned());
  const absl::Status missing = ckpt->Tensor("model.layers.1.mlp.up_proj.weight").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), dir_ / kSafetensorsIndexName + ": no tensor 'model.layers.1.mlp.up_proj.weight'");
}

TEST_F(CheckpointTest, IndexNamingATensorItsShardLacks) {
  std::string index = kIndex;
  const std::string from = "\"lm_head.weight\": \"model-00002";
  index.replace(index.find(from), from.size(), "\"lm_head.weight\": \"model-00001");
  WriteBytes(dir_ / kSafetensorsIndexName, index);
  EXPECT_EQ(Checkpoint::OpenDirectory(dir_.path()).status().message(),
            dir_ / kSafetensorsIndexName +
                ": tensor 'lm_head.weight' is mapped to model-00001-of-00002.safetensors but that file has no such tensor");
}

TEST_F(CheckpointTest, ShardTensorMissingFromIndex) {
  std::string index = kIndex;
  index.erase(index.find("\"model.norm.weight\""), std::string("\"model.norm.weight\": \"model-00002-of-00002.safetensors\",\n    ").size());
  WriteBytes(dir_ / kSafetensorsIndexName, index);
  EXPECT_EQ(Checkpoint::OpenDirectory(dir_.path()).status().message(),
            dir_ / kSafetensorsIndexName +
                ": tensor 'model.norm.weight' is stored in model-00002-of-00002.safetensors but the weight_map does not list it");
}

TEST_F(CheckpointTest, DuplicateTensorAcrossShards) {
  WriteShard(dir_ / "model-00002-of-00002.safetensors",
             {{"model.norm.weight", 5.0f}, {"lm_head.weight", 7.0f}, {"model.embed_tokens.weight", 9.0f}});
  WriteBytes(dir_ / kSafetensorsIndexName, kIndex);
  EXPECT_EQ(Checkpoint::OpenDirectory(dir_.path()).status().message(),
            dir_ / kSafetensorsIndexName +
                ": tensor 'model.embed_tokens.weight' is stored in model-00002-of-00002.safetensors but the "
                "weight_map maps it to model-00001-of-00002.safetensors");
  // Without an index, the same duplicate across explicit files names both files.
  const absl::Status st = Checkpoint::OpenFiles({dir_ / "model-00001-of-00002.safetensors",
                                                 dir_ / "model-00002-of-00002.safetensors"})
                              .status();
  EXPECT_NE(st.message().find(": tensor 'model.embed_tokens.weight' is stored in both " + dir_ /
                              "model-00001-of-00002.safetensors and " + dir_ / "model-00002-of-00002.safetensors"),
            std::string::npos)
      << st;
}

TEST_F(CheckpointTest, BadIndexes) {
  const std::string index_path = dir_ / kSafetensorsIndexName;
  WriteBytes(index_path, R"({"weight_map": {"a": "../elsewhere.safetensors"}})");
  EXPECT_EQ(Checkpoint::OpenIndex(index_path).status().message(),
            index_path + ": weight_map entry 'a' names '../elsewhere.safetensors', outside the checkpoint directory");
  WriteBytes(index_path, R"({"weight_map": {"a": "model-00003-of-00003.safetensors"}})");
  const absl::Status missing_shard = Checkpoint::OpenIndex(index_path).status();
  EXPECT_EQ(missing_shard.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing_shard.message(), index_path + ": shard 'model-00003-of-00003.safetensors' (holding 'a'): " +
                                         dir_ / "model-00003-of-00003.safetensors" +
                                         ": cannot open: No such file or directory");
  WriteBytes(index_path, R"({"metadata": {}})");
  EXPECT_EQ(Checkpoint::OpenIndex(index_path).status().message(),
            index_path + ": \"weight_map\" is missing or not an object");
  WriteBytes(index_path, R"({"weight_map": {"a": 3}})");
  EXPECT_EQ(Checkpoint::OpenIndex(index_path).status().message(), index_path + ": weight_map entry 'a' must be a file name");
}

TEST(CheckpointSingleTest, SingleFileAndMissingDirectory) {
  TempDir dir;
  WriteShard(dir / kSafetensorsSingleName, {{"w", 2.0f}});
  absl::StatusOr<Checkpoint> ckpt = Checkpoint::OpenDirectory(dir.path());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(*ckpt->ReadFloat32("w"), (std::vector<float>{2.0f, 3.0f}));
  TempDir empty;
  const absl::Status st = Checkpoint::OpenDirectory(empty.path()).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), empty.path() +
                              ": no model.safetensors.index.json or model.safetensors (only safetensors checkpoints are supported)");
}

}  // namespace
}  // namespace ecgbench::common::model_io
