// ModelSpecFromJson / TrainSpecFromJson / EvaluateSpecFromJson invert ToJson (what runners read back from their params),
// keep defaults for absent keys, and name the field of a wrongly typed value.
#include <gtest/gtest.h>

#include "common/spec/spec_json.h"

namespace ecgbench::common {
namespace {

TEST(SpecJson, TrainSpecRoundTrips) {
  TrainSpec t;
  t.optimizer.name = "adam";
  t.optimizer.lr = 3e-4;
  t.optimizer.beta2 = 0.95;
  t.schedule = {"cosine", 50};
  t.batch_size = 4;
  t.grad_accum = 2;
  t.max_steps = 17;
  t.early_stopping.metric = "train_loss";
  t.deterministic = true;
  t.seed = 9;
  t.ablation = {"none"};
  absl::StatusOr<TrainSpec> back = TrainSpecFromJson(ToJson(t));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToJson(*back), ToJson(t));
  EXPECT_EQ(back->ablation, std::vector<std::string>{"none"});  // the training condition reaches the runner
  EXPECT_FALSE(TrainSpecFromJson(nlohmann::json::object())->max_steps.has_value());
  EXPECT_EQ(TrainSpecFromJson(nlohmann::json::object())->batch_size, 8);  // the spec default
}

TEST(SpecJson, ModelSpecRoundTrips) {
  ModelSpec m;
  m.llm.path = "/models/x";
  m.llm.chat_template = "chatml";
  m.lora.enabled = false;
  m.lora.targets = {"q", "v"};
  absl::StatusOr<ModelSpec> back = ModelSpecFromJson(ToJson(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToJson(*back), ToJson(m));
}

TEST(SpecJson, EvaluateSpecRoundTrips) {
  EvaluateSpec e;
  e.generation.max_new_tokens = 16;
  e.generation.greedy = false;
  e.generation.temperature = 0.7;
  e.generation.top_k = 5;
  e.generation.seed = 3;
  e.metrics = {"bleu", "bertscore"};
  e.bertscore = {"/models/roberta-large", 12};
  e.ablation = {"signal", "none"};
  e.compare = "wilcoxon";
  e.judge = {"/models/judge", 0.8};
  absl::StatusOr<EvaluateSpec> back = EvaluateSpecFromJson(ToJson(e));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToJson(*back), ToJson(e));
  EXPECT_EQ(EvaluateSpecFromJson(nlohmann::json::object())->generation.max_new_tokens, 128);  // the default
  EXPECT_EQ(EvaluateSpecFromJson({{"generation", {{"max_new_tokens", 0}}}}).status().message(),
            "evaluate.generation.max_new_tokens: must be >= 1");
  EXPECT_EQ(EvaluateSpecFromJson({{"ablation", {"signal", 2}}}).status().message(),
            "evaluate.ablation: expected a list of strings, got [\"signal\",2]");
}

TEST(SpecJson, WrongTypesNameTheField) {
  EXPECT_EQ(TrainSpecFromJson({{"optimizer", {{"lr", "fast"}}}}).status().message(),
            "train.optimizer.lr: expected a number, got \"fast\"");
  EXPECT_EQ(TrainSpecFromJson({{"batch_size", 2.5}}).status().message(), "train.batch_size: expected an integer, got 2.5");
  EXPECT_EQ(TrainSpecFromJson({{"optimizer", {{"betas", {0.9}}}}}).status().message(),
            "train.optimizer.betas: expected two numbers, got [0.9]");
  EXPECT_EQ(ModelSpecFromJson({{"lora", {{"targets", "q"}}}}).status().message(),
            "model.lora.targets: expected a list of strings, got \"q\"");
  EXPECT_EQ(ModelSpecFromJson({{"llm", 3}}).status().message(), "model.llm: expected an object, got 3");
}

}  // namespace
}  // namespace ecgbench::common
