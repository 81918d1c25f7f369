// The compact evaluation view that ends `ecgbench run` and that `ecgbench results --eval` prints:
// one row per variant x inference condition (signal, zeros, none) with the accuracy per question
// type, the overall accuracy, BLEU, METEOR, ROUGE-L (and BERTScore F1 when measured), all x100, and
// the answers scored; then one line per run with its training summary. Pure functions; thread-safe.
//
// Metric names are the score stage's "score.<condition>.<metric>" (worker/stages/score_runner.h;
// "score.<train>.<infer>.<metric>" shows the condition as "<train>-><infer>") and the train stage's
// "train.steps", "train.final_loss", "train.best_val_loss".
#pragma once

#include <map>
#include <string>

#include "client/ui/table.h"
#include "common/report/results_data.h"

namespace ecgbench::client {

// Wall-clock seconds of each run's train stage, by run id (runs without one are absent).
using TrainSeconds = std::map<std::string, double>;

// True when some run reports a score.* metric (other than the counts n and n_empty).
bool HasEvaluationScores(const common::report::ExperimentResults& results);

// True when some run reports a score.* or train.* metric: the view has something to show.
bool HasEvaluationView(const common::report::ExperimentResults& results);

// Columns: run, condition, one per question type found (single-verify, single-choose, single-query
// first, headed without the "single-" prefix, then any other types by name), accuracy, BLEU, METEOR,
// ROUGE-L, BERTScore (each only when some run has it), runs (only when some variant has two or more
// runs), n. Runs are grouped into variants as common/report/summary.h does (fold/seed matrix keys
// are replicates): a variant of one run is named by the run's name, else by the variant's name;
// the name is written on its first row only. A cell of one run is its value x100 with 2 decimals;
// of several runs "mean ± half-width" of the 95% t-interval over the runs that report it (only the
// mean when one does); "-" when none does. n is the sum of the answers scored; runs counts the
// variant's runs that report the condition. A variant without scores has one row with condition "-".
// No rows when no run has scores.
Table EvaluationTable(const common::report::ExperimentResults& results);

// One row per run: run (its name), state, steps, final loss, best val loss (only when some run has
// it), train time (FormatDuration of train_seconds; "-" when unknown). Values a run lacks are "-".
Table TrainingTable(const common::report::ExperimentResults& results, const TrainSeconds& train_seconds);

// The view: "Evaluation ..." title and table when HasEvaluationScores, then a blank line (after a
// table), "Training" and its table when some run has a train.* metric. "" when neither.
std::string RenderEvaluationView(const common::report::ExperimentResults& results,
                                 const TrainSeconds& train_seconds);

}  // namespace ecgbench::client
