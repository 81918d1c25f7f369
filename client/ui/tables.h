// Tables shown by `results`, `list` and `workers`. Pure functions of the replies; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/ui/table.h"
#include "ecgbench/v1/coordinator.pb.h"

namespace ecgbench::client {

enum class ResultsFormat { kTable, kCsv, kJson };

// One row per run: run name (its id when unnamed), state, then one column per metric name found in
// any run, sorted by name. A metric a run lacks is `missing`. Values use FormatMetricExact when
// exact is true, else FormatMetric.
Table ResultsTable(const v1::GetResultsResponse& results, const std::string& missing, bool exact);

// The whole output of `results`: table (missing "-"), CSV (missing empty, exact values) or JSON.
// A table without runs reads "(no runs)\n".
std::string RenderResults(const v1::GetResultsResponse& results, ResultsFormat format);

// id, name, state, runs, tasks done/total, created (local time).
Table ExperimentsTable(const std::vector<v1::Experiment>& experiments);

// id, name, state, cpus, free cpus, gpus, stage kinds, heartbeat age relative to now_unix_ms.
Table WorkersTable(const v1::ListWorkersResponse& workers, int64_t now_unix_ms);

}  // namespace ecgbench::client
