// Tables shown by `results`, `list` and `workers`. Pure functions of the replies; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/ui/table.h"
#include "common/report/results_data.h"
#include "common/report/summary.h"
#include "ecgbench/v1/coordinator.pb.h"

namespace ecgbench::client {

enum class ResultsFormat { kTable, kCsv, kJson };

// One row per run: run name (its id when unnamed), state, then one column per metric name found in
// any run, sorted by name. A metric a run lacks is `missing`. Values use FormatMetricExact when
// exact is true, else FormatMetric.
Table ResultsTable(const v1::GetResultsResponse& results, const std::string& missing, bool exact);

// The whole output of `results`: table (missing "-"), CSV (missing empty, exact values) or JSON.
// A table without runs reads "(no runs)\n". When some variant ran on two or more folds/seeds, the
// table is followed by the statistics across them (of the key metrics when there are any, else of
// every metric) and the paired comparisons between variants
// (common/report/summary.h) with `compare` (wilcoxon | paired_bootstrap | none; an unknown method
// prints the error in place of the comparisons).
std::string RenderResults(const v1::GetResultsResponse& results, ResultsFormat format,
                          const std::string& compare = "wilcoxon");

// The results as the report library sees them: run id, name, state name, variant, metrics.
common::report::ExperimentResults ToReportResults(const v1::GetResultsResponse& results);

// True when some variant has two or more runs told apart by a fold/seed matrix key.
bool HasReplicates(const common::report::Summary& summary);

// variant, metric, n, mean, std, 95% CI (evaluation metrics x100); with key_only, only the key
// metrics (common/report/summary.h IsKeyMetric: evaluation metrics, final/best losses).
Table StatisticsTable(const common::report::Summary& summary, bool key_only);

// metric, A, B, pairs, mean A - B, p (or why there is none).
Table ComparisonsTable(const common::report::Summary& summary);

// id, name, state, runs, tasks done/total, created (local time).
Table ExperimentsTable(const std::vector<v1::Experiment>& experiments);

// id, name, state, cpus, free cpus, gpus, stage kinds, heartbeat age relative to now_unix_ms.
Table WorkersTable(const v1::ListWorkersResponse& workers, int64_t now_unix_ms);

}  // namespace ecgbench::client
