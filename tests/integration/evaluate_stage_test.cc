// The evaluate and score stages through real processes: a coordinator and two workers on
// 127.0.0.1 train an encoder-free ELM for a few steps, then answer the held-out fold's questions in
// two evaluate shards under the three signal ablations (real ECG, zeros, none), and one score task
// joins the shards and computes BLEU, ROUGE, METEOR and accuracy per condition.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/ecg/synth/dataset_writer.h"
#include "nlohmann/json.hpp"
#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

TEST(EvaluateStageTest, ShardedGenerationIsScoredPerAblationCondition) {
  TestCluster cluster;
  common::ecg::SynthDatasetOptions synth;
  synth.out_dir = cluster.dir() + "/ptbxl";
  synth.records = 16;
  synth.seed = 21;
  ASSERT_TRUE(common::ecg::WriteSyntheticDataset(synth).ok());
  const std::string model_dir = cluster.dir() + "/llm";
  const std::string write_model =
      std::string(ECGBENCH_BIN_DIR) + "/ecgbench-worker --write-random-model " + model_dir + " > /dev/null";
  ASSERT_EQ(std::system(write_model.c_str()), 0);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  const std::string spec =
      "name: it-evaluate\ndata:\n  base: ptbxl\n  root: " + synth.out_dir + "\n  segment_len: 500\n" +
      "  mapped: ecg-qa-ptbxl\n  mapped_root: " + synth.out_dir + "/ecgqa/ptbxl\n  folds: {k: 4}\n" +
      "representation: {kind: signal, encoder: {name: projection}}\n" +
      "model:\n  llm: {path: " + model_dir + ", template: llama3}\n  lora: {rank: 4, alpha: 8}\n" +
      "train:\n  batch_size: 2\n  max_steps: 2\n  max_tokens: 256\n  schedule: {name: constant}\n" +
      "evaluate:\n  generation: {max_new_tokens: 6}\n  metrics: [bleu, rouge, meteor, accuracy]\n" +
      "  ablation: [signal, zeros, none]\n" +
      "resources: {eval_shards: 2, cpus_per_rank: 1}\n";
  auto id = cluster.Submit(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  auto e = cluster.WaitForTerminal(*id, 180000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  const auto& stages = e->runs(0).stages();
  ASSERT_EQ(stages.size(), 5);
  EXPECT_EQ(stages[3].kind(), "evaluate");
  EXPECT_EQ(stages[3].tasks_size(), 2);
  EXPECT_EQ(stages[4].kind(), "score");

  grpc::ClientContext ctx;
  v1::GetResultsRequest req;
  req.set_id(*id);
  v1::GetResultsResponse resp;
  ASSERT_TRUE(cluster.client().GetResults(&ctx, req, &resp).ok());
  const auto& m = resp.runs(0).metrics();
  for (const char* condition : {"signal", "zeros", "none"}) {
    for (const char* metric : {"bleu", "rouge1", "rougeL", "meteor", "accuracy"}) {
      const std::string name = std::string("score.") + condition + "." + metric;
      ASSERT_TRUE(m.count(name)) << name;
      EXPECT_GE(m.at(name), 0.0) << name;
      EXPECT_LE(m.at(name), 1.0) << name;
    }
  }
  // Every condition answers the same turns; the shards' counts add up to the score's.
  const double n = m.at("score.signal.n");
  EXPECT_GT(n, 0);
  EXPECT_EQ(m.at("score.zeros.n"), n);
  EXPECT_EQ(m.at("score.none.n"), n);
  EXPECT_EQ(m.at("evaluate.predictions"), 3 * n);

  // The joined predictions file: one line per (condition, conversation, turn), each with its fields.
  std::string joined;
  for (const auto& p : std::filesystem::recursive_directory_iterator(cluster.dir() + "/artifacts")) {
    if (p.path().filename() == "predictions.jsonl" && p.path().string().find("/score/") != std::string::npos) {
      joined = p.path().string();
    }
  }
  ASSERT_FALSE(joined.empty());
  std::ifstream in(joined);
  std::string line;
  std::map<std::string, int> per_condition;
  std::set<std::string> keys;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.contains("reference") && j.contains("prediction") && j.contains("id")) << line;
    EXPECT_FALSE(j["reference"].get<std::string>().empty()) << line;
    ++per_condition[j["condition"].get<std::string>()];
    keys.insert(j["condition"].get<std::string>() + "/" + j["id"].get<std::string>() + "/" +
                std::to_string(j.value("turn", 0)));
  }
  EXPECT_EQ(per_condition["signal"], n);
  EXPECT_EQ(per_condition["zeros"], n);
  EXPECT_EQ(per_condition["none"], n);
  EXPECT_EQ(keys.size(), static_cast<size_t>(3 * n));  // no turn answered twice across shards
}

