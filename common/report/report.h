// `ecgbench report`: writes an experiment's report folder: results.md, results.csv, results.json
// and the PNG plots (metric_<metric>.png per key metric with a value, ablation_<metric>.png per
// ablation matrix, curves_<metric>.png per curve metric such as train/loss). File names keep
// [A-Za-z0-9._-] and turn anything else into '_'. Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/report/plots.h"
#include "common/report/results_data.h"
#include "common/report/summary.h"

namespace ecgbench::common::report {

struct ReportOptions {
  SummaryOptions summary;
  PlotOptions plot;
};

// Creates `dir` when missing and returns the paths written, the three text files first.
// Errors: a bad compare method (INVALID_ARGUMENT); the folder or a file cannot be written (names
// the path).
absl::StatusOr<std::vector<std::string>> WriteReport(const ExperimentResults& results, const std::string& dir,
                                                     const ReportOptions& options = {});

// The file-name form of a metric name ("score.signal.accuracy/verify" -> "score.signal.accuracy_verify").
std::string FileSlug(const std::string& name);

}  // namespace ecgbench::common::report
