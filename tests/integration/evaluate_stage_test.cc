// The evaluate and score stages through real processes: a coordinator and two workers on
// 127.0.0.1 train an encoder-free ELM for a few steps, then answer the held-out fold's questions in
// two evaluate shards under the three signal ablations (real ECG, zeros, none) with an LLM judge
// ranking two sampled answers per turn, and one score task joins the shards and computes BLEU,
// ROUGE, METEOR and accuracy per condition.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/elm_fixture.h"

namespace ecgbench::testing {
namespace {

TEST(EvaluateStageTest, ShardedGenerationIsScoredPerAblationCondition) {
  TestCluster cluster;
  ElmFixture fx;
  ASSERT_NO_FATAL_FAILURE(StartElmFixture(cluster, 16, 21, 2, &fx));
  const std::string& model_dir = fx.model_dir;
  const std::string spec =
      "name: it-evaluate\n" + fx.DataSection() +
      "representation: {kind: signal, encoder: {name: projection}}\n" +
      "model:\n  llm: {path: " + model_dir + ", template: llama3}\n  lora: {rank: 4, alpha: 8}\n" +
      "train:\n  batch_size: 2\n  max_steps: 2\n  max_tokens: 256\n  schedule: {name: constant}\n" +
      "evaluate:\n  generation: {max_new_tokens: 6}\n  metrics: [bleu, rouge, meteor, accuracy]\n" +
      "  ablation: [signal, zeros, none]\n  judge: {path: " + model_dir + "}\n" +
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
  // The judge: one preference pair per `signal` turn, over both shards.
  EXPECT_EQ(m.at("evaluate.preference_pairs"), n);
  int pair_lines = 0;
  for (const auto& p : std::filesystem::recursive_directory_iterator(cluster.dir() + "/artifacts")) {
    if (p.path().filename() != "preferences.jsonl") continue;
    std::ifstream pairs(p.path());
    std::string pair;
    while (std::getline(pairs, pair)) {
      const nlohmann::json j = nlohmann::json::parse(pair);
      EXPECT_TRUE(j.contains("chosen") && j.contains("rejected") && j.contains("prompt")) << pair;
      EXPECT_GE(j["margin"].get<double>(), 0.0);
      ++pair_lines;
    }
  }
  EXPECT_EQ(pair_lines, n);

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
  ElmFixture fx;
  ASSERT_NO_FATAL_FAILURE(StartElmFixture(cluster, 12, 8, 1, &fx));
  const std::string& model_dir = fx.model_dir;
  const std::string spec =
      "name: it-features\n" + fx.DataSection() +
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
  ElmFixture fx;
  ASSERT_NO_FATAL_FAILURE(StartElmFixture(cluster, 16, 5, 2, &fx));
  const std::string& model_dir = fx.model_dir;
  const std::string spec =
      "name: it-s2v-rag\n" + fx.DataSection() +
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
