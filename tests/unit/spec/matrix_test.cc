// Matrix expansion: run count and order, names, variants, and substituted values reaching params.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/spec/spec_test_util.h"

namespace ecgbench::common::testing {
namespace {

const StagePlan* FindStage(const RunPlan& run, const std::string& key) {
  for (const StagePlan& stage : run.stages) {
    if (stage.key == key) return &stage;
  }
  return nullptr;
}

TEST(MatrixTest, FirstKeyVariesSlowest) {
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(kExampleSpec, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->runs.size(), 15u);
  const std::vector<std::string> reps = {"signal/projection", "image/siglip-base-patch16-224",
                                         "token"};
  for (size_t r = 0; r < reps.size(); ++r) {
    for (int fold = 1; fold <= 5; ++fold) {
      const RunPlan& run = plan->runs[r * 5 + (fold - 1)];
      const std::vector<std::pair<std::string, std::string>> variant = {
          {"representation", reps[r]}, {"fold", std::to_string(fold)}};
      EXPECT_EQ(run.variant, variant);
      EXPECT_EQ(run.name, "representation=" + reps[r] + ",fold=" + std::to_string(fold));
    }
  }
}

TEST(MatrixTest, SubstitutedValuesReachParams) {
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(kExampleSpec, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const RunPlan& image_fold3 = plan->runs[7];
  ASSERT_EQ(image_fold3.name, "representation=image/siglip-base-patch16-224,fold=3");
  const StagePlan* train = FindStage(image_fold3, "train");
  ASSERT_NE(train, nullptr);
  EXPECT_EQ(train->params["data"]["fold"], 3);
  EXPECT_EQ(train->params["representation"]["kind"], "image");
  EXPECT_TRUE(train->params["representation"]["encoder"]["name"].is_null());
  EXPECT_EQ(train->params["representation"]["encoder"]["path"], "/models/siglip-base-patch16-224");
  EXPECT_EQ(train->params["run"]["name"], image_fold3.name);
  EXPECT_EQ(train->params["run"]["index"], 7);
  EXPECT_EQ(train->params["run"]["variant"],
            nlohmann::json({{"representation", "image/siglip-base-patch16-224"}, {"fold", "3"}}));
  const StagePlan* preprocess = FindStage(image_fold3, "preprocess");
  ASSERT_NE(preprocess, nullptr);
  EXPECT_EQ(preprocess->params["data"]["fold"], 3);
  // Each run gets its own value: the token runs have a tokenizer stage, the others do not.
  EXPECT_EQ(FindStage(plan->runs[0], "tokenizer"), nullptr);
  EXPECT_EQ(FindStage(image_fold3, "tokenizer"), nullptr);
  ASSERT_NE(FindStage(plan->runs[12], "tokenizer"), nullptr);
  EXPECT_EQ(FindStage(plan->runs[12], "tokenizer")->params["representation"]["ecg_byte"]["merges"],
            6000);
}

TEST(MatrixTest, DottedKeysAndAliases) {
  const std::string yaml = std::string(kTrainHead) +
                           "  lr: 0.5\n"                 // 10: replaced by the matrix
                           "matrix:\n"                   // 11
                           "  train.lr: [1e-4, 3e-4]\n"  // 12
                           "  model.lora.rank: [8, 16]\n"
                           "  data.segment_len: [500]\n";
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(yaml, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->runs.size(), 4u);
  EXPECT_EQ(plan->runs[0].name, "train.lr=1e-4,model.lora.rank=8,data.segment_len=500");
  EXPECT_EQ(plan->runs[3].name, "train.lr=3e-4,model.lora.rank=16,data.segment_len=500");
  const StagePlan* train = FindStage(plan->runs[3], "train");
  ASSERT_NE(train, nullptr);
  EXPECT_DOUBLE_EQ(train->params["train"]["optimizer"]["lr"].get<double>(), 3e-4);
  EXPECT_EQ(train->params["model"]["lora"]["rank"], 16);
  EXPECT_EQ(train->params["data"]["segment_len"], 500);
}

TEST(MatrixTest, CreatesNestedMappingsInsideAnExistingSection) {
  const std::string yaml = std::string(kTrainHead) +
                           "  epochs: 1\n"
                           "matrix:\n"
                           "  train.optimizer.weight_decay: [0, 0.1]\n"
                           "  train.schedule.name: [noam, cosine]\n";
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(yaml, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->runs.size(), 4u);
  const StagePlan* train = FindStage(plan->runs[1], "train");
  ASSERT_NE(train, nullptr);
  EXPECT_EQ(train->params["train"]["optimizer"]["weight_decay"], 0.0);
  EXPECT_EQ(train->params["train"]["schedule"]["name"], "cosine");
}

TEST(MatrixTest, MappingLabelsFallBackToIndexOnCollision) {
  const std::string yaml = std::string(kDataHead) +
                           "matrix:\n"
                           "  representation:\n"
                           "    - {kind: signal, normalization: minmax}\n"
                           "    - {kind: signal, normalization: percentile}\n"
                           "    - {kind: image, encoder: clip}\n"
                           "  probe:\n"
                           "    - {ranks: 1}\n";
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(yaml, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->runs.size(), 3u);
  EXPECT_EQ(plan->runs[0].name, "representation=#1,probe=#1");
  EXPECT_EQ(plan->runs[1].name, "representation=#2,probe=#1");
  EXPECT_EQ(plan->runs[2].name, "representation=image/clip,probe=#1");
  ASSERT_EQ(plan->runs[0].stages.size(), 3u);  // the matrix added a probe section
  EXPECT_EQ(plan->runs[0].stages[0].key, "probe");
  EXPECT_EQ(plan->runs[0].stages[1].key, "preprocess");
  EXPECT_EQ(plan->runs[0].stages[2].key, "dataset");
}

TEST(MatrixTest, NamedMappingsUseTheirName) {
  const std::string yaml = std::string(kTrainHead) +
                           "  epochs: 1\n"
                           "matrix:\n"
                           "  train.optimizer:\n"
                           "    - {name: adam, lr: 1e-3}\n"
                           "    - {name: adamw}\n";
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(yaml, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->runs.size(), 2u);
  EXPECT_EQ(plan->runs[0].name, "train.optimizer=adam");
  EXPECT_EQ(plan->runs[1].name, "train.optimizer=adamw");
  EXPECT_DOUBLE_EQ(
      FindStage(plan->runs[1], "train")->params["train"]["optimizer"]["lr"].get<double>(), 1e-4);
}

TEST(MatrixTest, ExactlyTheRunLimitIsAccepted) {
  std::string rates = "[";
  for (int i = 0; i < 200; ++i) rates += std::to_string(100 + i) + (i < 199 ? "," : "]");
  const std::string yaml = std::string(kDataHead) + "matrix:\n  data.fold: [1, 2, 3, 4, 5]\n" +
                           "  data.target_rate: " + rates + "\n";
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(yaml, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->runs.size(), 1000u);
  EXPECT_EQ(plan->runs[999].name, "data.fold=5,data.target_rate=299");
}

TEST(MatrixTest, ErrorInsideOneValueNamesTheMatrixEntry) {
  const std::string yaml = std::string(kDataHead) +
                           "matrix:\n"                                      // 5
                           "  representation:\n"                            // 6
                           "    - kind: image\n"                            // 7
                           "      encoder: {name: st_mem}\n"                // 8
                           "    - {kind: token, ecg_byte: {merges: 0}}\n";  // 9
  EXPECT_EQ(PlanError(yaml),
            "matrix.representation[0].encoder: representation.kind image needs a vision encoder: "
            "clip|siglip|vit or {path: ...}, got \"st_mem\" (spec.yaml:8)\n"
            "matrix.representation[1].ecg_byte.merges: expected an integer in 1..65278, got 0 "
            "(spec.yaml:9)");
}

}  // namespace
}  // namespace ecgbench::common::testing
