// The report's text files: results.csv (one row per run: name, id, state, the matrix values and
// every final metric, exact), results.json (runs, statistics, comparisons, ablation matrices) and
// results.md (the same as tables for people, with the plots embedded). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/report/ablation.h"
#include "common/report/results_data.h"
#include "common/report/summary.h"

namespace ecgbench::common::report {

struct PlotFile {
  std::string file;     // relative to the report folder, e.g. "metric_score.signal.bleu.png"
  std::string caption;
};

// Values are written with the fewest digits that read back to the same double; a metric a run lacks
// is an empty cell. Cells holding ',', '"' or a line break are quoted ("" for a quote).
std::string ResultsCsv(const ExperimentResults& results);

// Pretty JSON (2-space indent). NaN statistics (n = 1) are null.
std::string ResultsJson(const ExperimentResults& results, const Summary& summary,
                        const std::vector<AblationMatrix>& ablation);

// Markdown: runs, statistics across folds/seeds, paired comparisons, the ablation matrices and the
// plots. '|' inside cells is escaped.
std::string ResultsMarkdown(const ExperimentResults& results, const Summary& summary,
                            const std::vector<AblationMatrix>& ablation, const std::vector<PlotFile>& plots);

// Shortest round-trip text of a double ("0.25", "1e-07"; "nan", "inf").
std::string ExactNumber(double v);

// A statistic for tables: 2 decimals for x100 metrics and for |v| >= 1, else 4 significant digits;
// "-" for NaN.
std::string DisplayNumber(double v, double scale);

// "0.0412", "<0.0001", "1" style p-values; "-" for NaN.
std::string DisplayPValue(double p);

}  // namespace ecgbench::common::report
