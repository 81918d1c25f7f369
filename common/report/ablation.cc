// Ablation matrices from run results (see ablation.h).
#include "common/report/ablation.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/report/summary.h"

namespace ecgbench::common::report {

namespace {

constexpr absl::string_view kConditions[] = {"signal", "zeros", "none"};

bool IsCondition(absl::string_view s) {
  return std::find(std::begin(kConditions), std::end(kConditions), s) != std::end(kConditions);
}

int ConditionOrder(const std::string& s) {
  for (int i = 0; i < 3; ++i) {
    if (kConditions[i] == s) return i;
  }
  return 3;
}

// The training condition a run's matrix values give ("" when none does).
std::string TrainConditionOf(const RunRow& run) {
  for (const auto& [key, value] : run.variant) {
    if (!absl::StartsWith(key, "train") || !absl::EndsWith(key, "ablation")) continue;
    absl::string_view v = value;
    absl::ConsumePrefix(&v, "[");
    absl::ConsumeSuffix(&v, "]");
    std::string out(v);
    out.erase(std::remove(out.begin(), out.end(), ' '), out.end());
    return out;
  }
  return "";
}

std::vector<std::string> Ordered(const std::set<std::string>& conditions) {
  std::vector<std::string> out(conditions.begin(), conditions.end());
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return std::make_pair(ConditionOrder(a), a) < std::make_pair(ConditionOrder(b), b);
  });
  return out;
}

}  // namespace

std::optional<AblationName> ParseAblationName(absl::string_view name) {
  if (!absl::StartsWith(name, "score.")) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(name, '.');
  // parts[0] is the stage; up to two condition segments follow; the rest is the metric.
  size_t conditions = 0;
  while (conditions < 2 && parts.size() - 1 - conditions > 1 && IsCondition(parts[1 + conditions])) ++conditions;
  AblationName out;
  out.infer = "signal";
  if (conditions == 1) {
    out.infer = std::string(parts[1]);
  } else if (conditions == 2) {
    out.train = std::string(parts[1]);
    out.infer = std::string(parts[2]);
  }
  const std::string metric = absl::StrJoin(parts.begin() + 1 + conditions, parts.end(), ".");
  if (metric == "n" || metric == "n_empty") return std::nullopt;
  out.metric = absl::StrCat(parts[0], ".", metric);
  return out;
}

std::vector<AblationMatrix> BuildAblationMatrices(const ExperimentResults& results) {
  // (metric, variant) -> (train, infer) -> values
  std::map<std::pair<std::string, std::string>, std::map<std::pair<std::string, std::string>, std::vector<double>>>
      values;
  for (const RunRow& run : results.runs) {
    const std::string run_train = TrainConditionOf(run);
    std::vector<std::pair<std::string, std::string>> axes;  // the variant without the training condition
    for (const auto& kv : run.variant) {
      if (!(absl::StartsWith(kv.first, "train") && absl::EndsWith(kv.first, "ablation"))) axes.push_back(kv);
    }
    const std::string variant = VariantText(axes, /*replicates=*/false);
    for (const auto& [name, value] : run.metrics) {
      auto parsed = ParseAblationName(name);
      if (!parsed) continue;
      std::string train = !parsed->train.empty() ? parsed->train : (!run_train.empty() ? run_train : "signal");
      values[{parsed->metric, variant}][{train, parsed->infer}].push_back(value);
    }
  }
  std::vector<AblationMatrix> out;
  for (const auto& [key, cells] : values) {
    const auto& [metric, variant] = key;
    if (cells.size() < 2) continue;
    std::set<std::string> trains, infers;
    for (const auto& [key, v] : cells) {
      trains.insert(key.first);
      infers.insert(key.second);
    }
    AblationMatrix m;
    m.metric = metric;
    m.variant = variant;
    m.train_conditions = Ordered(trains);
    m.infer_conditions = Ordered(infers);
    for (const std::string& t : m.train_conditions) {
      for (const std::string& i : m.infer_conditions) {
        auto it = cells.find({t, i});
        std::optional<eval::FoldStats> cell;
        if (it != cells.end()) {
          auto stats = eval::ComputeFoldStats(it->second);
          if (stats.ok()) cell = *stats;
        }
        m.cells.push_back(cell);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace ecgbench::common::report
