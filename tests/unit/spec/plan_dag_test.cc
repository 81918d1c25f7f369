// DAG expansion: which stages each section creates, their dependencies, tasks, ranks, resources.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/spec/spec_test_util.h"

namespace ecgbench::common::testing {
namespace {

std::vector<std::string> Keys(const RunPlan& run) {
  std::vector<std::string> keys;
  for (const StagePlan& stage : run.stages) keys.push_back(stage.key);
  return keys;
}

const StagePlan& Stage(const RunPlan& run, const std::string& key) {
  for (const StagePlan& stage : run.stages) {
    if (stage.key == key) return stage;
  }
  ADD_FAILURE() << "no stage " << key;
  return run.stages.front();
}

RunPlan OnlyRun(const std::string& yaml) {
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(yaml, "spec.yaml");
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (!plan.ok() || plan->runs.size() != 1) return RunPlan{};
  return plan->runs[0];
}

using Strings = std::vector<std::string>;

TEST(PlanDagTest, ExampleRunsHaveTheExpectedStages) {
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(kExampleSpec, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const RunPlan& signal = plan->runs[0];
  EXPECT_EQ(Keys(signal), (Strings{"preprocess", "dataset", "train", "evaluate", "score"}));
  const StagePlan& preprocess = Stage(signal, "preprocess");
  EXPECT_TRUE(preprocess.depends_on.empty());
  ASSERT_EQ(preprocess.tasks.size(), 32u);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(preprocess.tasks[i].shard, i);
    EXPECT_EQ(preprocess.tasks[i].num_shards, 32);
    EXPECT_EQ(preprocess.tasks[i].ranks, 1);
    EXPECT_EQ(preprocess.tasks[i].per_rank.cpu_cores, 1);
    EXPECT_EQ(preprocess.tasks[i].per_rank.gpus, 0);
  }
  const StagePlan& dataset = Stage(signal, "dataset");
  EXPECT_EQ(dataset.kind, "dataset");
  EXPECT_EQ(dataset.depends_on, Strings{"preprocess"});
  ASSERT_EQ(dataset.tasks.size(), 1u);
  EXPECT_EQ(dataset.tasks[0].shard, 0);
  EXPECT_EQ(dataset.tasks[0].num_shards, 1);
  EXPECT_EQ(dataset.tasks[0].ranks, 1);
  EXPECT_EQ(dataset.tasks[0].per_rank.cpu_cores, 1);
  EXPECT_EQ(dataset.tasks[0].per_rank.gpus, 0);
  EXPECT_EQ(dataset.params["data"], preprocess.params["data"]);
  EXPECT_EQ(dataset.params["run"], preprocess.params["run"]);
  const StagePlan& train = Stage(signal, "train");
  EXPECT_EQ(train.depends_on, Strings{"dataset"});
  ASSERT_EQ(train.tasks.size(), 1u);
  EXPECT_EQ(train.tasks[0].ranks, 4);
  EXPECT_EQ(train.tasks[0].per_rank.gpus, 1);
  EXPECT_EQ(train.tasks[0].per_rank.cpu_cores, 1);
  EXPECT_EQ(train.params["ranks"], 4);
  EXPECT_EQ(train.params["train"]["grad_accum"], 4);
  EXPECT_EQ(train.params["model"]["llm"]["template"], "llama3");
  const StagePlan& evaluate = Stage(signal, "evaluate");
  EXPECT_EQ(evaluate.depends_on, (Strings{"dataset", "train"}));
  ASSERT_EQ(evaluate.tasks.size(), 1u);
  EXPECT_EQ(evaluate.tasks[0].ranks, 1);
  EXPECT_EQ(evaluate.tasks[0].per_rank.gpus, 1);
  EXPECT_EQ(evaluate.params["evaluate"]["compare"], "paired_bootstrap");
  EXPECT_EQ(evaluate.params["trained"], true);
  EXPECT_EQ(evaluate.params["budget"]["max_tokens"], 1024);
  const StagePlan& score = Stage(signal, "score");
  EXPECT_EQ(score.depends_on, Strings{"evaluate"});
  ASSERT_EQ(score.tasks.size(), 1u);
  EXPECT_EQ(score.tasks[0].per_rank.gpus, 1);  // the example lists bertscore: a transformer on the GPU
  EXPECT_EQ(score.params["evaluate"]["compare"], "paired_bootstrap");

  const RunPlan& token = plan->runs[10];
  EXPECT_EQ(Keys(token), (Strings{"preprocess", "dataset", "tokenizer", "train", "evaluate", "score"}));
  EXPECT_EQ(Stage(token, "dataset").depends_on, Strings{"preprocess"});
  EXPECT_EQ(Stage(token, "dataset").tasks.size(), 1u);
  EXPECT_EQ(Stage(token, "tokenizer").depends_on, Strings{"dataset"});
  EXPECT_EQ(Stage(token, "tokenizer").tasks.size(), 1u);
  EXPECT_EQ(Stage(token, "train").depends_on, (Strings{"dataset", "tokenizer"}));
}

TEST(PlanDagTest, ProbeShardsRanksAndResources) {
  const RunPlan run = OnlyRun(
      "name: burn-in\n"
      "probe: {ranks: 4, shards: 3, duration: 60}\n"
      "resources: {gpus_per_rank: 2, cpus_per_rank: 8, memory_per_rank: 16GiB, max_attempts: 5}\n");
  ASSERT_EQ(Keys(run), Strings{"probe"});
  const StagePlan& probe = run.stages[0];
  EXPECT_EQ(probe.max_attempts, 5);
  ASSERT_EQ(probe.tasks.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(probe.tasks[i].shard, i);
    EXPECT_EQ(probe.tasks[i].num_shards, 3);
    EXPECT_EQ(probe.tasks[i].ranks, 4);
    EXPECT_EQ(probe.tasks[i].per_rank.cpu_cores, 8);
    EXPECT_EQ(probe.tasks[i].per_rank.gpus, 2);
    EXPECT_EQ(probe.tasks[i].per_rank.memory_bytes, int64_t{16} << 30);
  }
  EXPECT_EQ(probe.params["ranks"], 4);
  EXPECT_EQ(probe.params["duration_s"], 60.0);
}

TEST(PlanDagTest, ProbeStandsApartFromTheDataStages) {
  const RunPlan run = OnlyRun(std::string(kTrainHead) + "  epochs: 1\nprobe: {}\n");
  EXPECT_EQ(Keys(run), (Strings{"probe", "preprocess", "dataset", "train"}));
  EXPECT_TRUE(Stage(run, "probe").depends_on.empty());
  EXPECT_TRUE(Stage(run, "preprocess").depends_on.empty());
  EXPECT_EQ(Stage(run, "dataset").depends_on, Strings{"preprocess"});
  EXPECT_EQ(Stage(run, "train").depends_on, Strings{"dataset"});
}

TEST(PlanDagTest, DataAloneIsPreprocessThenDataset) {
  const RunPlan run = OnlyRun(std::string(kDataHead) + "resources: {preprocess_shards: 4}\n");
  EXPECT_EQ(Keys(run), (Strings{"preprocess", "dataset"}));
  EXPECT_TRUE(Stage(run, "preprocess").depends_on.empty());
  EXPECT_EQ(Stage(run, "preprocess").tasks.size(), 4u);
  EXPECT_EQ(Stage(run, "preprocess").params["data"]["base"], "ptbxl");
  EXPECT_EQ(Stage(run, "preprocess").params["run"]["name"], "default");
  const StagePlan& dataset = Stage(run, "dataset");
  EXPECT_EQ(dataset.kind, "dataset");
  EXPECT_EQ(dataset.depends_on, Strings{"preprocess"});
  ASSERT_EQ(dataset.tasks.size(), 1u);  // preprocess_shards does not shard the join
  EXPECT_EQ(dataset.tasks[0].num_shards, 1);
  EXPECT_EQ(dataset.tasks[0].ranks, 1);
  EXPECT_EQ(dataset.tasks[0].per_rank.cpu_cores, 1);
  EXPECT_EQ(dataset.tasks[0].per_rank.gpus, 0);
  EXPECT_EQ(dataset.params.size(), 2u);
  EXPECT_EQ(dataset.params["data"]["base"], "ptbxl");
  EXPECT_EQ(dataset.params["data"]["root"], "/data/ptb-xl");
  EXPECT_EQ(dataset.params["run"]["name"], "default");
}

TEST(PlanDagTest, TokenizerAndPretrainFeedTraining) {
  const RunPlan run = OnlyRun(std::string(kTrainHead) +
                              "  epochs: 1\n"
                              "representation:\n"
                              "  kind: token\n"
                              "  encoder: {name: signal2vec, pretrain: true}\n"
                              "resources: {ranks: 2, gpus_per_rank: 1}\n");
  EXPECT_EQ(Keys(run), (Strings{"preprocess", "dataset", "tokenizer", "pretrain", "train"}));
  EXPECT_EQ(Stage(run, "tokenizer").depends_on, Strings{"dataset"});
  EXPECT_EQ(Stage(run, "tokenizer").tasks[0].per_rank.gpus, 0);
  const StagePlan& pretrain = Stage(run, "pretrain");
  EXPECT_EQ(pretrain.depends_on, (Strings{"dataset", "tokenizer"}));
  EXPECT_EQ(pretrain.tasks.size(), 1u);
  EXPECT_EQ(pretrain.tasks[0].ranks, 1);  // Signal2Vec trains in one process
  EXPECT_EQ(pretrain.params["ranks"], 1);
  EXPECT_EQ(pretrain.tasks[0].per_rank.gpus, 1);
  EXPECT_EQ(pretrain.params["representation"]["encoder"]["name"], "signal2vec");
  EXPECT_EQ(Stage(run, "train").depends_on, (Strings{"dataset", "tokenizer", "pretrain"}));
}

TEST(PlanDagTest, Signal2VecWithoutEmbeddingsIsPretrained) {
  const RunPlan implicit = OnlyRun(std::string(kTrainHead) + "  epochs: 1\n" +
                                   "representation: {kind: token, encoder: signal2vec}\n");
  EXPECT_EQ(Keys(implicit), (Strings{"preprocess", "dataset", "tokenizer", "pretrain", "train"}));
  EXPECT_EQ(Stage(implicit, "pretrain").depends_on, (Strings{"dataset", "tokenizer"}));
  const RunPlan given = OnlyRun(std::string(kTrainHead) + "  epochs: 1\n" +
                                "representation: {kind: token, encoder: {name: signal2vec, path: /m/s2v}}\n");
  EXPECT_EQ(Keys(given), (Strings{"preprocess", "dataset", "tokenizer", "train"}));
}

TEST(PlanDagTest, ExistingTokenizerSkipsTheTokenizerStage) {
  const RunPlan run = OnlyRun(std::string(kTrainHead) +
                              "  epochs: 1\n"
                              "representation: {kind: token, ecg_byte: {tokenizer: /m/tok}}\n");
  EXPECT_EQ(Keys(run), (Strings{"preprocess", "dataset", "train"}));
  EXPECT_EQ(Stage(run, "train").depends_on, Strings{"dataset"});
}

TEST(PlanDagTest, PretrainedVisionEncoder) {
  const RunPlan run = OnlyRun(std::string(kTrainHead) +
                              "  epochs: 1\n"
                              "representation:\n"
                              "  kind: stacked_signal\n"
                              "  encoder: {name: clip, path: /m/clip, pretrain: true}\n");
  EXPECT_EQ(Keys(run), (Strings{"preprocess", "dataset", "pretrain", "train"}));
  EXPECT_EQ(Stage(run, "pretrain").depends_on, Strings{"dataset"});
  EXPECT_EQ(Stage(run, "train").depends_on, (Strings{"dataset", "pretrain"}));
}

TEST(PlanDagTest, EvaluateWithoutTrainDependsOnItsInputs) {
  const RunPlan run = OnlyRun(
      "name: zero-shot\n"
      "data: {base: ptbxl, root: /d, mapped: ecg-qa-ptbxl, mapped_root: /q}\n"
      "representation: {kind: token}\n"
      "model: {llm: {path: /m}}\n"
      "evaluate: {metrics: [accuracy]}\n"
      "resources: {eval_shards: 6, gpus_per_rank: 1}\n");
  EXPECT_EQ(Keys(run), (Strings{"preprocess", "dataset", "tokenizer", "evaluate", "score"}));
  EXPECT_EQ(Stage(run, "dataset").params["data"]["mapped"], nlohmann::json({"ecg-qa-ptbxl"}));
  EXPECT_EQ(Stage(run, "dataset").params["data"]["mapped_root"], "/q");
  const StagePlan& evaluate = Stage(run, "evaluate");
  EXPECT_EQ(evaluate.depends_on, (Strings{"dataset", "tokenizer"}));
  ASSERT_EQ(evaluate.tasks.size(), 6u);
  EXPECT_EQ(evaluate.tasks[5].shard, 5);
  EXPECT_EQ(evaluate.tasks[5].num_shards, 6);
  EXPECT_EQ(evaluate.tasks[5].ranks, 1);
  EXPECT_EQ(evaluate.tasks[5].per_rank.gpus, 1);
  EXPECT_EQ(evaluate.params["trained"], false);
  EXPECT_EQ(evaluate.params["evaluate"]["metrics"], nlohmann::json({"accuracy"}));
}

TEST(PlanDagTest, RagIndexesBeforeTrainAndEvaluate) {
  const RunPlan run = OnlyRun(
      "name: rag\n"
      "data: {base: ptbxl, root: /d, mapped: ecg-qa-ptbxl, mapped_root: /q}\n"
      "model: {llm: {path: /m}}\n"
      "train: {max_steps: 2}\n"
      "evaluate: {metrics: [bleu]}\n"
      "rag: {k: 3, space: combined, prompt: user_query}\n");
  EXPECT_EQ(Keys(run), (Strings{"preprocess", "dataset", "rag", "train", "evaluate", "score"}));
  const StagePlan& rag = Stage(run, "rag");
  EXPECT_EQ(rag.depends_on, Strings{"dataset"});
  ASSERT_EQ(rag.tasks.size(), 1u);
  EXPECT_EQ(rag.params["rag"]["k"], 3);
  EXPECT_EQ(rag.params["rag"]["space"], "combined");
  EXPECT_EQ(rag.params["rag"]["prompt"], "user_query");
  EXPECT_EQ(rag.params["rag"]["features_in_prompt"], false);
  EXPECT_EQ(Stage(run, "train").depends_on, (Strings{"dataset", "rag"}));
  EXPECT_EQ(Stage(run, "evaluate").depends_on, (Strings{"dataset", "rag", "train"}));

  absl::StatusOr<ExperimentPlan> alone = PlanExperiment(
      "name: rag\ndata: {base: ptbxl, root: /d}\nrag: {k: 2}\n", "spec.yaml");
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.status().message(), "rag: needs train or evaluate (retrieval only changes their prompts) (spec.yaml:3)");
}

TEST(PlanDagTest, TrainingAblationConditionsBecomeRuns) {
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(
      "name: ablate\n"
      "data: {base: ptbxl, root: /d, mapped: ecg-qa-ptbxl, mapped_root: /q}\n"
      "model: {llm: {path: /m}}\n"
      "train: {ablation: [signal, zeros, none]}\n"
      "evaluate: {ablation: [signal, zeros, none]}\n",
      "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->runs.size(), 3u);
  const std::vector<std::string> conditions = {"signal", "zeros", "none"};
  for (size_t i = 0; i < 3; ++i) {
    const RunPlan& run = plan->runs[i];
    EXPECT_EQ(run.index, static_cast<int>(i));
    EXPECT_EQ(run.name, "train.ablation=" + conditions[i]);
    ASSERT_EQ(run.variant.size(), 1u);
    EXPECT_EQ(run.variant[0], std::make_pair(std::string("train.ablation"), conditions[i]));
    EXPECT_EQ(Stage(run, "train").params["train"]["ablation"], nlohmann::json({conditions[i]}));
    EXPECT_EQ(Stage(run, "evaluate").params["evaluate"]["ablation"], nlohmann::json(conditions));
  }
}

TEST(PlanDagTest, EveryStageCarriesTheRun) {
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(kExampleSpec, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const RunPlan& run : plan->runs) {
    for (const StagePlan& stage : run.stages) {
      EXPECT_EQ(stage.kind, stage.key);
      EXPECT_EQ(stage.max_attempts, 3);
      EXPECT_EQ(stage.params["run"]["experiment"], "ecgqa-ptbxl-representations");
      EXPECT_EQ(stage.params["run"]["name"], run.name);
      EXPECT_EQ(stage.params["run"]["index"], run.index);
    }
  }
}

}  // namespace
}  // namespace ecgbench::common::testing
