// The report's PNG charts, drawn with Cairo:
//  - PlotMetricByVariant: one bar per variant (mean), 95 % t-interval error bars, n under each bar.
//  - PlotAblationHeatmap: training condition (rows) x inference condition (columns), the cell
//    colour from the mean, the text "mean ± half-width".
//  - PlotCurves: one line per run over steps (e.g. the training loss), with a legend.
// Each writes one PNG file (overwritten). Thread-safe (no shared state).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/report/ablation.h"
#include "common/report/results_data.h"
#include "common/report/summary.h"

namespace ecgbench::common::report {

struct PlotOptions {
  int width = 960;
  int height = 560;
};

// Errors: INVALID_ARGUMENT when no variant reports `metric`; INTERNAL when the file cannot be written.
absl::Status PlotMetricByVariant(const Summary& summary, const std::string& metric, const std::string& png_path,
                                 const PlotOptions& options = {});

// Errors: INVALID_ARGUMENT for an empty matrix; INTERNAL when the file cannot be written.
absl::Status PlotAblationHeatmap(const AblationMatrix& matrix, const std::string& png_path,
                                 const PlotOptions& options = {});

// `curves` of one metric; `run_names` maps run ids to legend text (the id when absent).
// Errors: INVALID_ARGUMENT when no curve has a point; INTERNAL when the file cannot be written.
absl::Status PlotCurves(const std::vector<Curve>& curves, const std::map<std::string, std::string>& run_names,
                        const std::string& png_path, const PlotOptions& options = {});

}  // namespace ecgbench::common::report
