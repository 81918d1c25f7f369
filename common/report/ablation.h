// The signal ablation as a matrix: training condition x inference condition (signal, zeros, none)
// per evaluation metric, for the results table and the heatmap.
//
// Naming: the score stage reports each inference condition's metrics as
// "score.<condition>.<metric>" (worker/stages/score_runner.cc), e.g. score.zeros.bleu or
// score.signal.accuracy/verify. A name with two conditions, "score.<train>.<infer>.<metric>", sets
// the training condition too; otherwise it is the run's value of a matrix key under train ending
// in "ablation" (train.ablation=zeros; "[zeros]" is read as zeros, "[signal,zeros]" as
// "signal,zeros"), else "signal". The counts n and n_empty are not metrics here. Each variant (the
// run's matrix values without the replicate keys fold/seed and without the training-condition key)
// gets its own matrices; a cell is the fold statistics (x100) of the variant's runs reporting it.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/eval/fold_stats.h"
#include "common/report/results_data.h"

namespace ecgbench::common::report {

struct AblationName {
  std::string metric;  // the name without conditions, e.g. "score.bleu"
  std::string train;   // empty: not in the name
  std::string infer;
};

// Splits a score metric name into its conditions; nullopt for other names (and for the counts).
std::optional<AblationName> ParseAblationName(absl::string_view name);

struct AblationMatrix {
  std::string metric;                         // e.g. "score.bleu"
  std::string variant;                        // e.g. "representation=token"; empty without a matrix
  std::vector<std::string> train_conditions;  // rows, in the order signal, zeros, none, others
  std::vector<std::string> infer_conditions;  // columns, same order
  std::vector<std::optional<eval::FoldStats>> cells;  // row-major; nullopt: never measured

  const std::optional<eval::FoldStats>& cell(size_t row, size_t col) const {
    return cells[row * infer_conditions.size() + col];
  }
};

// One matrix per variant and evaluation metric measured under more than one (train, inference)
// pair, sorted by metric name, then variant. Empty when the experiment has no ablation.
std::vector<AblationMatrix> BuildAblationMatrices(const ExperimentResults& results);

}  // namespace ecgbench::common::report
