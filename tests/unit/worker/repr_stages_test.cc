// The tokenizer and pretrain (Signal2Vec) stage runners after real preprocess and dataset stages
// on a synthetic PTB-XL-layout dataset: the tokenizer trains on the training folds only, writes
// its files and is reused by a second run; Signal2Vec embeds the tokenizer's vocabulary; bad
// parameters and missing inputs fail with clear messages.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "common/ecg/dataset/content_hash.h"
#include "common/ecg/synth/dataset_writer.h"
#include "common/repr/ecg_byte/tokenizer_file.h"
#include "common/repr/signal2vec/signal2vec_model.h"
#include "common/util/ids.h"
#include "nlohmann/json.hpp"
#include "tests/unit/worker/recording_context.h"
#include "tests/unit/worker/run_stages.h"
#include "worker/stages/dataset_runner.h"
#include "worker/stages/preprocess_runner.h"
#include "worker/stages/pretrain_runner.h"
#include "worker/stages/run_data.h"
#include "worker/stages/tokenizer_runner.h"

namespace ecgbench::worker {
namespace {

using test_support::RecordingContext;

class ReprStagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (std::filesystem::temp_directory_path() / ("ecgbench_repr_" + common::RandomHex(6))).string();
    common::ecg::SynthDatasetOptions o;
    o.out_dir = root_ + "/ptbxl";
    o.records = 24;
    o.seed = 5;
    o.write_ecgqa = false;
    o.write_low_rate = false;
    ASSERT_TRUE(common::ecg::WriteSyntheticDataset(o).ok());
    data_ = {{"base", "ptbxl"},       {"root", root_ + "/ptbxl"}, {"target_rate", 250}, {"segment_len", 1250},
             {"filters", "none"},     {"nan", "skip"},            {"fold", 2},
             {"folds", {{"k", 3}, {"seed", 7}, {"group_by", "patient"}}}};
    // preprocess (one shard) -> dataset: the inputs of every later stage.
    absl::StatusOr<nlohmann::json> dataset = test_support::RunPreprocessAndDataset(data_, root_ + "/artifacts");
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    dataset_result_ = *dataset;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  v1::Assignment Stage(const std::string& kind, const nlohmann::json& representation, nlohmann::json inputs = {}) {
    v1::Assignment a;
    a.set_stage_kind(kind);
    a.set_num_shards(1);
    a.set_cpu_cores(2);
    a.set_params_json(nlohmann::json{{"data", data_}, {"representation", representation}}.dump());
    if (inputs.is_null()) inputs = nlohmann::json::object();
    inputs["dataset"] = {dataset_result_};
    a.set_inputs_json(inputs.dump());
    return a;
  }

  std::string root_;
  nlohmann::json data_;
  nlohmann::json dataset_result_;
};

TEST_F(ReprStagesTest, TokenizerTrainsOnTrainingFoldsAndIsReused) {
  const nlohmann::json rep = {{"kind", "token"}, {"normalization", "minmax"},
                              {"ecg_byte", {{"merges", 40}, {"samples", 10}}}};
  RecordingContext ctx(Stage("tokenizer", rep));
  auto r = TokenizerRunner({root_ + "/artifacts"}).Run(ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->results.at("reused"), 0);
  EXPECT_EQ(r->results.at("vocab_size"), 296);
  EXPECT_GT(r->results.at("symbols_per_token"), 1.5);
  EXPECT_EQ(ctx.last_unit, "merges");
  EXPECT_EQ(ctx.last_done, 40);
  const nlohmann::json doc = nlohmann::json::parse(r->result_json);
  auto file = common::repr::LoadTokenizer(doc["tokenizer"].get<std::string>());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->tokenizer.num_merges(), 40);
  EXPECT_TRUE(std::filesystem::exists(doc["hf_tokenizer"].get<std::string>()));
  // Ten segments, none of them from the held-out fold (fold 2 of 3).
  auto run = LoadRunData(Stage("tokenizer", rep));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(file->training["segments"], 10);
  EXPECT_EQ(file->training["training_segments"], run->train_segments.size());
  EXPECT_EQ(file->training["test_fold"], 2);
  EXPECT_EQ(file->training["symbols"], 10 * 12 * 1250);
  for (int64_t s : SampleTrainSegments(*run, 10, 7)) EXPECT_NE(run->folds.fold[static_cast<size_t>(s)], 1);

