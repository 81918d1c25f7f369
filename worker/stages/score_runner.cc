// The score stage (see score_runner.h): evaluate shards' predictions -> metrics per condition.
#include "worker/stages/score_runner.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/util/file_lock.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/eval/predictions.h"
#include "common/eval/scorer.h"
#include "common/util/files.h"
#include "common/spec/spec_json.h"
#include "common/util/status_macros.h"
#include "worker/infer/bertscore.h"
#include "nlohmann/json.hpp"

namespace ecgbench::worker {
namespace {

namespace eval = common::eval;

// The shards' prediction files, in shard order.
absl::StatusOr<std::vector<std::string>> ShardFiles(const v1::Assignment& a) {
  const nlohmann::json in = nlohmann::json::parse(a.inputs_json(), nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !in.contains("evaluate") || !in["evaluate"].is_array() || in["evaluate"].empty()) {
    return absl::FailedPreconditionError("score: no evaluate results among the inputs");
  }
  std::vector<std::string> files;
  for (size_t i = 0; i < in["evaluate"].size(); ++i) {
    const nlohmann::json& shard = in["evaluate"][i];
    const std::string path = shard.is_object() ? shard.value("predictions_path", std::string()) : std::string();
    if (path.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("score: evaluate shard ", i + 1, " names no predictions file"));
    }
    files.push_back(path);
  }
  return files;
}

}  // namespace

absl::StatusOr<TaskResult> ScoreRunner::Run(TaskContext& ctx) {
  const v1::Assignment& assignment = ctx.assignment();
  const nlohmann::json params = nlohmann::json::parse(assignment.params_json(), nullptr, false);
  if (!params.is_object()) return absl::InvalidArgumentError("score: params are not a JSON object");
  ECGBENCH_ASSIGN_OR_RETURN(const common::EvaluateSpec spec,
                            common::EvaluateSpecFromJson(params.value("evaluate", nlohmann::json::object())));
  std::vector<std::string> metrics = spec.metrics;
  // BERTScore runs a LibTorch model here; the other groups are common/eval's.
  const auto bert = std::find(metrics.begin(), metrics.end(), "bertscore");
  const bool with_bertscore = bert != metrics.end();
  if (with_bertscore) metrics.erase(bert);
  infer::BertScoreOptions bert_options;
  if (with_bertscore) {
    bert_options.model_dir = spec.bertscore.path;
    bert_options.layer = spec.bertscore.layer;
    if (bert_options.model_dir.empty()) {
      return absl::InvalidArgumentError("score: evaluate.bertscore.path is required when metrics lists bertscore");
    }
  }
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<std::string> files, ShardFiles(assignment));

  common::ecg::ContentHash key("score");
  key.SetParameters({{"metrics", metrics},
                     {"bertscore", with_bertscore ? nlohmann::json({{"path", bert_options.model_dir},
                                                                    {"layer", bert_options.layer}})
                                                  : nlohmann::json()},
                     {"version", 1}});
  for (size_t i = 0; i < files.size(); ++i) key.AddInput(absl::StrCat("shard", i), files[i]);
  ECGBENCH_ASSIGN_OR_RETURN(const std::string artifact, common::ecg::ArtifactDir(options_.artifact_root, "score", key.Hex()));
  // Another task may be building the same artifact (runs that share it): wait for it, then reuse.
  ECGBENCH_ASSIGN_OR_RETURN(const common::FileLock artifact_lock,
                            common::FileLock::Acquire(common::FileLock::ForArtifact(artifact), [&ctx] { return ctx.cancelled(); }));
  const std::string metrics_path = artifact + "/metrics.json";
  const std::string predictions_path = artifact + "/predictions.jsonl";

  nlohmann::json by_condition = nlohmann::json::object();
  bool reused = false;
  if (common::FileExists(metrics_path)) {
    ECGBENCH_ASSIGN_OR_RETURN(const std::string text, common::ReadFile(metrics_path));
    by_condition = nlohmann::json::parse(text, nullptr, false);
    reused = by_condition.is_object();
    if (reused) ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("score: reusing the finished artifact ", artifact));
  }
  if (!reused) {
    by_condition = nlohmann::json::object();
    std::vector<eval::Prediction> all;
    for (const std::string& file : files) {
      ECGBENCH_ASSIGN_OR_RETURN(std::vector<eval::Prediction> part, eval::ReadPredictionsJsonl(file));
      for (eval::Prediction& p : part) all.push_back(std::move(p));
    }
    for (eval::Prediction& p : all) {
      if (p.condition.empty()) p.condition = "signal";
    }
    eval::ScoreOptions options;
    options.metrics = metrics;
    options.wordnet_dir = options_.wordnet_dir;
    options.threads = options_.threads;
    ECGBENCH_ASSIGN_OR_RETURN(const eval::Scorer scorer, eval::Scorer::Create(options));
    ECGBENCH_ASSIGN_OR_RETURN(const auto scores, scorer.ScoreByCondition(all));
    std::unique_ptr<infer::BertScorer> bert_scorer;
    if (with_bertscore) {
      ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("score: loading the BERTScore model ", bert_options.model_dir,
                                               " (layer ", bert_options.layer, ")"));
      ECGBENCH_ASSIGN_OR_RETURN(bert_scorer, infer::BertScorer::Load(bert_options));
    }
    for (const auto& [condition, values] : scores) {
      by_condition[condition] = values;
      if (bert_scorer) {
        std::vector<std::string> candidates, references;
        for (const eval::Prediction& p : all) {
          if (p.condition != condition) continue;
          candidates.push_back(p.prediction);
          references.push_back(p.reference);
        }
        ECGBENCH_ASSIGN_OR_RETURN(const std::vector<infer::BertScoreTriple> triples,
                                  bert_scorer->Score(candidates, references));
        double precision = 0, recall = 0, f1 = 0;
        for (const infer::BertScoreTriple& t : triples) {
          precision += t.precision;
          recall += t.recall;
          f1 += t.f1;
        }
        const double n = std::max<double>(1, static_cast<double>(triples.size()));
        by_condition[condition]["bertscore_p"] = precision / n;
        by_condition[condition]["bertscore_r"] = recall / n;
        by_condition[condition]["bertscore_f1"] = f1 / n;
      }
      ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("score: ", condition, ": ", nlohmann::json(values).dump()));
    }
    ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(artifact));
    ECGBENCH_RETURN_IF_ERROR(eval::WritePredictionsJsonl(predictions_path, all));
    ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(metrics_path, by_condition.dump(2)));
  }
  TaskResult result;
  for (const auto& [condition, scores] : by_condition.items()) {
    for (const auto& [metric, value] : scores.items()) {
      if (value.is_number()) result.results[absl::StrCat(condition, ".", metric)] = value.get<double>();
    }
  }
  result.result_json = nlohmann::json({{"artifact", artifact},
                                       {"predictions_path", predictions_path},
                                       {"metrics_path", metrics_path},
                                       {"metrics", by_condition},
                                       {"reused", reused}})
                           .dump();
  return result;
}

}  // namespace ecgbench::worker
