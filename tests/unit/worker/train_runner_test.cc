// The train stage end to end in-process: real preprocess and dataset stages on a synthetic PTB-XL
// dataset with synthetic ECG-QA conversations, a random Llama-architecture model folder, then the
// train runner for the encoder-free ELM (LoRA) and the ECG-Byte ELM (after the tokenizer stage):
// it trains, reports metrics, exports, reuses a finished artifact, resumes after preemption, and
// refuses bad params with the field named.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/ecg/synth/dataset_writer.h"
#include "common/spec/spec_json.h"
#include "common/util/ids.h"
#include "nlohmann/json.hpp"
#include "tests/unit/worker/recording_context.h"
#include "tests/unit/worker/run_stages.h"
#include "worker/nn/random_model_folder.h"
#include "worker/stages/dataset_runner.h"
#include "worker/stages/preprocess_runner.h"
#include "worker/stages/tokenizer_runner.h"
#include "worker/stages/train_runner.h"

namespace ecgbench::worker {
namespace {

using test_support::RecordingContext;
namespace fs = std::filesystem;

class TrainRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (fs::temp_directory_path() / ("ecgbench_train_" + common::RandomHex(6))).string();
    common::ecg::SynthDatasetOptions o;
    o.out_dir = root_ + "/ptbxl";
    o.records = 24;
    o.seed = 5;
    o.write_low_rate = false;
    ASSERT_TRUE(common::ecg::WriteSyntheticDataset(o).ok());
    data_ = {{"base", "ptbxl"},
             {"root", root_ + "/ptbxl"},
             {"mapped", {"ecg-qa-ptbxl"}},
             {"mapped_root", root_ + "/ptbxl/ecgqa/ptbxl"},
             {"target_rate", 250},
             {"segment_len", 500},
             {"filters", "none"},
             {"nan", "skip"},
             {"fold", 2},
             {"folds", {{"k", 3}, {"seed", 7}, {"group_by", "patient"}}}};
    absl::StatusOr<nlohmann::json> dataset = test_support::RunPreprocessAndDataset(data_, root_ + "/artifacts");
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    dataset_result_ = *dataset;
    nn::RandomModelOptions model;
    model.hidden_size = 32;
    model.intermediate_size = 64;
    model.heads = 2;
    model.kv_heads = 1;
    ASSERT_TRUE(nn::WriteRandomModelFolder(root_ + "/llm", model).ok());
  }
  void TearDown() override { fs::remove_all(root_); }

  nlohmann::json Params(const common::RepresentationSpec& repr, int64_t max_steps) const {
    common::ModelSpec model;
    model.llm.path = root_ + "/llm";
    model.llm.chat_template = "llama3";
    model.lora.rank = 4;
    model.lora.alpha = 8;
    common::TrainSpec train;
    train.batch_size = 4;
    train.max_steps = max_steps;
    train.max_tokens = 640;
    train.min_ecg_tokens = 16;
    train.schedule.warmup = 2;
    train.optimizer.lr = 1e-3;
    train.checkpoint_every = 2;
    train.deterministic = true;
    return {{"data", data_}, {"representation", common::ToJson(repr)}, {"model", common::ToJson(model)},
            {"train", common::ToJson(train)}};
  }
  v1::Assignment Assignment(const nlohmann::json& params, const nlohmann::json& inputs) const {
    v1::Assignment a;
    a.set_stage_kind("train");
    a.set_world_size(1);
    a.set_params_json(params.dump());
    a.set_inputs_json(inputs.dump());
    return a;
  }
  TrainStageOptions Options() const {
    TrainStageOptions o;
    o.artifact_root = root_ + "/artifacts";
    o.loader_threads = 1;
    return o;
  }

  std::string root_;
  nlohmann::json data_, dataset_result_;
};

