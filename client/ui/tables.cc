// Tables for results, experiment listings and workers.
#include "client/ui/tables.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/ui/format.h"
#include "client/ui/json.h"
#include "common/report/writers.h"

namespace ecgbench::client {

Table ResultsTable(const v1::GetResultsResponse& results, const std::string& missing, bool exact) {
  std::set<std::string> names;
  for (const auto& run : results.runs()) {
    for (const auto& [name, value] : run.metrics()) names.insert(name);
  }
  Table table;
  table.header = {"run", "state"};
  table.right_align = {false, false};
  for (const auto& name : names) {
    table.header.push_back(name);
    table.right_align.push_back(true);
  }
  for (const auto& run : results.runs()) {
    std::vector<std::string> row = {run.run_name().empty() ? run.run_id() : run.run_name(),
                                    StateName(run.state())};
    for (const auto& name : names) {
      auto it = run.metrics().find(name);
      if (it == run.metrics().end()) row.push_back(missing);
      else row.push_back(exact ? FormatMetricExact(it->second) : FormatMetric(it->second));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

namespace {

bool HasKeyMetric(const common::report::Summary& summary) {
  for (const auto& m : summary.metrics) {
    if (common::report::IsKeyMetric(m)) return true;
  }
  return false;
}

}  // namespace

std::string RenderResults(const v1::GetResultsResponse& results, ResultsFormat format, const std::string& compare) {
  switch (format) {
    case ResultsFormat::kJson: return ToJson(results, /*pretty=*/true);
    case ResultsFormat::kCsv: return RenderCsv(ResultsTable(results, "", /*exact=*/true));
    case ResultsFormat::kTable: break;
  }
  if (results.runs().empty()) return "(no runs)\n";
  std::string out = RenderTable(ResultsTable(results, "-", /*exact=*/false));
  common::report::SummaryOptions options;
  options.compare = compare == "none" || compare == "paired_bootstrap" ? compare : "wilcoxon";
  auto summary = common::report::Summarize(ToReportResults(results), options);
  if (!summary.ok() || !HasReplicates(*summary)) return out;
  absl::StrAppend(&out, "\nStatistics across folds/seeds (score.* metrics x100; sample std, 95% t-interval):\n",
                  RenderTable(StatisticsTable(*summary, HasKeyMetric(*summary))));
  if (compare != "none" && compare != "wilcoxon" && compare != "paired_bootstrap") {
    absl::StrAppend(&out, "\ncompare: expected one of wilcoxon, paired_bootstrap, none, got \"", compare, "\"\n");
  } else if (!summary->comparisons.empty()) {
    absl::StrAppend(&out, "\nPaired comparisons (",
                    compare == "wilcoxon" ? "Wilcoxon signed-rank" : "paired bootstrap",
                    ", two-sided, over the folds/seeds both ran):\n", RenderTable(ComparisonsTable(*summary)));
  }
  return out;
}

common::report::ExperimentResults ToReportResults(const v1::GetResultsResponse& results) {
  common::report::ExperimentResults out;
  out.experiment_id = results.experiment_id();
  out.state = StateName(results.state());
  for (const auto& run : results.runs()) {
    common::report::RunRow row;
    row.id = run.run_id();
    row.name = run.run_name();
    row.state = StateName(run.state());
    // The proto map has no order: take the keys in the order the run name lists them
    // ("k1=v1,k2=v2", the matrix order), then any others by name.
    std::set<std::string> placed;
    for (absl::string_view part : absl::StrSplit(run.run_name(), ',')) {
      const std::string key(part.substr(0, part.find('=')));
      auto it = run.variant().find(key);
      if (it != run.variant().end() && placed.insert(key).second) row.variant.emplace_back(key, it->second);
    }
    std::map<std::string, std::string> rest(run.variant().begin(), run.variant().end());
    for (const auto& [key, value] : rest) {
      if (!placed.count(key)) row.variant.emplace_back(key, value);
    }
    row.metrics.insert(run.metrics().begin(), run.metrics().end());
    out.runs.push_back(std::move(row));
  }
  return out;
}

bool HasReplicates(const common::report::Summary& summary) {
  for (const auto& group : summary.groups) {
    std::set<std::string> replicates;
    for (const auto& r : group.replicates) {
      if (!r.empty()) replicates.insert(r);
    }
    if (replicates.size() >= 2) return true;
  }
  return false;
}

Table StatisticsTable(const common::report::Summary& summary, bool key_only) {
  using common::report::DisplayNumber;
  Table table;
  table.header = {"variant", "metric", "n", "mean", "std", "95% CI"};
  table.right_align = {false, false, true, true, true, false};
  for (const auto& s : summary.stats) {
    if (key_only && !common::report::IsKeyMetric(s.metric)) continue;
    std::string ci = "-";
    if (s.stats.has_interval()) {
      ci = absl::StrCat("[", DisplayNumber(s.stats.ci_low, s.scale), ", ", DisplayNumber(s.stats.ci_high, s.scale), "]");
    }
    table.rows.push_back({summary.groups[s.group].name, s.metric, absl::StrCat(s.stats.n),
                          DisplayNumber(s.stats.mean, s.scale), DisplayNumber(s.stats.std, s.scale), ci});
  }
  return table;
}

Table ComparisonsTable(const common::report::Summary& summary) {
  Table table;
  table.header = {"metric", "A", "B", "pairs", "mean A-B", "p"};
  table.right_align = {false, false, false, true, true, true};
  for (const auto& c : summary.comparisons) {
    table.rows.push_back({c.metric, summary.groups[c.a].name, summary.groups[c.b].name, absl::StrCat(c.n),
                          common::report::DisplayNumber(c.mean_diff, common::report::MetricScale(c.metric)),
                          c.note.empty() ? common::report::DisplayPValue(c.p_value) : c.note});
  }
  return table;
}

Table ExperimentsTable(const std::vector<v1::Experiment>& experiments) {
  Table table;
  table.header = {"id", "name", "state", "runs", "tasks", "created"};
  table.right_align = {false, false, false, true, true, false};
  for (const auto& e : experiments) {
    table.rows.push_back({e.id(), e.name(), StateName(e.state()), absl::StrCat(e.num_runs()),
                          absl::StrCat(e.tasks_done(), "/", e.tasks_total()),
                          FormatLocalTime(e.created_unix_ms())});
  }
  return table;
}

Table WorkersTable(const v1::ListWorkersResponse& workers, int64_t now_unix_ms) {
  Table table;
  table.header = {"id", "name", "state", "cpus", "free cpus", "gpus", "stage kinds", "heartbeat"};
  table.right_align = {false, false, false, true, true, true, false, true};
  for (const auto& w : workers.workers()) {
    std::vector<std::string> kinds(w.stage_kinds().begin(), w.stage_kinds().end());
    std::string age = "-";
    if (w.last_heartbeat_unix_ms() > 0) {
      age = FormatDuration(std::max<int64_t>(0, now_unix_ms - w.last_heartbeat_unix_ms()) / 1000.0) + " ago";
    }
    table.rows.push_back({w.id(), w.name(), WorkerStateName(w.state()), absl::StrCat(w.resources().cpu_cores()),
                          absl::StrCat(w.free().cpu_cores()), absl::StrCat(w.resources().gpus_size()),
                          kinds.empty() ? "-" : absl::StrJoin(kinds, ","), age});
  }
  return table;
}

}  // namespace ecgbench::client
