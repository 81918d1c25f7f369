// Valid specs: the example experiment, a minimal probe-only spec, and every default filled in.
#include <string>

#include "common/spec/spec.h"
#include "common/spec/spec_json.h"
#include "gtest/gtest.h"
#include "tests/unit/spec/spec_test_util.h"

namespace ecgbench::common::testing {
namespace {

TEST(ValidSpecTest, ExampleSpecPlansFifteenRuns) {
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(kExampleSpec, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->name, "ecgqa-ptbxl-representations");
  EXPECT_EQ(plan->description,
            "Signal vs image vs ECG-Byte on ECG-QA (PTB-XL), Llama-3.2-1B, 5 patient folds");
  EXPECT_EQ(plan->priority, 50);
  ASSERT_EQ(plan->runs.size(), 15u);
  EXPECT_EQ(plan->runs[0].name, "representation=signal/projection,fold=1");
  EXPECT_EQ(plan->runs[4].name, "representation=signal/projection,fold=5");
  EXPECT_EQ(plan->runs[5].name, "representation=image/siglip-base-patch16-224,fold=1");
  EXPECT_EQ(plan->runs[14].name, "representation=token,fold=5");
  for (size_t i = 0; i < plan->runs.size(); ++i)
    EXPECT_EQ(plan->runs[i].index, static_cast<int>(i));
}

TEST(ValidSpecTest, MinimalProbeOnlySpec) {
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment("name: check\nprobe: {}\n", "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->name, "check");
  EXPECT_EQ(plan->description, "");
  EXPECT_EQ(plan->priority, 50);
  ASSERT_EQ(plan->runs.size(), 1u);
  const RunPlan& run = plan->runs[0];
  EXPECT_EQ(run.name, "default");
  EXPECT_TRUE(run.variant.empty());
  ASSERT_EQ(run.stages.size(), 1u);
  const StagePlan& probe = run.stages[0];
  EXPECT_EQ(probe.key, "probe");
  EXPECT_EQ(probe.kind, "probe");
  EXPECT_TRUE(probe.depends_on.empty());
  EXPECT_EQ(probe.max_attempts, 3);
  ASSERT_EQ(probe.tasks.size(), 1u);
  EXPECT_EQ(probe.tasks[0].ranks, 1);
  EXPECT_EQ(probe.tasks[0].per_rank.cpu_cores, 1);
  EXPECT_EQ(probe.tasks[0].per_rank.gpus, 0);
  EXPECT_EQ(probe.tasks[0].per_rank.memory_bytes, 0);
  const nlohmann::json expected = {{"ranks", 1},
                                   {"duration_s", 0.0},
                                   {"run",
                                    {{"experiment", "check"},
                                     {"index", 0},
                                     {"name", "default"},
                                     {"variant", nlohmann::json::object()}}}};
  EXPECT_EQ(probe.params, expected);
}

TEST(ValidSpecTest, ProbeSectionMayBeEmpty) {
  absl::StatusOr<ExperimentSpec> spec = ParseSpec("name: check\nprobe:\n", "spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_TRUE(spec->probe.has_value());
  EXPECT_EQ(spec->probe->ranks, 1);
  EXPECT_EQ(spec->probe->shards, 1);
  EXPECT_EQ(spec->probe->duration_s, 0);
}

TEST(ValidSpecTest, DefaultsAreFilledIn) {
  const std::string yaml = std::string(kTrainHead) + "  epochs: 2\nevaluate: {}\n";
  absl::StatusOr<ExperimentSpec> spec = ParseSpec(yaml, "spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->priority, 50);
  EXPECT_FALSE(spec->probe.has_value());
  ASSERT_TRUE(spec->data.has_value());
  const DataSpec& d = *spec->data;
  EXPECT_EQ(d.mapped, std::vector<std::string>{"ecg-qa-ptbxl"});
  EXPECT_EQ(d.target_rate, 250);
  EXPECT_EQ(d.segment_len, 1250);
  EXPECT_EQ(d.filters, "none");
  EXPECT_EQ(d.nan, "skip");
  EXPECT_EQ(d.folds.k, 5);
  EXPECT_EQ(d.folds.seed, 42);
  EXPECT_EQ(d.folds.group_by, "patient");
  EXPECT_EQ(d.fold, 1);
  EXPECT_EQ(d.subset, 1.0);
  const RepresentationSpec& r = spec->representation;
  EXPECT_EQ(r.kind, "signal");
  EXPECT_EQ(r.encoder.name, "projection");
  EXPECT_EQ(r.encoder_tokens, 1);
  EXPECT_EQ(r.normalization, "minmax");
  EXPECT_EQ(r.ecg_byte.merges, 6000);
  EXPECT_EQ(r.ecg_byte.samples, 300000);
  EXPECT_EQ(r.perturb, "none");
  EXPECT_EQ(r.image.layout, "2x6");
  const ModelSpec& m = spec->model;
  EXPECT_EQ(m.llm.path, "/models/llama");
  EXPECT_EQ(m.llm.chat_template, "auto");
  EXPECT_TRUE(m.lora.enabled);
  EXPECT_EQ(m.lora.rank, 16);
  EXPECT_EQ(m.lora.alpha, 32);
  EXPECT_DOUBLE_EQ(m.lora.dropout, 0.05);
  EXPECT_EQ(m.lora.targets, (std::vector<std::string>{"q", "k", "v", "o", "gate", "up", "down"}));
  ASSERT_TRUE(spec->train.has_value());
  const TrainSpec& t = *spec->train;
  EXPECT_EQ(t.optimizer.name, "adamw");
  EXPECT_DOUBLE_EQ(t.optimizer.lr, 1e-4);
  EXPECT_DOUBLE_EQ(t.optimizer.beta1, 0.9);
  EXPECT_DOUBLE_EQ(t.optimizer.beta2, 0.99);
  EXPECT_DOUBLE_EQ(t.optimizer.eps, 1e-8);
  EXPECT_DOUBLE_EQ(t.optimizer.weight_decay, 0.01);
  EXPECT_EQ(t.schedule.name, "noam");
  EXPECT_EQ(t.schedule.warmup, 500);
  EXPECT_EQ(t.batch_size, 8);
  EXPECT_EQ(t.grad_accum, 1);
  EXPECT_EQ(t.epochs, 2);
  EXPECT_FALSE(t.max_steps.has_value());
  EXPECT_EQ(t.max_tokens, 1024);
  EXPECT_EQ(t.min_ecg_tokens, 250);
  EXPECT_DOUBLE_EQ(t.clip_grad_norm, 1.0);
  EXPECT_EQ(t.precision, "bf16");
  EXPECT_EQ(t.checkpoint_every, 500);
  EXPECT_TRUE(t.early_stopping.enabled);
  EXPECT_EQ(t.early_stopping.metric, "val_loss");
  EXPECT_EQ(t.early_stopping.patience, 5);
  EXPECT_DOUBLE_EQ(t.early_stopping.delta, 0.1);
  EXPECT_FALSE(t.deterministic);
  EXPECT_EQ(t.seed, 0);
  EXPECT_EQ(t.ablation, std::vector<std::string>{"signal"});
  ASSERT_TRUE(spec->evaluate.has_value());
  const EvaluateSpec& e = *spec->evaluate;
  EXPECT_EQ(e.generation.max_new_tokens, 128);
  EXPECT_TRUE(e.generation.greedy);
  EXPECT_EQ(e.metrics, (std::vector<std::string>{"bleu", "rouge", "meteor", "accuracy"}));
  EXPECT_EQ(e.bertscore.layer, 17);
  EXPECT_EQ(e.ablation, std::vector<std::string>{"signal"});
  EXPECT_EQ(e.compare, "none");
  const ResourcesSpec& res = spec->resources;
  EXPECT_EQ(res.ranks, 1);
  EXPECT_EQ(res.gpus_per_rank, 0);
  EXPECT_EQ(res.cpus_per_rank, 1);
  EXPECT_EQ(res.memory_per_rank, 0);
  EXPECT_EQ(res.preprocess_shards, 1);
  EXPECT_EQ(res.eval_shards, 1);
  EXPECT_EQ(res.max_attempts, 3);
}

TEST(ValidSpecTest, DefaultsReachTheJson) {
  absl::StatusOr<ExperimentSpec> spec =
      ParseSpec(std::string(kTrainHead) + "  lr: 3e-4\n", "spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const nlohmann::json json = ToJson(*spec);
  EXPECT_EQ(json["data"]["mapped_root"], "/data/ecg-qa");
  EXPECT_EQ(json["data"]["folds"]["group_by"], "patient");
  EXPECT_EQ(json["representation"]["encoder"]["name"], "projection");
  EXPECT_TRUE(json["representation"]["encoder"]["path"].is_null());
  EXPECT_TRUE(json["representation"]["ecg_byte"]["tokenizer"].is_null());
  EXPECT_EQ(json["model"]["lora"]["enabled"], true);
  EXPECT_DOUBLE_EQ(json["train"]["optimizer"]["lr"].get<double>(), 3e-4);
  EXPECT_EQ(json["train"]["optimizer"]["betas"], nlohmann::json({0.9, 0.99}));
  EXPECT_TRUE(json["train"]["max_steps"].is_null());
  EXPECT_TRUE(json["evaluate"].is_null());
  EXPECT_TRUE(json["probe"].is_null());
  EXPECT_EQ(json["resources"]["max_attempts"], 3);
}

TEST(ValidSpecTest, AcceptedValueForms) {
  const std::string yaml =
      "name: forms.v-1_0\n"
      "priority: 60\n"
      "labels: {team: cardio, owner/sub: 7}\n"
      "data:\n"
      "  base: mimic\n"
      "  root: /d\n"
      "  mapped: [ecg-qa-mimic, pretrain-mimic]\n"
      "  mapped_root: \"/q\"\n"
      "  folds: {k: 10, group_by: record}\n"
      "  fold: 10\n"
      "  subset: .25\n"
      "representation:\n"
      "  kind: token\n"
      "  encoder: {name: signal2vec, path: /m/s2v.pt, pretrain: True}\n"
      "  ecg_byte: {tokenizer: /m/tok.bin}\n"
      "  signal2vec: {dim: 64, epochs: 3, window: 5, max_pairs: 1000, lr: 0.01}\n"
      "model:\n"
      "  llm: {path: /m/llm}\n"
      "  lora: false\n"
      "train:\n"
      "  max_steps: 100\n"
      "  early_stopping: false\n"
      "  ablation: [signal, zeros]\n"
      "resources: {memory_per_rank: 1.5GiB, gpus_per_rank: 2}\n";
  absl::StatusOr<ExperimentSpec> spec = ParseSpec(yaml, "spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->priority, 60);
  EXPECT_EQ(spec->labels, (std::vector<std::pair<std::string, std::string>>{{"team", "cardio"},
                                                                            {"owner/sub", "7"}}));
  EXPECT_EQ(spec->data->mapped, (std::vector<std::string>{"ecg-qa-mimic", "pretrain-mimic"}));
  EXPECT_EQ(spec->data->fold, 10);
  EXPECT_EQ(spec->data->subset, 0.25);
  EXPECT_EQ(spec->representation.encoder.name, "signal2vec");
  EXPECT_TRUE(spec->representation.encoder.pretrain);
  EXPECT_EQ(spec->representation.signal2vec.dim, 64);
  EXPECT_EQ(spec->representation.signal2vec.epochs, 3);
  EXPECT_EQ(spec->representation.signal2vec.window, 5);
  EXPECT_EQ(spec->representation.signal2vec.negatives, 5);  // default
  EXPECT_EQ(spec->representation.signal2vec.max_pairs, 1000);
  EXPECT_DOUBLE_EQ(spec->representation.signal2vec.lr, 0.01);
  EXPECT_EQ(ToJson(spec->representation)["signal2vec"]["dim"], 64);
  EXPECT_FALSE(spec->model.lora.enabled);
  EXPECT_EQ(spec->train->max_steps, 100);
  EXPECT_FALSE(spec->train->early_stopping.enabled);
  EXPECT_EQ(spec->resources.memory_per_rank, int64_t{3} << 29);
}

TEST(ValidSpecTest, PriorityNames) {
  for (const auto& [text, value] : std::vector<std::pair<std::string, int>>{
           {"low", 25}, {"normal", 50}, {"high", 75}, {"0", 0}, {"100", 100}}) {
    absl::StatusOr<ExperimentPlan> plan =
        PlanExperiment("name: p\npriority: " + text + "\nprobe: {}\n", "spec.yaml");
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(plan->priority, value) << text;
  }
}

TEST(ValidSpecTest, ParseSpecRejectsAMatrix) {
  absl::StatusOr<ExperimentSpec> spec =
      ParseSpec(std::string(kDataHead) + "matrix:\n  fold: [1, 2]\n", "spec.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            "matrix: not accepted here: ParseSpec reads one run; PlanExperiment expands a matrix "
            "(spec.yaml:5)");
}

TEST(ValidSpecTest, FileNameAppearsInErrors) {
  absl::StatusOr<ExperimentPlan> plan =
      PlanExperiment("name: t\nprobe: {ranks: x}\n", "exp/a.yaml");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plan.status().message(),
            "probe.ranks: expected an integer in 1..4096, got \"x\" (exp/a.yaml:2)");
}

}  // namespace
}  // namespace ecgbench::common::testing
