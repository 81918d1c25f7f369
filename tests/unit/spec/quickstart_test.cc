// configs/quickstart.yaml (what scripts/quickstart.sh runs) must always plan: today the probe, a
// two-shard preprocess of the synthetic PTB-XL-layout dataset, and the one-task dataset join.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/spec/plan.h"
#include "gtest/gtest.h"

namespace ecgbench::common {
namespace {

TEST(QuickstartSpecTest, ParsesAndPlansProbePreprocessDatasetTokenizerAndTrain) {
  std::ifstream in(ECGBENCH_QUICKSTART_SPEC);
  ASSERT_TRUE(in.good()) << "cannot read " << ECGBENCH_QUICKSTART_SPEC;
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(text.str(), "quickstart.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->name, "quickstart");
  EXPECT_FALSE(plan->description.empty());
  ASSERT_EQ(plan->runs.size(), 1u);
  ASSERT_FALSE(plan->runs[0].stages.empty());
  const StagePlan& probe = plan->runs[0].stages[0];
  EXPECT_EQ(probe.kind, "probe");
  ASSERT_EQ(probe.tasks.size(), 1u);
  EXPECT_EQ(probe.tasks[0].ranks, 2);
  EXPECT_EQ(probe.tasks[0].per_rank.cpu_cores, 1);
  EXPECT_EQ(probe.params["duration_s"], 3.0);
  ASSERT_EQ(plan->runs[0].stages.size(), 7u);
  const StagePlan& pre = plan->runs[0].stages[1];
  EXPECT_EQ(pre.kind, "preprocess");
  EXPECT_TRUE(pre.depends_on.empty());
  EXPECT_EQ(pre.tasks.size(), 2u);
  EXPECT_EQ(pre.params["data"]["base"], "ptbxl");
  EXPECT_EQ(pre.params["data"]["segment_len"], 1250);
  const StagePlan& dataset = plan->runs[0].stages[2];
  EXPECT_EQ(dataset.kind, "dataset");
  EXPECT_EQ(dataset.depends_on, std::vector<std::string>{"preprocess"});
  EXPECT_EQ(dataset.tasks.size(), 1u);
  EXPECT_EQ(dataset.params["data"], pre.params["data"]);
  const StagePlan& tokenizer = plan->runs[0].stages[3];
  EXPECT_EQ(tokenizer.kind, "tokenizer");
  EXPECT_EQ(tokenizer.depends_on, std::vector<std::string>{"dataset"});
  EXPECT_EQ(tokenizer.params["representation"]["ecg_byte"]["merges"], 500);
  const StagePlan& train = plan->runs[0].stages[4];
  EXPECT_EQ(train.kind, "train");
  EXPECT_EQ(train.depends_on, (std::vector<std::string>{"dataset", "tokenizer"}));
  ASSERT_EQ(train.tasks.size(), 1u);
  EXPECT_EQ(train.tasks[0].ranks, 2);
  EXPECT_EQ(train.params["model"]["llm"]["path"], ".ecgbench/models/random-llama");
  EXPECT_EQ(train.params["train"]["max_steps"], 30);
  const StagePlan& evaluate = plan->runs[0].stages[5];
  EXPECT_EQ(evaluate.kind, "evaluate");
  EXPECT_EQ(evaluate.tasks.size(), 2u);
  EXPECT_EQ(evaluate.depends_on, (std::vector<std::string>{"dataset", "tokenizer", "train"}));
  EXPECT_EQ(evaluate.params["evaluate"]["ablation"], nlohmann::json({"signal", "zeros", "none"}));
  EXPECT_EQ(evaluate.params["budget"]["max_tokens"], 512);
  const StagePlan& score = plan->runs[0].stages[6];
  EXPECT_EQ(score.kind, "score");
  EXPECT_EQ(score.depends_on, std::vector<std::string>{"evaluate"});
}

}  // namespace
}  // namespace ecgbench::common
