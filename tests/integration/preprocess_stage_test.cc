// The data and representation stages through real processes: a synthetic PTB-XL-layout dataset is
// split into shards on two workers, each writes a content-addressed part store, and a second
// experiment with the same preprocessing reuses the parts instead of recomputing them; an ECG-Byte
// run trains its tokenizer and Signal2Vec embeddings after the dataset stage.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/synth/dataset_writer.h"
#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

TEST(PreprocessStageTest, ShardsRunOnTwoWorkersAndAreReused) {
  TestCluster cluster;
  common::ecg::SynthDatasetOptions synth;
  synth.out_dir = cluster.dir() + "/ptbxl";
  synth.records = 30;
  synth.seed = 11;
  ASSERT_TRUE(common::ecg::WriteSyntheticDataset(synth).ok());
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  const std::string spec = "name: it-preprocess\ndata:\n  base: ptbxl\n  root: " + synth.out_dir +
                           "\n  segment_len: 1250\n  mapped: ecg-qa-ptbxl\n  mapped_root: " + synth.out_dir +
                           "/ecgqa/ptbxl\n  folds: {k: 3}\nresources: {preprocess_shards: 3}\n";
  auto id = cluster.Submit(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  auto e = cluster.WaitForTerminal(*id, 60000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  ASSERT_EQ(e->runs(0).stages(0).kind(), "preprocess");
  ASSERT_EQ(e->runs(0).stages(0).tasks_size(), 3);
  for (const auto& t : e->runs(0).stages(0).tasks()) {
    EXPECT_EQ(t.state(), v1::STATE_SUCCEEDED);
    EXPECT_EQ(t.progress().done(), 10);  // 30 records / 3 shards, reported live as records
    EXPECT_EQ(t.progress().unit(), "records");
  }
  // The dataset stage joined the shards: one store of 60 segments, 3 patient-grouped folds, and
  // the synthetic ECG-QA questions mapped onto the segments of their records.
  ASSERT_EQ(e->runs(0).stages(1).kind(), "dataset");
  EXPECT_EQ(e->runs(0).stages(1).state(), v1::STATE_SUCCEEDED);
  {
    grpc::ClientContext rctx;
    v1::GetResultsRequest rreq;
    rreq.set_id(*id);
    v1::GetResultsResponse rresp;
    ASSERT_TRUE(cluster.client().GetResults(&rctx, rreq, &rresp).ok());
    const auto& m = rresp.runs(0).metrics();
    EXPECT_EQ(m.at("dataset.segments"), 60.0);
    EXPECT_EQ(m.at("dataset.folds"), 3.0);
    EXPECT_GT(m.at("dataset.groups"), 9.0);   // patients hold 1-3 records each
    EXPECT_LT(m.at("dataset.groups"), 31.0);
    EXPECT_GT(m.at("dataset.conversations"), 60.0);  // several questions per record, one per segment
    EXPECT_EQ(m.at("dataset.unmatched"), 0.0);
  }
  // Three complete part stores and the merged store under content-addressed artifacts.
  int64_t segments = 0;
  int parts = 0;
  for (const auto& p : std::filesystem::recursive_directory_iterator(cluster.dir() + "/artifacts/preprocess")) {
    if (p.path().filename() != "manifest.json") continue;
    auto store = common::ecg::SegmentStore::Open(p.path().parent_path().string());
    ASSERT_TRUE(store.ok()) << store.status();
    segments += (*store)->size();
    ++parts;
  }
  EXPECT_EQ(parts, 3);
  EXPECT_EQ(segments, 60);

  // Another experiment with the same preprocessing reuses every part.
  auto again = cluster.Submit("name: it-preprocess-again\ndata:\n  base: ptbxl\n  root: " + synth.out_dir +
                              "\n  segment_len: 1250\n  mapped: ecg-qa-ptbxl\n  mapped_root: " + synth.out_dir +
                              "/ecgqa/ptbxl\n  folds: {k: 3}\nresources: {preprocess_shards: 3}\n");
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(cluster.WaitForTerminal(*again, 60000).ok());
  grpc::ClientContext ctx;
  v1::GetResultsRequest req;
  req.set_id(*again);
  v1::GetResultsResponse resp;
  ASSERT_TRUE(cluster.client().GetResults(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.runs(0).metrics().at("preprocess.reused"), 3.0);     // all three shards reused
  EXPECT_EQ(resp.runs(0).metrics().at("preprocess.segments"), 60.0);  // summed over the shards
  EXPECT_EQ(resp.runs(0).metrics().at("dataset.reused"), 1.0);
}

TEST(PreprocessStageTest, TokenizerAndSignal2VecFollowTheDataset) {
  TestCluster cluster;
  common::ecg::SynthDatasetOptions synth;
  synth.out_dir = cluster.dir() + "/ptbxl";
  synth.records = 16;
  synth.seed = 12;
  ASSERT_TRUE(common::ecg::WriteSyntheticDataset(synth).ok());
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 2).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(1, 20000).ok());
  const std::string spec = "name: it-ecg-byte\ndata:\n  base: ptbxl\n  root: " + synth.out_dir +
                           "\n  segment_len: 1250\n  folds: {k: 4}\n  fold: 3\n"
                           "representation:\n  kind: token\n  encoder: signal2vec\n"
                           "  ecg_byte: {merges: 50, samples: 12}\n"
                           "  signal2vec: {dim: 16, epochs: 2, window: 4, min_count: 1, max_pairs: 2048, "
                           "batch_size: 256}\n";
  auto id = cluster.Submit(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  auto e = cluster.WaitForTerminal(*id, 90000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  ASSERT_EQ(e->runs(0).stages_size(), 4);
  EXPECT_EQ(e->runs(0).stages(2).kind(), "tokenizer");
  EXPECT_EQ(e->runs(0).stages(3).kind(), "pretrain");
  grpc::ClientContext ctx;
  v1::GetResultsRequest req;
  req.set_id(*id);
  v1::GetResultsResponse resp;
  ASSERT_TRUE(cluster.client().GetResults(&ctx, req, &resp).ok());
  const auto& m = resp.runs(0).metrics();
  EXPECT_EQ(m.at("tokenizer.vocab_size"), 306.0);  // 256 bytes + 50 merges
  EXPECT_EQ(m.at("tokenizer.merges"), 50.0);
  EXPECT_GT(m.at("tokenizer.symbols_per_token"), 1.5);
  EXPECT_EQ(m.at("pretrain.steps"), 16.0);  // 2048 pairs / 256 per step, 2 epochs
  EXPECT_GT(m.at("pretrain.final_loss"), 0.0);
  int tokenizers = 0, embeddings = 0;
  for (const auto& p : std::filesystem::recursive_directory_iterator(cluster.dir() + "/artifacts")) {
    tokenizers += p.path().filename() == "tokenizer.hf.json";
    embeddings += p.path().filename() == "embeddings.npy";
  }
  EXPECT_EQ(tokenizers, 1);
  EXPECT_EQ(embeddings, 1);
}

}  // namespace
}  // namespace ecgbench::testing
