// configs/quickstart.yaml (what scripts/quickstart.sh runs) must always plan: two runs (the
// encoder-free ELM on 25 z-scored signal patches and the ECG-Byte ELM), each with the probe, a
// two-shard preprocess of the synthetic PTB-XL-layout dataset, the dataset join, (the ECG-Byte
// tokenizer,) full training of the random-init LLM on two ranks, two evaluation shards with the
// signal ablation, and the score.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/spec/plan.h"
#include "gtest/gtest.h"

namespace ecgbench::common {
namespace {

TEST(QuickstartSpecTest, PlansTheEncoderFreeAndTheEcgByteElm) {
  std::ifstream in(ECGBENCH_QUICKSTART_SPEC);
  ASSERT_TRUE(in.good()) << "cannot read " << ECGBENCH_QUICKSTART_SPEC;
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(text.str(), "quickstart.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->name, "quickstart");
  EXPECT_FALSE(plan->description.empty());
  ASSERT_EQ(plan->runs.size(), 2u);
  EXPECT_EQ(plan->runs[0].name, "representation=signal/projection");
  EXPECT_EQ(plan->runs[1].name, "representation=token");
  for (const RunPlan& run : plan->runs) {
    SCOPED_TRACE(run.name);
    const bool token = run.name == "representation=token";
    std::vector<std::string> kinds;
    for (const StagePlan& stage : run.stages) kinds.push_back(stage.kind);
    const std::vector<std::string> expected =
        token ? std::vector<std::string>{"probe", "preprocess", "dataset", "tokenizer", "train", "evaluate", "score"}
              : std::vector<std::string>{"probe", "preprocess", "dataset", "train", "evaluate", "score"};
    EXPECT_EQ(kinds, expected);
    const StagePlan& probe = run.stages[0];
    ASSERT_EQ(probe.tasks.size(), 1u);
    EXPECT_EQ(probe.tasks[0].ranks, 2);
    EXPECT_EQ(probe.params["duration_s"], 3.0);
    const StagePlan& pre = run.stages[1];
    EXPECT_EQ(pre.tasks.size(), 2u);
    EXPECT_EQ(pre.params["data"]["base"], "ptbxl");
    EXPECT_EQ(pre.params["data"]["segment_len"], 1250);
    EXPECT_EQ(pre.params["data"]["target_rate"], 250);
    const StagePlan& train = run.stages[token ? 4 : 3];
    ASSERT_EQ(train.kind, "train");
    ASSERT_EQ(train.tasks.size(), 1u);
    EXPECT_EQ(train.tasks[0].ranks, 2);
    EXPECT_EQ(train.params["model"]["llm"]["path"], ".ecgbench/models/quickstart-llama");
    EXPECT_EQ(train.params["model"]["lora"]["enabled"], false);
    const nlohmann::json& repr = train.params["representation"];
    if (token) {
      EXPECT_EQ(repr["kind"], "token");
      EXPECT_EQ(repr["ecg_byte"]["merges"], 500);
    } else {
      EXPECT_EQ(repr["kind"], "signal");
      EXPECT_EQ(repr["encoder"]["name"], "projection");
      EXPECT_EQ(repr["encoder_tokens"], 25);
      EXPECT_EQ(repr["normalization"], "zscore");
    }
    const StagePlan& evaluate = run.stages[token ? 5 : 4];
    ASSERT_EQ(evaluate.kind, "evaluate");
    EXPECT_EQ(evaluate.tasks.size(), 2u);
    EXPECT_EQ(evaluate.params["evaluate"]["ablation"], nlohmann::json({"signal", "zeros", "none"}));
    EXPECT_EQ(run.stages.back().depends_on, std::vector<std::string>{"evaluate"});
  }
}

}  // namespace
}  // namespace ecgbench::common
