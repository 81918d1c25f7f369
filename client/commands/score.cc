// `ecgbench score --pred FILE [--ref FILE] [--metrics LIST] [--by-condition] [--json]`: the
// evaluation metrics (BLEU, ROUGE, METEOR, accuracy, F1) of a predictions JSONL file, computed
// locally with common/eval (no coordinator). docs/evaluation-metrics.md has the format and the
// exact semantics of every metric.
// Output: one line per metric, values x100 with two decimals (counts as integers); with
// --by-condition one column per ablation condition; --json prints the raw values in [0, 1]
// (an object of metrics, or with --by-condition an object of conditions).
// Exit codes (client/commands/exit_codes.h): 0 success, 2 usage (e.g. an unknown metric),
// 6 invalid input (a missing or malformed file: the message names path:line and the field;
// several conditions in one file without --by-condition), 1 other failures (e.g. no WordNet).
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "common/eval/predictions.h"
#include "common/eval/scorer.h"
#include "nlohmann/json.hpp"

namespace ecgbench::client {

namespace {

namespace eval = common::eval;

constexpr char kFooter[] =
    "Metric groups: bleu (bleu, bleu_sent), rouge (rouge1, rouge2, rougeL), meteor, accuracy (accuracy,\n"
    "exact_match, accuracy/<question_type>), f1 (f1, f1/<question_type>); 'all' (the default) is every group.\n"
    "Exit codes: 0 success, 1 failure (e.g. WordNet missing), 2 usage error, 6 invalid input (a missing or\n"
    "malformed predictions file). docs/evaluation-metrics.md has the format and the metrics' definitions.";

struct ScoreCommandOptions {
  std::string pred;
  std::string ref;
  std::string metrics = "all";
  std::string wordnet = "/usr/share/wordnet";
  int threads = 0;
  bool by_condition = false;
  bool json = false;
};

int Fail(CommandContext& ctx, const std::string& message, int code) {
  ctx.err() << "ecgbench: " << message << "\n" << std::flush;
  return code;
}

// Display order: the headline metrics first, then per-question-type values, then the counts.
std::vector<std::string> MetricOrder(const std::map<std::string, double>& scores) {
  static const char* const kFirst[] = {"bleu",     "bleu_sent",   "rouge1", "rouge2", "rougeL",
                                       "meteor",   "accuracy",    "exact_match", "f1"};
  std::vector<std::string> order;
  for (const char* name : kFirst) {
    if (scores.count(name)) order.emplace_back(name);
  }
  for (const auto& [name, value] : scores) {
    if (name.find('/') != std::string::npos) order.push_back(name);
  }
  order.emplace_back("n");
  order.emplace_back("n_empty");
  return order;
}

std::string Cell(const std::map<std::string, double>& scores, const std::string& name) {
  const auto it = scores.find(name);
  if (it == scores.end()) return "-";
  if (name == "n" || name == "n_empty") return absl::StrCat(static_cast<int64_t>(it->second));
  return absl::StrFormat("%.2f", it->second * 100.0);
}

void PrintTable(CommandContext& ctx, const std::map<std::string, std::map<std::string, double>>& by_condition) {
  // Rows: the union of the metric names (per-question-type names can differ between conditions).
  std::map<std::string, double> all;
  for (const auto& [condition, scores] : by_condition) all.insert(scores.begin(), scores.end());
  const std::vector<std::string> rows = MetricOrder(all);
  size_t width = 6;
  for (const std::string& r : rows) width = std::max(width, r.size());
  std::vector<std::string> headers;
  std::vector<size_t> widths;
  for (const auto& [condition, scores] : by_condition) {
    headers.push_back(condition.empty() ? "(none)" : condition);
    widths.push_back(std::max<size_t>(8, headers.back().size()));
  }
  if (by_condition.size() > 1) {
    std::string line = absl::StrFormat("%-*s", static_cast<int>(width), "metric");
    for (size_t i = 0; i < headers.size(); ++i) absl::StrAppend(&line, "  ", absl::StrFormat("%*s", static_cast<int>(widths[i]), headers[i]));
    ctx.out() << line << "\n";
  }
  for (const std::string& r : rows) {
    std::string line = absl::StrFormat("%-*s", static_cast<int>(width), r);
    size_t i = 0;
    for (const auto& [condition, scores] : by_condition) {
      absl::StrAppend(&line, "  ", absl::StrFormat("%*s", static_cast<int>(widths[i++]), Cell(scores, r)));
    }
    ctx.out() << line << "\n";
  }
}

int RunScore(CommandContext& ctx, const ScoreCommandOptions& o) {
  // The scorer first: an unknown metric is a usage error before any file is read.
  eval::ScoreOptions options;
  options.metrics = eval::ParseMetricList(o.metrics);
  options.wordnet_dir = o.wordnet;
  options.threads = o.threads;
  auto scorer = eval::Scorer::Create(options);
  if (absl::IsInvalidArgument(scorer.status())) {
    return Fail(ctx, absl::StrCat("--metrics: ", scorer.status().message()), kExitUsage);
  }
  if (!scorer.ok()) return Fail(ctx, std::string(scorer.status().message()), kExitFailed);
  eval::PredictionFileOptions pred_options;
  pred_options.require_reference = o.ref.empty();
  pred_options.threads = o.threads;
  auto preds = eval::ReadPredictionsJsonl(o.pred, pred_options);
  if (!preds.ok()) return Fail(ctx, std::string(preds.status().message()), kExitInvalidArgument);
  if (!o.ref.empty()) {
    eval::PredictionFileOptions ref_options;
    ref_options.require_prediction = false;
    ref_options.threads = o.threads;
    auto refs = eval::ReadPredictionsJsonl(o.ref, ref_options);
    if (!refs.ok()) return Fail(ctx, std::string(refs.status().message()), kExitInvalidArgument);
    if (absl::Status st = eval::JoinReferences(*refs, o.ref, &*preds, o.pred); !st.ok()) {
      return Fail(ctx, std::string(st.message()), kExitInvalidArgument);
    }
  }
  std::set<std::string> conditions;
  for (const eval::Prediction& p : *preds) conditions.insert(p.condition);
  if (conditions.size() > 1 && !o.by_condition) {
    std::vector<std::string> quoted;
    for (const std::string& c : conditions) quoted.push_back(absl::StrCat("\"", c, "\""));
    return Fail(ctx,
                absl::StrCat(o.pred, ": holds the conditions ", absl::StrJoin(quoted, ", "),
                             "; score them apart with --by-condition"),
                kExitInvalidArgument);
  }

  std::map<std::string, std::map<std::string, double>> by_condition;
  if (o.by_condition) {
    auto scores = scorer->ScoreByCondition(*preds);
    if (!scores.ok()) return Fail(ctx, std::string(scores.status().message()), kExitInvalidArgument);
    by_condition = std::move(*scores);
  } else {
    auto scores = scorer->Score(*preds);
    if (!scores.ok()) return Fail(ctx, std::string(scores.status().message()), kExitInvalidArgument);
    by_condition[*conditions.begin()] = std::move(*scores);
  }

  if (o.json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [condition, scores] : by_condition) {
      nlohmann::ordered_json m = nlohmann::ordered_json::object();
      for (const std::string& name : MetricOrder(scores)) m[name] = scores.at(name);
      if (!o.by_condition) {
        j = std::move(m);
        break;
      }
      j[condition] = std::move(m);
    }
    ctx.out() << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  } else {
    PrintTable(ctx, by_condition);
  }
  ctx.out() << std::flush;
  if (!ctx.out()) return Fail(ctx, "writing the output failed", kExitFailed);
  return kExitOk;
}

}  // namespace

void AddScoreCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<ScoreCommandOptions>();
  CLI::App* score = app.add_subcommand("score", "Evaluation metrics of a predictions JSONL file (no coordinator)");
  score->add_option("--pred", o->pred, "Predictions JSONL (id, question_type, reference, prediction, ...)")->required();
  score->add_option("--ref", o->ref, "References JSONL matched by (id, turn); then --pred needs no reference field");
  score->add_option("--metrics", o->metrics, "Comma-separated metric groups: bleu,rouge,meteor,accuracy,f1 or all")
      ->capture_default_str();
  score->add_option("--wordnet", o->wordnet, "WordNet 3.0 database directory (for meteor)")->capture_default_str();
  score->add_option("--threads", o->threads, "Threads for reading and scoring (0: one per core)")->check(CLI::NonNegativeNumber);
  score->add_flag("--by-condition", o->by_condition, "Score each ablation condition (the condition field) apart");
  score->add_flag("--json", o->json, "Print JSON (values in [0, 1])");
  score->footer(kFooter);
  score->callback([&ctx, action, o] { *action = [&ctx, o] { return RunScore(ctx, *o); }; });
}

}  // namespace ecgbench::client
