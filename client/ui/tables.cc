// Tables for results, experiment listings and workers.
#include "client/ui/tables.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/ui/format.h"
#include "client/ui/json.h"

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

std::string RenderResults(const v1::GetResultsResponse& results, ResultsFormat format) {
  switch (format) {
    case ResultsFormat::kJson: return ToJson(results, /*pretty=*/true);
    case ResultsFormat::kCsv: return RenderCsv(ResultsTable(results, "", /*exact=*/true));
    case ResultsFormat::kTable: break;
  }
  if (results.runs().empty()) return "(no runs)\n";
  return RenderTable(ResultsTable(results, "-", /*exact=*/false));
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
