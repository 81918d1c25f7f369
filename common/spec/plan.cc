// PlanExperiment: YAML -> tree -> matrix runs -> validated spec per run -> stage DAG per run.
#include "common/spec/plan.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/spec/diagnostics.h"
#include "common/spec/matrix.h"
#include "common/spec/spec.h"
#include "common/spec/spec_json.h"
#include "common/spec/spec_parser.h"
#include "common/spec/yaml_adapter.h"

namespace ecgbench::common {
namespace {

ResourceRequest RankResources(const ResourcesSpec& r) {
  return ResourceRequest{r.cpus_per_rank, r.gpus_per_rank, r.memory_per_rank};
}

// A stage of `shards` tasks with `ranks` ranks each.
StagePlan MakeStage(const std::string& key, int shards, int ranks, const ResourceRequest& per_rank,
                    const ExperimentSpec& spec, nlohmann::json params, const nlohmann::json& run) {
  StagePlan stage;
  stage.key = key;
  stage.kind = key;
  stage.max_attempts = spec.resources.max_attempts;
  for (int shard = 0; shard < shards; ++shard) {
    stage.tasks.push_back(TaskPlan{shard, shards, ranks, per_rank});
  }
  params["run"] = run;
  stage.params = std::move(params);
  return stage;
}

RunPlan BuildRun(const ExperimentSpec& spec, int index,
                 std::vector<std::pair<std::string, std::string>> variant) {
  RunPlan plan;
  plan.index = index;
  plan.name = RunName(variant);
  plan.variant = std::move(variant);
  nlohmann::json variant_json = nlohmann::json::object();
  for (const auto& [key, value] : plan.variant) variant_json[key] = value;
  const nlohmann::json run = {
      {"experiment", spec.name}, {"index", index}, {"name", plan.name}, {"variant", variant_json}};
  const ResourcesSpec& res = spec.resources;
  const ResourceRequest one_cpu{1, 0, 0};
  const ResourceRequest per_rank = RankResources(res);

  if (spec.probe) {
    plan.stages.push_back(
        MakeStage("probe", spec.probe->shards, spec.probe->ranks, per_rank, spec,
                  {{"ranks", spec.probe->ranks}, {"duration_s", spec.probe->duration_s}}, run));
  }
  if (!spec.data) return plan;  // every later stage reads the preprocessed data
  const nlohmann::json data = ToJson(*spec.data);
  const nlohmann::json representation = ToJson(spec.representation);
  std::vector<std::string> inputs = {"dataset"};  // what train (or evaluate) waits for
  plan.stages.push_back(
      MakeStage("preprocess", res.preprocess_shards, 1, one_cpu, spec, {{"data", data}}, run));
  // One task joins the preprocess shards: merged store, patient-grouped folds, mapped conversations.
  plan.stages.push_back(MakeStage("dataset", 1, 1, one_cpu, spec, {{"data", data}}, run));
  plan.stages.back().depends_on = {"preprocess"};
  if (NeedsTokenizerStage(spec)) {
    plan.stages.push_back(MakeStage("tokenizer", 1, 1, one_cpu, spec,
                                    {{"data", data}, {"representation", representation}}, run));
    plan.stages.back().depends_on = {"dataset"};
    inputs.push_back("tokenizer");
  }

  if (NeedsPretrainStage(spec)) {
    const TrainSpec train = spec.train.value_or(TrainSpec());
    // Signal2Vec trains in one process (skip-gram over token sequences); encoders use the ranks.
    const int ranks = spec.representation.encoder.name == "signal2vec" ? 1 : res.ranks;
    plan.stages.push_back(MakeStage("pretrain", 1, ranks, per_rank, spec,
                                    {{"data", data},
                                     {"representation", representation},
                                     {"train", ToJson(train)},
                                     {"ranks", ranks}},
                                    run));
    plan.stages.back().depends_on = inputs;
    inputs.push_back("pretrain");
  }
  if (spec.rag && (spec.train || spec.evaluate)) {
    // One task indexes the run's training segments; train and evaluate read the index.
    plan.stages.push_back(MakeStage("rag", 1, 1, one_cpu, spec, {{"data", data}, {"rag", ToJson(*spec.rag)}}, run));
    plan.stages.back().depends_on = {"dataset"};
    inputs.push_back("rag");
  }
  const nlohmann::json model = ToJson(spec.model);
  if (spec.train) {
    plan.stages.push_back(MakeStage("train", 1, res.ranks, per_rank, spec,
                                    {{"data", data},
                                     {"representation", representation},
                                     {"model", model},
                                     {"train", ToJson(*spec.train)},
                                     {"ranks", res.ranks}},
                                    run));
    plan.stages.back().depends_on = inputs;
  }
  if (spec.evaluate) {
    // The prompt budget of training (ECG-Byte slot cut), or its defaults for a zero-shot evaluation.
    const TrainSpec train = spec.train.value_or(TrainSpec());
    const nlohmann::json budget = {{"max_tokens", train.max_tokens}, {"min_ecg_tokens", train.min_ecg_tokens}};
    plan.stages.push_back(MakeStage("evaluate", res.eval_shards, 1, per_rank, spec,
                                    {{"data", data},
                                     {"representation", representation},
                                     {"model", model},
                                     {"evaluate", ToJson(*spec.evaluate)},
                                     {"budget", budget},
                                     {"trained", spec.train.has_value()}},
                                    run));
    plan.stages.back().depends_on = inputs;  // the dataset (and tokenizer, pretrain) results, and:
    if (spec.train) plan.stages.back().depends_on.push_back("train");
    // One task joins the shards' predictions and computes the metrics of each ablation condition.
    // BERTScore runs a transformer: the score task then asks for the per-rank resources (GPU).
    const std::vector<std::string>& metrics = spec.evaluate->metrics;
    const bool bertscore = std::find(metrics.begin(), metrics.end(), "bertscore") != metrics.end();
    plan.stages.push_back(MakeStage("score", 1, 1, bertscore ? per_rank : one_cpu, spec,
                                    {{"evaluate", ToJson(*spec.evaluate)}}, run));
    plan.stages.back().depends_on = {"evaluate"};
  }
  return plan;
}

}  // namespace

absl::StatusOr<ExperimentPlan> PlanExperiment(const std::string& yaml_text,
                                              const std::string& file_name) {
  absl::StatusOr<SpecNode> parsed = ParseYamlTree(yaml_text, file_name);
  if (!parsed.ok()) return parsed.status();
  SpecNode root = *std::move(parsed);
  Diagnostics diag(file_name);

  std::vector<MatrixAxis> axes;
  if (root.IsMap()) {
    auto& entries = root.entries;
    const auto matrix = std::find_if(entries.begin(), entries.end(),
                                     [](const SpecEntry& e) { return e.key == "matrix"; });
    if (matrix != entries.end()) {
      const SpecEntry entry = *matrix;
      entries.erase(matrix);
      axes = ParseMatrix(entry.value, entry.key_line, root, &diag);
      if (CountRuns(axes) > kMaxMatrixRuns) {
        constexpr size_t kShown = 1000000000;  // larger products are reported as "more than"
        size_t total = 1;
        for (const MatrixAxis& axis : axes)
          total = std::min(total * axis.values.size(), kShown + 1);
        diag.Error("matrix", entry.key_line,
                   absl::StrCat("expands to ", total > kShown ? "more than " : "",
                                std::min(total, kShown), " runs; the limit is ", kMaxMatrixRuns));
        axes.clear();  // still validate the spec itself
      } else {
        size_t values = CountValues(root);
        for (const MatrixAxis& axis : axes) {
          size_t largest = 0;
          for (const SpecNode& value : axis.values) largest = std::max(largest, CountValues(value));
          values += largest;
        }
        const size_t runs = CountRuns(axes);
        if (runs * values > kMaxExpandedValues) {
          diag.Error(
              "matrix", entry.key_line,
              absl::StrCat("expands to ", runs, " runs of ", values, " values each; the limit is ",
                           kMaxExpandedValues, " values in all"));
          axes.clear();
        }
      }
    }
  }

  ExperimentPlan plan;
  const size_t runs = CountRuns(axes);
  for (size_t i = 0; i < runs; ++i) {
    const std::vector<size_t> choice = Combination(axes, i);
    const SpecNode tree = Substitute(root, axes, choice, &diag);
    const bool clean_before = diag.empty();
    const ExperimentSpec spec = ParseSpecTree(tree, /*matrix_expanded=*/true, &diag);
    if (i == 0) {
      plan.name = spec.name;
      plan.description = spec.description;
      plan.priority = spec.priority;
    }
    if (!clean_before || !diag.empty()) continue;
    if (spec.train && spec.train->ablation.size() > 1) {
      // Training conditions are separate models: one run each, told apart by "train.ablation".
      for (const std::string& condition : spec.train->ablation) {
        ExperimentSpec one = spec;
        one.train->ablation = {condition};
        std::vector<std::pair<std::string, std::string>> variant = Variant(axes, choice);
        variant.emplace_back("train.ablation", condition);
        plan.runs.push_back(BuildRun(one, static_cast<int>(plan.runs.size()), std::move(variant)));
      }
    } else {
      plan.runs.push_back(BuildRun(spec, static_cast<int>(plan.runs.size()), Variant(axes, choice)));
    }
  }
  if (!diag.empty()) return diag.ToStatus();
  return plan;
}

}  // namespace ecgbench::common
