// The train stage through real processes: a coordinator and two workers on 127.0.0.1 run
// preprocess, dataset and tokenizer, then LoRA fine-tuning of the ECG-Byte ELM as one task of two
// data-parallel ranks (Gloo, meeting through the coordinator's rendezvous KV), on a random
// Llama-architecture model folder written by `ecgbench-worker --write-random-model`. The results
// carry the steps and the loss, both ranks ran, and the export and checkpoints are on disk.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/integration/elm_fixture.h"

namespace ecgbench::testing {
namespace {

TEST(TrainStageTest, TwoRanksFineTuneTheEcgByteElm) {
  TestCluster cluster;
  ElmFixture fx;
  ASSERT_NO_FATAL_FAILURE(StartElmFixture(cluster, 20, 13, 2, &fx));
  const std::string& model_dir = fx.model_dir;
  const std::string spec =
      "name: it-train\n" + fx.DataSection() +
      "representation:\n  kind: token\n  ecg_byte: {merges: 60, samples: 20}\n" +
      "model:\n  llm: {path: " + model_dir + ", template: llama3}\n  lora: {rank: 4, alpha: 8}\n" +
      "train:\n  batch_size: 2\n  max_steps: 5\n  max_tokens: 384\n  min_ecg_tokens: 64\n" +
      "  schedule: {name: noam, warmup: 2}\n  checkpoint_every: 2\n" +
      "resources: {ranks: 2, cpus_per_rank: 1}\n";
  auto id = cluster.Submit(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  auto e = cluster.WaitForTerminal(*id, 120000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  const auto& stages = e->runs(0).stages();
  ASSERT_EQ(stages.size(), 4);
  EXPECT_EQ(stages[3].kind(), "train");
  ASSERT_EQ(stages[3].tasks_size(), 1);
  grpc::ClientContext ctx;
  v1::GetResultsRequest req;
  req.set_id(*id);
  v1::GetResultsResponse resp;
  ASSERT_TRUE(cluster.client().GetResults(&ctx, req, &resp).ok());
  const auto& m = resp.runs(0).metrics();
  EXPECT_EQ(m.at("train.steps"), 5.0);
  EXPECT_TRUE(std::isfinite(m.at("train.final_loss")));
  EXPECT_GT(m.at("train.final_loss"), 0.0);
  int adapters = 0, checkpoints = 0;
  for (const auto& p : std::filesystem::recursive_directory_iterator(cluster.dir() + "/artifacts")) {
    adapters += p.path().filename() == "adapter_model.safetensors";
    checkpoints += p.path().filename() == "LATEST";
  }
  EXPECT_EQ(adapters, 1);  // rank 0 exports
  EXPECT_EQ(checkpoints, 1);
}

}  // namespace
}  // namespace ecgbench::testing
