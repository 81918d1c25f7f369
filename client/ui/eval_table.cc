// The compact evaluation and training tables (see eval_table.h).
#include "client/ui/eval_table.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "client/ui/format.h"
#include "common/eval/fold_stats.h"
#include "common/report/summary.h"
#include "common/report/writers.h"

namespace ecgbench::client {

namespace {

using common::report::ExperimentResults;
using common::report::RunRow;

constexpr absl::string_view kConditions[] = {"signal", "zeros", "none"};
constexpr absl::string_view kQuestionTypes[] = {"single-verify", "single-choose", "single-query"};
constexpr absl::string_view kAccuracyPrefix = "accuracy/";

// The score metrics shown after the question types: metric name -> header.
constexpr std::pair<absl::string_view, absl::string_view> kScoreColumns[] = {
    {"accuracy", "accuracy"}, {"bleu", "BLEU"}, {"meteor", "METEOR"}, {"rougeL", "ROUGE-L"},
    {"bertscore_f1", "BERTScore"}};

int IndexIn(absl::string_view s, absl::Span<const absl::string_view> list) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] == s) return static_cast<int>(i);
  }
  return static_cast<int>(list.size());
}

bool IsCondition(absl::string_view s) { return IndexIn(s, kConditions) < 3; }

// "score.<c>[.<c>].<metric>" -> (condition label, metric); false for other names. Like
// common/report/ablation.h: no condition segment means "signal".
struct ScoreName {
  std::string train, infer, metric;
  std::string label() const { return train.empty() ? infer : absl::StrCat(train, "->", infer); }
};

bool ParseScoreName(absl::string_view name, ScoreName* out) {
  if (!absl::StartsWith(name, "score.")) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(name, '.');
  size_t conditions = 0;
  while (conditions < 2 && parts.size() - 1 - conditions > 1 && IsCondition(parts[1 + conditions])) ++conditions;
  out->train.clear();
  out->infer = "signal";
  if (conditions == 1) out->infer = std::string(parts[1]);
  if (conditions == 2) {
    out->train = std::string(parts[1]);
    out->infer = std::string(parts[2]);
  }
  out->metric = absl::StrJoin(parts.begin() + 1 + conditions, parts.end(), ".");
  return !out->metric.empty();
}

bool IsCount(const std::string& metric) { return metric == "n" || metric == "n_empty"; }

struct ConditionKey {
  int train_order, infer_order;
  std::string label;
  bool operator<(const ConditionKey& o) const {
    return std::tie(train_order, infer_order, label) < std::tie(o.train_order, o.infer_order, o.label);
  }
};

ConditionKey KeyOf(const ScoreName& s) {
  return {s.train.empty() ? -1 : IndexIn(s.train, kConditions), IndexIn(s.infer, kConditions), s.label()};
}

// A run's score metrics: condition label -> metric -> value.
using RunScores = std::map<std::string, std::map<std::string, double>>;

RunScores ScoresOf(const RunRow& run, std::set<ConditionKey>* conditions, std::set<std::string>* metrics) {
  RunScores out;
  ScoreName s;
  for (const auto& [name, value] : run.metrics) {
    if (!ParseScoreName(name, &s)) continue;
    out[s.label()][s.metric] = value;
    if (IsCount(s.metric)) continue;
    conditions->insert(KeyOf(s));
    metrics->insert(s.metric);
  }
  return out;
}

std::string Cell(const std::vector<double>& values) {
  if (values.empty()) return "-";
  if (values.size() == 1) return common::report::DisplayNumber(values[0] * 100, 100);
  auto stats = common::eval::ComputeFoldStats(values);
  if (!stats.ok()) return "-";
  std::string text = common::report::DisplayNumber(stats->mean, 100);
  if (stats->has_interval()) absl::StrAppend(&text, " ± ", common::report::DisplayNumber(stats->half_width(), 100));
  return text;
}

std::string Count(double v) {
  return std::isfinite(v) ? absl::StrCat(static_cast<int64_t>(std::llround(v))) : FormatMetric(v);
}

std::string Optional(const RunRow& run, const std::string& metric, double scale) {
  auto it = run.metrics.find(metric);
  return it == run.metrics.end() ? "-" : common::report::DisplayNumber(it->second, scale);
}

}  // namespace

bool HasEvaluationScores(const ExperimentResults& results) {
  ScoreName s;
  for (const RunRow& run : results.runs) {
    for (const auto& [name, value] : run.metrics) {
      if (ParseScoreName(name, &s) && !IsCount(s.metric)) return true;
    }
  }
  return false;
}

bool HasEvaluationView(const ExperimentResults& results) {
  if (HasEvaluationScores(results)) return true;
  for (const RunRow& run : results.runs) {
    for (const auto& [name, value] : run.metrics) {
      if (absl::StartsWith(name, "train.")) return true;
    }
  }
  return false;
}