// The fifth representation: the 288 ECG features (12 x 24) through the projection, trained and
// evaluated end to end; the export records the 12 x 24 input.
TEST(EvaluateStageTest, FeaturesRepresentationTrainsAndEvaluates) {
  TestCluster cluster;
  common::ecg::SynthDatasetOptions synth;
  synth.out_dir = cluster.dir() + "/ptbxl";
  synth.records = 12;
  synth.seed = 8;
  ASSERT_TRUE(common::ecg::WriteSyntheticDataset(synth).ok());
  const std::string model_dir = cluster.dir() + "/llm";
  const std::string write_model =
      std::string(ECGBENCH_BIN_DIR) + "/ecgbench-worker --write-random-model " + model_dir + " > /dev/null";
  ASSERT_EQ(std::system(write_model.c_str()), 0);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(1, 20000).ok());
  const std::string spec =
      "name: it-features\ndata:\n  base: ptbxl\n  root: " + synth.out_dir + "\n  segment_len: 500\n" +
      "  mapped: ecg-qa-ptbxl\n  mapped_root: " + synth.out_dir + "/ecgqa/ptbxl\n  folds: {k: 4}\n" +
      "representation: {kind: features, encoder: {name: projection}}\n" +
      "model:\n  llm: {path: " + model_dir + ", template: auto}\n  lora: {rank: 4, alpha: 8}\n" +
      "train:\n  batch_size: 2\n  max_steps: 2\n  max_tokens: 256\n  schedule: {name: constant}\n" +
      "evaluate:\n  generation: {max_new_tokens: 4}\n  metrics: [accuracy]\n";
  auto id = cluster.Submit(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  auto e = cluster.WaitForTerminal(*id, 180000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  grpc::ClientContext ctx;
  v1::GetResultsRequest req;
  req.set_id(*id);
  v1::GetResultsResponse resp;
  ASSERT_TRUE(cluster.client().GetResults(&ctx, req, &resp).ok());
  EXPECT_GT(resp.runs(0).metrics().at("score.signal.n"), 0);
  bool exported = false;
  for (const auto& p : std::filesystem::recursive_directory_iterator(cluster.dir() + "/artifacts")) {
    if (p.path().filename() != "elm_config.json") continue;
    std::ifstream in(p.path());
    const nlohmann::json config = nlohmann::json::parse(in);
    EXPECT_EQ(config["elm"]["kind"], "encoder_free");
    EXPECT_EQ(config["elm"]["signal_leads"], 12);
    EXPECT_EQ(config["elm"]["signal_length"], 24);
    exported = true;
  }
  EXPECT_TRUE(exported);
}

// The token ELM with Signal2Vec embeddings (pretrain stage), retrieval-augmented prompts (rag stage)
// and two training conditions (two runs): every stage of both runs succeeds, the train stage
// exports a signal2vec ELM that the evaluate stage reloads, and the prompts carry the retrieval.
TEST(EvaluateStageTest, Signal2VecElmWithRetrievalAndTrainingAblation) {
  TestCluster cluster;
  common::ecg::SynthDatasetOptions synth;
  synth.out_dir = cluster.dir() + "/ptbxl";
  synth.records = 16;
  synth.seed = 5;
  ASSERT_TRUE(common::ecg::WriteSyntheticDataset(synth).ok());
  const std::string model_dir = cluster.dir() + "/llm";
  const std::string write_model =
      std::string(ECGBENCH_BIN_DIR) + "/ecgbench-worker --write-random-model " + model_dir + " > /dev/null";
  ASSERT_EQ(std::system(write_model.c_str()), 0);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  const std::string spec =
      "name: it-s2v-rag\ndata:\n  base: ptbxl\n  root: " + synth.out_dir + "\n  segment_len: 500\n" +
      "  mapped: ecg-qa-ptbxl\n  mapped_root: " + synth.out_dir + "/ecgqa/ptbxl\n  folds: {k: 4}\n" +
      "representation:\n  kind: token\n  ecg_byte: {merges: 40, samples: 20}\n" +
      "  encoder: {name: signal2vec}\n  signal2vec: {dim: 8, epochs: 1, max_pairs: 4000, min_count: 1, batch_size: 256}\n" +
      "model:\n  llm: {path: " + model_dir + ", template: llama3}\n  lora: {rank: 4, alpha: 8}\n" +
      "train:\n  batch_size: 2\n  max_steps: 2\n  max_tokens: 512\n  min_ecg_tokens: 32\n" +
      "  schedule: {name: constant}\n  ablation: [signal, none]\n" +
      "evaluate:\n  generation: {max_new_tokens: 4}\n  metrics: [bleu, accuracy]\n" +
      "rag: {k: 2}\n";
  auto id = cluster.Submit(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  auto e = cluster.WaitForTerminal(*id, 240000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  ASSERT_EQ(e->runs_size(), 2);
  std::vector<std::string> kinds;
  for (const auto& stage : e->runs(0).stages()) kinds.push_back(stage.kind());
  EXPECT_EQ(kinds, (std::vector<std::string>{"preprocess", "dataset", "tokenizer", "pretrain", "rag", "train",
                                             "evaluate", "score"}));

  grpc::ClientContext ctx;
  v1::GetResultsRequest req;
  req.set_id(*id);
  v1::GetResultsResponse resp;
  ASSERT_TRUE(cluster.client().GetResults(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.runs_size(), 2);
  for (const auto& run : resp.runs()) {
    EXPECT_EQ(run.variant().at("train.ablation"), run.run_name() == "train.ablation=signal" ? "signal" : "none");
    EXPECT_GT(run.metrics().at("rag.entries"), 0);
    EXPECT_GT(run.metrics().at("score.signal.n"), 0);
    EXPECT_GE(run.metrics().at("score.signal.bleu"), 0);
  }
  // Two exported signal2vec ELMs (one per training condition), each with its Signal2Vec table.
  int signal2vec_exports = 0;
  for (const auto& p : std::filesystem::recursive_directory_iterator(cluster.dir() + "/artifacts")) {
    if (p.path().filename() != "elm_config.json") continue;
    std::ifstream in(p.path());
    const nlohmann::json config = nlohmann::json::parse(in);
    signal2vec_exports += config["elm"]["kind"] == "signal2vec";
    EXPECT_GE(config["elm"]["ecg_token_offset"].get<int64_t>(), 0);
  }
  EXPECT_EQ(signal2vec_exports, 2);
}

}  // namespace
}  // namespace ecgbench::testing