  // The same data, fold and settings again: reused, same file.
  RecordingContext again(Stage("tokenizer", rep));
  auto r2 = TokenizerRunner({root_ + "/artifacts"}).Run(again);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->results.at("reused"), 1);
  EXPECT_EQ(nlohmann::json::parse(r2->result_json)["tokenizer"], doc["tokenizer"]);
  // Another held-out fold is another tokenizer (no test ECG ever trains it).
  data_["fold"] = 1;
  RecordingContext other(Stage("tokenizer", rep));
  auto r3 = TokenizerRunner({root_ + "/artifacts"}).Run(other);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->results.at("reused"), 0);
  EXPECT_NE(nlohmann::json::parse(r3->result_json)["key"], doc["key"]);
}

TEST_F(ReprStagesTest, PercentileNormalizationSavesItsStatistics) {
  const nlohmann::json rep = {{"kind", "token"}, {"normalization", "percentile"},
                              {"ecg_byte", {{"merges", 10}, {"samples", 4}}}};
  RecordingContext ctx(Stage("tokenizer", rep));
  auto r = TokenizerRunner({root_ + "/artifacts"}).Run(ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  const nlohmann::json doc = nlohmann::json::parse(r->result_json);
  ASSERT_TRUE(doc.contains("percentiles"));
  EXPECT_TRUE(std::filesystem::exists(doc["percentiles"].get<std::string>()));
}

TEST_F(ReprStagesTest, TokenizerRejectsBadParametersAndMissingInputs) {
  RecordingContext big(Stage("tokenizer", {{"kind", "token"}, {"ecg_byte", {{"merges", 70000}}}}));
  EXPECT_EQ(TokenizerRunner({root_ + "/artifacts"}).Run(big).status().message(),
            "representation.ecg_byte.merges: 70000 is outside 1..65278");
  RecordingContext norm(Stage("tokenizer", {{"kind", "token"}, {"normalization", "zscore"}}));
  EXPECT_EQ(TokenizerRunner({root_ + "/artifacts"}).Run(norm).status().message(),
            "representation.normalization: expected minmax or percentile, got \"zscore\"");
  v1::Assignment no_inputs = Stage("tokenizer", {{"kind", "token"}});
  no_inputs.set_inputs_json("{}");
  RecordingContext missing(no_inputs);
  const absl::Status st = TokenizerRunner({root_ + "/artifacts"}).Run(missing).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "no dataset stage result among the stage's inputs");
}

TEST_F(ReprStagesTest, PretrainSignal2VecEmbedsTheTokenizerVocabulary) {
  const nlohmann::json tok_rep = {{"kind", "token"}, {"ecg_byte", {{"merges", 30}, {"samples", 8}}}};
  RecordingContext tctx(Stage("tokenizer", tok_rep));
  auto tok = TokenizerRunner({root_ + "/artifacts"}).Run(tctx);
  ASSERT_TRUE(tok.ok()) << tok.status();
  nlohmann::json rep = tok_rep;
  rep["encoder"] = {{"name", "signal2vec"}, {"path", nullptr}, {"pretrain", false}};
  rep["signal2vec"] = {{"dim", 8}, {"epochs", 2}, {"window", 3}, {"min_count", 1}, {"max_pairs", 4096},
                       {"batch_size", 256}, {"negatives", 2}, {"lr", 0.01}};
  const nlohmann::json inputs = {{"tokenizer", {nlohmann::json::parse(tok->result_json)}}};
  RecordingContext ctx(Stage("pretrain", rep, inputs));
  auto r = PretrainRunner({root_ + "/artifacts"}).Run(ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->results.at("reused"), 0);
  EXPECT_EQ(r->results.at("steps"), 2 * 16);  // 4096 pairs / 256 per batch, 2 epochs
  const nlohmann::json doc = nlohmann::json::parse(r->result_json);
  auto model = common::repr::LoadSignal2VecModel(doc["embeddings"].get<std::string>());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->vocab_size, 286);
  EXPECT_EQ(model->dim, 8);
  EXPECT_EQ(ctx.last_unit, "epochs");
  // Reused the second time.
  RecordingContext again(Stage("pretrain", rep, inputs));
  auto r2 = PretrainRunner({root_ + "/artifacts"}).Run(again);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->results.at("reused"), 1);
  // The vision encoders have no pretraining in this worker (the ECG encoders do:
  // encoder_pretrain_test.cc): a clear, non-retryable error.
  nlohmann::json clip = {{"kind", "image"}, {"encoder", {{"name", "clip"}, {"pretrain", true}}}};
  RecordingContext other(Stage("pretrain", clip));
  const absl::Status st = PretrainRunner({root_ + "/artifacts"}).Run(other).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "pretraining the clip encoder is not supported by this worker; give "
                          "representation.encoder.path (pretrained weights) instead");
  // Signal2Vec without any tokenizer.
  RecordingContext no_tok(Stage("pretrain", rep));
  EXPECT_EQ(PretrainRunner({root_ + "/artifacts"}).Run(no_tok).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ecgbench::worker
