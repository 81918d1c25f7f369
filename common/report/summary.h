// Statistics across folds and seeds for `ecgbench results` and `ecgbench report`.
//
// Runs are grouped into variants by their matrix values, leaving out the replicate axes: a matrix
// key whose last dotted segment is "fold" or "seed" (fold, data.fold, seed, train.seed, ...). Per
// variant and metric: n, mean, sample std and the 95 % t-interval (common/eval/fold_stats.h) over
// the runs that report the metric; evaluation metrics (the score stage's "score.<condition>.<metric>",
// except its counts n and n_empty) are scaled x100 like upstream, other metrics (losses, counts)
// are shown as they are. Between every two variants,
// for the key metrics (evaluation metrics and the final/best losses), a paired test over the
// replicates both have (matched by their fold/seed values; at least two pairs): Wilcoxon
// signed-rank (scipy defaults) or the seeded paired bootstrap. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/eval/fold_stats.h"
#include "common/eval/paired_tests.h"
#include "common/report/results_data.h"

namespace ecgbench::common::report {

// True for matrix keys that replicate a variant: last dotted segment "fold" or "seed".
bool IsReplicateKey(absl::string_view key);

// 100 for the score stage's metrics ("score.signal.bleu"; not the counts "score.signal.n",
// "score.signal.n_empty"), else 1.
double MetricScale(absl::string_view metric);

// Metrics that get comparisons and a "by variant" plot: the x100 evaluation metrics,
// train(.*)final_loss and best_val_loss.
bool IsKeyMetric(absl::string_view metric);

struct VariantGroup {
  std::string name;  // "k=v,k=v" of the non-replicate keys; "all runs" when there are none
  std::vector<size_t> runs;             // indexes into ExperimentResults::runs
  std::vector<std::string> replicates;  // per run: "fold=1,seed=0" ("" without replicate keys)
};

struct MetricStats {
  std::string metric;
  size_t group = 0;  // index into Summary::groups
  double scale = 1;
  eval::FoldStats stats;  // in scaled units
};

struct Comparison {
  std::string metric;
  size_t a = 0, b = 0;  // group indexes, a < b
  int n = 0;            // matched pairs
  double mean_diff = 0; // mean of a - b, scaled
  double p_value = 1;
  std::string method;   // "wilcoxon" | "paired_bootstrap"
  std::string note;     // why there is no p-value (e.g. "all differences zero"); empty when there is one
};

struct SummaryOptions {
  std::string compare = "wilcoxon";  // wilcoxon | paired_bootstrap | none
  eval::BootstrapOptions bootstrap;
};

struct Summary {
  std::vector<VariantGroup> groups;  // in the order of their first run
  std::vector<std::string> metrics;  // every metric name, sorted
  std::vector<MetricStats> stats;    // by metric, then group
  std::vector<Comparison> comparisons;  // by metric, then (a, b)
  int max_replicates = 0;            // most runs in one group (statistics need >= 2)
};

// Errors (INVALID_ARGUMENT): an unknown compare method.
absl::StatusOr<Summary> Summarize(const ExperimentResults& results, const SummaryOptions& options = {});

// "k=v,k=v" of `variant` without (replicates false) or with only (replicates true) replicate keys.
std::string VariantText(const std::vector<std::pair<std::string, std::string>>& variant, bool replicates);

}  // namespace ecgbench::common::report
