// Variant grouping, fold statistics and paired comparisons (see summary.h).
#include "common/report/summary.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ecgbench::common::report {

namespace {

absl::string_view LastSegment(absl::string_view key) {
  const size_t dot = key.rfind('.');
  return dot == absl::string_view::npos ? key : key.substr(dot + 1);
}

// Values of `metric` for each run of `group`, keyed by replicate text (runs lacking it left out).
std::map<std::string, double> ValuesByReplicate(const ExperimentResults& results, const VariantGroup& group,
                                                const std::string& metric, double scale) {
  std::map<std::string, double> out;
  for (size_t i = 0; i < group.runs.size(); ++i) {
    const auto& metrics = results.runs[group.runs[i]].metrics;
    auto it = metrics.find(metric);
    if (it != metrics.end()) out.emplace(group.replicates[i], it->second * scale);
  }
  return out;
}

Comparison Compare(const std::map<std::string, double>& a, const std::map<std::string, double>& b,
                   const SummaryOptions& options) {
  std::vector<double> x, y;
  for (const auto& [replicate, value] : a) {
    auto it = b.find(replicate);
    if (it == b.end()) continue;
    x.push_back(value);
    y.push_back(it->second);
  }
  Comparison c;
  c.method = options.compare;
  c.n = static_cast<int>(x.size());
  if (x.empty()) return c;
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += x[i] - y[i];
  c.mean_diff = sum / static_cast<double>(x.size());
  if (options.compare == "wilcoxon") {
    auto w = eval::WilcoxonSignedRank(x, y);
    if (w.ok()) c.p_value = w->p_value;
    else if (absl::StrContains(w.status().message(), "every difference is zero")) c.note = "all differences zero";
    else c.note = std::string(w.status().message());
  } else {
    auto r = eval::PairedBootstrap(x, y, options.bootstrap);
    if (r.ok()) c.p_value = r->p_value;
    else c.note = std::string(r.status().message());
  }
  return c;
}

}  // namespace

bool IsReplicateKey(absl::string_view key) {
  const absl::string_view last = LastSegment(key);
  return last == "fold" || last == "seed";
}

double MetricScale(absl::string_view metric) {
  if (!absl::StartsWith(metric, "score.")) return 1;
  const absl::string_view last = LastSegment(metric);
  return last == "n" || last == "n_empty" ? 1 : 100;  // the scorer's counts stay counts
}

bool IsKeyMetric(absl::string_view metric) {
  if (MetricScale(metric) == 100) return true;
  if (!absl::StartsWith(metric, "train")) return false;
  const absl::string_view last = LastSegment(metric);
  return last == "final_loss" || last == "best_val_loss";
}

std::string VariantText(const std::vector<std::pair<std::string, std::string>>& variant, bool replicates) {
  std::string out;
  for (const auto& [key, value] : variant) {
    if (IsReplicateKey(key) != replicates) continue;
    absl::StrAppend(&out, out.empty() ? "" : ",", key, "=", value);
  }
  return out;
}

absl::StatusOr<Summary> Summarize(const ExperimentResults& results, const SummaryOptions& options) {
  if (options.compare != "wilcoxon" && options.compare != "paired_bootstrap" && options.compare != "none") {
    return absl::InvalidArgumentError(absl::StrCat(
        "compare: expected one of wilcoxon, paired_bootstrap, none, got \"", options.compare, "\""));
  }
  Summary s;
  std::map<std::string, size_t> group_index;
  std::set<std::string> names;
  for (size_t r = 0; r < results.runs.size(); ++r) {
    const RunRow& run = results.runs[r];
    std::string name = VariantText(run.variant, /*replicates=*/false);
    if (name.empty()) name = "all runs";
    auto [it, inserted] = group_index.emplace(name, s.groups.size());
    if (inserted) s.groups.push_back(VariantGroup{name, {}, {}});
    VariantGroup& g = s.groups[it->second];
    g.runs.push_back(r);
    g.replicates.push_back(VariantText(run.variant, /*replicates=*/true));
    s.max_replicates = std::max(s.max_replicates, static_cast<int>(g.runs.size()));
    for (const auto& [metric, value] : run.metrics) names.insert(metric);
  }
  s.metrics.assign(names.begin(), names.end());
  eval::FoldStatsOptions fold_options;
  for (const std::string& metric : s.metrics) {
    fold_options.scale = MetricScale(metric);
    for (size_t g = 0; g < s.groups.size(); ++g) {
      std::vector<double> values;
      for (size_t r : s.groups[g].runs) {
        auto it = results.runs[r].metrics.find(metric);
        if (it != results.runs[r].metrics.end()) values.push_back(it->second);
      }
      if (values.empty()) continue;
      auto stats = eval::ComputeFoldStats(values, fold_options);
      if (!stats.ok()) continue;  // a non-finite value: no statistics for this cell
      s.stats.push_back(MetricStats{metric, g, fold_options.scale, *stats});
    }
  }
  if (options.compare == "none" || s.groups.size() < 2) return s;
  for (const std::string& metric : s.metrics) {
    if (!IsKeyMetric(metric)) continue;
    const double scale = MetricScale(metric);
    std::vector<std::map<std::string, double>> by_group;
    for (const VariantGroup& g : s.groups) by_group.push_back(ValuesByReplicate(results, g, metric, scale));
    for (size_t a = 0; a < s.groups.size(); ++a) {
      for (size_t b = a + 1; b < s.groups.size(); ++b) {
        Comparison c = Compare(by_group[a], by_group[b], options);
        if (c.n < 2) continue;  // nothing to test with fewer than two matched replicates
        c.metric = metric;
        c.a = a;
        c.b = b;
        s.comparisons.push_back(std::move(c));
      }
    }
  }
  return s;
}

}  // namespace ecgbench::common::report