TEST_F(TrainRunnerTest, EncoderFreeTrainsExportsAndIsReused) {
  common::RepresentationSpec repr;  // signal + projection
  const v1::Assignment a = Assignment(Params(repr, 4), {{"dataset", {dataset_result_}}});
  RecordingContext ctx(a);
  auto r = TrainRunner(Options()).Run(ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->results.at("steps"), 4);
  EXPECT_TRUE(std::isfinite(r->results.at("final_loss")));
  const nlohmann::json doc = nlohmann::json::parse(r->result_json);
  EXPECT_EQ(doc["elm_kind"], "encoder_free");
  const std::string export_dir = doc["export"];
  for (const char* f : {"elm_config.json", "elm.safetensors", "tokenizer.json", "README.md",
                        "adapter/adapter_config.json", "adapter/adapter_model.safetensors"}) {
    EXPECT_TRUE(fs::exists(fs::path(export_dir) / f)) << f;
  }
  EXPECT_GE(ctx.MetricValues("train/loss").size(), 4u);
  EXPECT_EQ(ctx.MetricValues("train/lr").size(), ctx.MetricValues("train/loss").size());
  // Achieved model TFLOP/s every step; no MFU without a configured peak.
  const std::vector<double> tflops = ctx.MetricValues("train/model_tflops");
  ASSERT_EQ(tflops.size(), ctx.MetricValues("train/loss").size());
  for (double t : tflops) EXPECT_GT(t, 0.0);
  if (std::getenv("ECGBENCH_PEAK_TFLOPS") == nullptr) {
    EXPECT_TRUE(ctx.MetricValues("train/mfu").empty());
  }
  // The same task again reuses the finished artifact.
  RecordingContext again(a);
  auto r2 = TrainRunner(Options()).Run(again);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_TRUE(nlohmann::json::parse(r2->result_json)["reused"].get<bool>());
}

TEST_F(TrainRunnerTest, PreemptedRunResumesFromItsCheckpoint) {
  common::RepresentationSpec repr;
  const v1::Assignment a = Assignment(Params(repr, 6), {{"dataset", {dataset_result_}}});
  RecordingContext first(a);
  first.RequestPreemptAfterMetrics("train/loss", 3);
  auto r = TrainRunner(Options()).Run(first);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "preempted");
  RecordingContext second(a);
  auto resumed = TrainRunner(Options()).Run(second);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(nlohmann::json::parse(resumed->result_json)["resumed_from_step"], 3);
  EXPECT_EQ(resumed->results.at("steps"), 3);  // this run's steps: 4, 5, 6
}

TEST_F(TrainRunnerTest, EcgByteElmTrainsAfterTheTokenizerStage) {
  common::RepresentationSpec repr;
  repr.kind = "token";
  repr.encoder.name = "none";
  repr.ecg_byte.merges = 40;
  repr.ecg_byte.samples = 30;
  v1::Assignment tok;
  tok.set_stage_kind("tokenizer");
  tok.set_params_json(nlohmann::json{{"data", data_}, {"representation", common::ToJson(repr)}}.dump());
  tok.set_inputs_json(nlohmann::json{{"dataset", {dataset_result_}}}.dump());
  RecordingContext tctx(tok);
  auto t = TokenizerRunner({root_ + "/artifacts"}).Run(tctx);
  ASSERT_TRUE(t.ok()) << t.status();
  const v1::Assignment a = Assignment(
      Params(repr, 2), {{"dataset", {dataset_result_}}, {"tokenizer", {nlohmann::json::parse(t->result_json)}}});
  RecordingContext ctx(a);
  auto r = TrainRunner(Options()).Run(ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(nlohmann::json::parse(r->result_json)["elm_kind"], "ecg_byte");
  EXPECT_EQ(r->results.at("steps"), 2);
}

TEST_F(TrainRunnerTest, BadParamsNameTheField) {
  common::RepresentationSpec repr;
  nlohmann::json params = Params(repr, 2);
  params["train"]["optimizer"]["lr"] = "fast";
  RecordingContext ctx(Assignment(params, {{"dataset", {dataset_result_}}}));
  EXPECT_EQ(TrainRunner(Options()).Run(ctx).status().message(), "train.optimizer.lr: expected a number, got \"fast\"");
  params = Params(repr, 2);
  params["representation"]["encoder"]["name"] = "st_mem";
  RecordingContext ctx2(Assignment(params, {{"dataset", {dataset_result_}}}));
  const absl::Status st = TrainRunner(Options()).Run(ctx2).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("representation.encoder.path"), std::string::npos) << st;
}

}  // namespace
}  // namespace ecgbench::worker
