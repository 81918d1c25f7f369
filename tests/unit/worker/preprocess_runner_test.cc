// The preprocess stage runner on a synthetic PTB-XL-layout dataset: shards write content-addressed
// parts, a second run reuses them, progress is reported, bad parameters fail with a clear message.
#include "worker/stages/preprocess_runner.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ecg/dataset/content_hash.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/synth/dataset_writer.h"
#include "common/util/ids.h"
#include "nlohmann/json.hpp"
#include "tests/unit/worker/recording_context.h"

namespace ecgbench::worker {
namespace {

using test_support::RecordingContext;

class PreprocessRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (std::filesystem::temp_directory_path() / ("ecgbench_pre_" + common::RandomHex(6))).string();
    common::ecg::SynthDatasetOptions o;
    o.out_dir = root_ + "/ptbxl";
    o.records = 9;
    o.seed = 3;
    o.write_ecgqa = false;
    o.write_low_rate = false;
    ASSERT_TRUE(common::ecg::WriteSyntheticDataset(o).ok());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  v1::Assignment Shard(int shard, int num_shards, const std::string& data_root) {
    v1::Assignment a;
    a.set_stage_kind("preprocess");
    a.set_shard(shard);
    a.set_num_shards(num_shards);
    a.set_cpu_cores(2);
    a.set_params_json(nlohmann::json{{"data", {{"base", "ptbxl"}, {"root", data_root}, {"target_rate", 250},
                                               {"segment_len", 500}, {"filters", "none"}, {"nan", "skip"}}},
                                     {"run", {{"name", "default"}}}}
                          .dump());
    return a;
  }
  std::string root_;
};

TEST_F(PreprocessRunnerTest, ShardsWritePartsAndSecondRunReusesThem) {
  PreprocessRunner runner({root_ + "/artifacts"});
  double segments = 0;
  std::string artifact;
  for (int s = 0; s < 2; ++s) {
    RecordingContext ctx(Shard(s, 2, root_ + "/ptbxl"));
    auto r = runner.Run(ctx);
    ASSERT_TRUE(r.ok()) << r.status();
    segments += r->results.at("segments");
    EXPECT_EQ(r->results.at("reused"), 0);
    EXPECT_EQ(ctx.last_done, s == 0 ? 5 : 4);  // 9 records split 5 + 4
    EXPECT_EQ(ctx.last_total, ctx.last_done);
    auto j = nlohmann::json::parse(r->result_json);
    auto store = common::ecg::SegmentStore::Open(j["store"].get<std::string>());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->segment_length(), 500);
    EXPECT_TRUE(common::ecg::IsArtifactComplete(j["store"].get<std::string>()));
    if (s == 0) artifact = j["artifact"].get<std::string>();
    EXPECT_EQ(j["artifact"].get<std::string>(), artifact);
  }
  EXPECT_EQ(segments, 45);  // 9 records x 2500 samples at 250 Hz / 500
  // The same preprocessing again (another experiment): nothing is recomputed.
  RecordingContext again(Shard(1, 2, root_ + "/ptbxl"));
  auto r = runner.Run(again);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->results.at("reused"), 1);
  EXPECT_EQ(r->results.at("segments"), 20);
  // Different parameters are a different artifact.
  v1::Assignment other = Shard(0, 1, root_ + "/ptbxl");
  RecordingContext ctx(other);
  auto whole = runner.Run(ctx);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->results.at("reused"), 0);
  EXPECT_NE(nlohmann::json::parse(whole->result_json)["artifact"].get<std::string>(), artifact);
}

TEST_F(PreprocessRunnerTest, MissingCatalogFailsWithThePath) {
  PreprocessRunner runner({root_ + "/artifacts"});
  RecordingContext ctx(Shard(0, 1, root_ + "/nowhere"));
  auto r = runner.Run(ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(root_ + "/nowhere"), std::string::npos) << r.status();
}

TEST_F(PreprocessRunnerTest, BadParametersAreRejected) {
  PreprocessRunner runner({root_ + "/artifacts"});
  v1::Assignment a = Shard(0, 1, root_ + "/ptbxl");
  a.set_params_json(R"({"data": {"base": "ptbxl", "root": "x", "filters": "fancy"}})");
  RecordingContext ctx(a);
  EXPECT_EQ(runner.Run(ctx).status().message(), "preprocess params: data.filters must be none or paper, got \"fancy\"");
  a.set_params_json(R"({"run": {}})");
  RecordingContext ctx2(a);
  EXPECT_EQ(runner.Run(ctx2).status().message(), "preprocess params: missing the data section");
}

}  // namespace
}  // namespace ecgbench::worker
