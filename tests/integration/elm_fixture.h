// What the ELM stage tests (train, evaluate, rag, score) start from: a coordinator and `workers`
// one-core workers on loopback, a synthetic PTB-XL-layout dataset with its ECG-QA conversations,
// and a random Llama-architecture model folder written by `ecgbench-worker --write-random-model`.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/ecg/synth/dataset_writer.h"
#include "tests/integration/cluster.h"

namespace ecgbench::testing {

struct ElmFixture {
  std::string data_dir;   // <cluster>/ptbxl
  std::string model_dir;  // <cluster>/llm
  // The spec's `data:` section over the fixture's records (500-sample segments, 4 folds, ECG-QA).
  std::string DataSection() const {
    return "data:\n  base: ptbxl\n  root: " + data_dir + "\n  segment_len: 500\n  mapped: ecg-qa-ptbxl\n" +
           "  mapped_root: " + data_dir + "/ecgqa/ptbxl\n  folds: {k: 4}\n";
  }
};

// Writes the data and the model, starts the coordinator and the workers (gtest assertions inside:
// call it through ASSERT_NO_FATAL_FAILURE).
inline void StartElmFixture(TestCluster& cluster, int records, uint64_t seed, int workers, ElmFixture* out) {
  out->data_dir = cluster.dir() + "/ptbxl";
  out->model_dir = cluster.dir() + "/llm";
  common::ecg::SynthDatasetOptions synth;
  synth.out_dir = out->data_dir;
  synth.records = records;
  synth.seed = seed;
  ASSERT_TRUE(common::ecg::WriteSyntheticDataset(synth).ok());
  const std::string write_model =
      std::string(ECGBENCH_BIN_DIR) + "/ecgbench-worker --write-random-model " + out->model_dir + " > /dev/null";
  ASSERT_EQ(std::system(write_model.c_str()), 0);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  for (int w = 1; w <= workers; ++w) ASSERT_TRUE(cluster.StartWorker("w" + std::to_string(w), 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(workers, 20000).ok());
}

}  // namespace ecgbench::testing