Table EvaluationTable(const ExperimentResults& results) {
  std::set<ConditionKey> condition_keys;
  std::set<std::string> metrics;
  std::vector<RunScores> scores;
  for (const RunRow& run : results.runs) scores.push_back(ScoresOf(run, &condition_keys, &metrics));

  // Columns: question types, then the fixed score metrics, each only when measured.
  std::vector<std::string> types;
  for (const std::string& m : metrics) {
    if (absl::StartsWith(m, kAccuracyPrefix)) types.push_back(m.substr(kAccuracyPrefix.size()));
  }
  std::sort(types.begin(), types.end(), [](const std::string& a, const std::string& b) {
    return std::make_pair(IndexIn(a, kQuestionTypes), a) < std::make_pair(IndexIn(b, kQuestionTypes), b);
  });
  std::vector<std::string> columns;  // metric names
  Table table;
  table.header = {"run", "condition"};
  for (const std::string& t : types) {
    columns.push_back(absl::StrCat(kAccuracyPrefix, t));
    absl::string_view head = t;
    absl::ConsumePrefix(&head, "single-");
    table.header.emplace_back(head);
  }
  for (const auto& [metric, header] : kScoreColumns) {
    if (!metrics.count(std::string(metric))) continue;
    columns.emplace_back(metric);
    table.header.emplace_back(header);
  }
  if (condition_keys.empty()) return table;

  common::report::SummaryOptions options;
  options.compare = "none";
  auto summary = common::report::Summarize(results, options);
  std::vector<std::vector<size_t>> groups;
  std::vector<std::string> names;
  if (summary.ok()) {
    for (const auto& g : summary->groups) {
      groups.push_back(g.runs);
      names.push_back(g.runs.size() == 1 ? results.runs[g.runs[0]].display_name() : g.name);
    }
  } else {  // not reached with compare "none"; one group per run keeps the table whole
    for (size_t i = 0; i < results.runs.size(); ++i) {
      groups.push_back({i});
      names.push_back(results.runs[i].display_name());
    }
  }
  const bool replicates = summary.ok() && summary->max_replicates >= 2;
  if (replicates) table.header.push_back("runs");
  table.header.push_back("n");
  table.right_align.assign(table.header.size(), true);
  table.right_align[0] = table.right_align[1] = false;

  for (size_t g = 0; g < groups.size(); ++g) {
    bool first = true;
    for (const ConditionKey& condition : condition_keys) {
      std::vector<std::string> row = {first ? names[g] : "", condition.label};
      int runs = 0;
      double n = 0;
      bool has_n = false;
      for (size_t r : groups[g]) {
        auto it = scores[r].find(condition.label);
        if (it == scores[r].end()) continue;
        ++runs;
        if (auto c = it->second.find("n"); c != it->second.end()) {
          n += c->second;
          has_n = true;
        }
      }
      if (runs == 0) continue;
      for (const std::string& metric : columns) {
        std::vector<double> values;
        for (size_t r : groups[g]) {
          auto it = scores[r].find(condition.label);
          if (it == scores[r].end()) continue;
          if (auto v = it->second.find(metric); v != it->second.end()) values.push_back(v->second);
        }
        row.push_back(Cell(values));
      }
      if (replicates) row.push_back(absl::StrCat(runs));
      row.push_back(has_n ? Count(n) : "-");
      table.rows.push_back(std::move(row));
      first = false;
    }
    if (first) {
      std::vector<std::string> row = {names[g], "-"};
      row.resize(table.header.size(), "-");
      if (replicates) row[row.size() - 2] = "0";
      table.rows.push_back(std::move(row));
    }
  }
  return table;
}

Table TrainingTable(const ExperimentResults& results, const TrainSeconds& train_seconds) {
  bool has_val = false;
  for (const RunRow& run : results.runs) has_val = has_val || run.metrics.count("train.best_val_loss") > 0;
  Table table;
  table.header = {"run", "state", "steps", "final loss"};
  if (has_val) table.header.push_back("best val loss");
  table.header.push_back("train time");
  table.right_align.assign(table.header.size(), true);
  table.right_align[0] = table.right_align[1] = false;
  for (const RunRow& run : results.runs) {
    std::vector<std::string> row = {run.display_name(), run.state};
    auto steps = run.metrics.find("train.steps");
    row.push_back(steps == run.metrics.end() ? "-" : Count(steps->second));
    row.push_back(Optional(run, "train.final_loss", 1));
    if (has_val) row.push_back(Optional(run, "train.best_val_loss", 1));
    auto seconds = train_seconds.find(run.id);
    row.push_back(seconds == train_seconds.end() ? "-" : FormatDuration(seconds->second));
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string RenderEvaluationView(const ExperimentResults& results, const TrainSeconds& train_seconds) {
  std::string out;
  if (HasEvaluationScores(results)) {
    Table table = EvaluationTable(results);
    const bool replicates = std::find(table.header.begin(), table.header.end(), "runs") != table.header.end();
    absl::StrAppend(&out, "Evaluation (x100",
                    replicates ? "; mean ± 95% t-interval half-width over the runs of a variant" : "",
                    "; n = answers scored):\n", RenderTable(table));
  }
  bool trained = false;
  for (const RunRow& run : results.runs) {
    for (const auto& [name, value] : run.metrics) trained = trained || absl::StartsWith(name, "train.");
  }
  if (trained) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, "Training:\n", RenderTable(TrainingTable(results, train_seconds)));
  }
  return out;
}

}  // namespace ecgbench::client
