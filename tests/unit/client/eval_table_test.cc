// Tests of the compact evaluation view (client/ui/eval_table.h): exact text for a quickstart-like
// experiment (two representations x the signal ablation), mean ± CI over folds, missing values,
// runs without scores, the two-condition names and the training table.
#include "client/ui/eval_table.h"

#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace ecgbench::client {
namespace {

using common::report::ExperimentResults;
using common::report::RunRow;

RunRow MakeRun(const std::string& id, const std::string& name,
           std::vector<std::pair<std::string, std::string>> variant, const std::string& state = "SUCCEEDED") {
  RunRow r;
  r.id = id;
  r.name = name;
  r.state = state;
  r.variant = std::move(variant);
  return r;
}

// score.<condition>.{accuracy/<type>, accuracy, bleu, meteor, rougeL, n, ...}: verify, choose, query.
void AddScores(RunRow* run, const std::string& condition, double verify, double choose, double query, double bleu,
               double n) {
  auto& m = run->metrics;
  const std::string p = "score." + condition + ".";
  m[p + "accuracy/single-verify"] = verify;
  m[p + "accuracy/single-choose"] = choose;
  m[p + "accuracy/single-query"] = query;
  m[p + "accuracy"] = (verify + choose + query) / 3;
  m[p + "exact_match"] = 0.5;
  m[p + "bleu"] = bleu;
  m[p + "bleu_sent"] = bleu / 2;
  m[p + "meteor"] = 0.4;
  m[p + "rouge1"] = 0.1;
  m[p + "rougeL"] = 0.375;
  m[p + "n"] = n;
  m[p + "n_empty"] = 0;
}

ExperimentResults Quickstart() {
  ExperimentResults r;
  r.experiment_id = "exp-1";
  RunRow signal = MakeRun("run-0", "representation=signal/projection", {{"representation", "signal/projection"}});
  AddScores(&signal, "signal", 0.9, 0.75, 0.3, 0.125, 400);
  AddScores(&signal, "zeros", 0.5, 0.25, 0.1, 0.0625, 400);
  AddScores(&signal, "none", 0.5, 0.2, 0.0, 0.05, 400);
  signal.metrics["train.steps"] = 300;
  signal.metrics["train.final_loss"] = 0.0602849;
  signal.metrics["dataset.segments"] = 4000;
  RunRow token = MakeRun("run-1", "representation=token", {{"representation", "token"}});
  AddScores(&token, "signal", 0.8, 0.5, 0.2, 0.25, 398);
  AddScores(&token, "zeros", 0.45, 0.3, 0.05, 0.0, 398);
  AddScores(&token, "none", 0.5, 0.25, 0.0, 0.0, 398);
  token.metrics["train.steps"] = 300;
  token.metrics["train.final_loss"] = 1.23456;
  r.runs = {signal, token};
  return r;
}

TEST(EvalTableTest, QuickstartView) {
  const std::string expected =
      "Evaluation (x100; n = answers scored):\n"
      "run                               condition  verify  choose  query  accuracy   BLEU  METEOR  ROUGE-L    n\n"
      "--------------------------------  ---------  ------  ------  -----  --------  -----  ------  -------  ---\n"
      "representation=signal/projection  signal      90.00   75.00  30.00     65.00  12.50   40.00    37.50  400\n"
      "                                  zeros       50.00   25.00  10.00     28.33   6.25   40.00    37.50  400\n"
      "                                  none        50.00   20.00   0.00     23.33   5.00   40.00    37.50  400\n"
      "representation=token              signal      80.00   50.00  20.00     50.00  25.00   40.00    37.50  398\n"
      "                                  zeros       45.00   30.00   5.00     26.67   0.00   40.00    37.50  398\n"
      "                                  none        50.00   25.00   0.00     25.00   0.00   40.00    37.50  398\n"
      "\n"
      "Training:\n"
      "run                               state      steps  final loss  train time\n"
      "--------------------------------  ---------  -----  ----------  ----------\n"
      "representation=signal/projection  SUCCEEDED    300     0.06028         39s\n"
      "representation=token              SUCCEEDED    300        1.23       1m15s\n";
  EXPECT_EQ(RenderEvaluationView(Quickstart(), {{"run-0", 39.2}, {"run-1", 75}}), expected);
}

TEST(EvalTableTest, FoldsShowMeanAndHalfWidthOfTheTInterval) {
  ExperimentResults r;
  const double verify[2][3] = {{0.30, 0.32, 0.31}, {0.28, 0.30, 0.29}};
  const char* reps[2] = {"signal/projection", "token"};
  for (int v = 0; v < 2; ++v) {
    for (int f = 0; f < 3; ++f) {
      RunRow run = MakeRun(absl::StrCat("run-", v * 3 + f), absl::StrCat("representation=", reps[v], ",fold=", f + 1),
                       {{"representation", reps[v]}, {"fold", absl::StrCat(f + 1)}});
      run.metrics["score.signal.accuracy/single-verify"] = verify[v][f];
      run.metrics["score.signal.n"] = 10;
      // zeros: only fold 1 has it (a single value: no interval).
      if (f == 0) run.metrics["score.zeros.accuracy/single-verify"] = 0.5;
      if (f == 0) run.metrics["score.zeros.n"] = 10;
      r.runs.push_back(run);
    }
  }
  // t(0.975, 2) = 4.302653; half-width = 4.302653 * 1.00 / sqrt(3) = 2.48.
  const std::string expected =
      "Evaluation (x100; mean ± 95% t-interval half-width over the runs of a variant; n = answers scored):\n"
      "run                               condition        verify  runs   n\n"
      "--------------------------------  ---------  ------------  ----  --\n"
      "representation=signal/projection  signal     31.00 ± 2.48     3  30\n"
      "                                  zeros             50.00     1  10\n"
      "representation=token              signal     29.00 ± 2.48     3  30\n"
      "                                  zeros             50.00     1  10\n";
  EXPECT_EQ(RenderEvaluationView(r, {}), expected);
}

TEST(EvalTableTest, MissingValuesRunsWithoutScoresAndOtherQuestionTypes) {
  ExperimentResults r;
  RunRow a = MakeRun("run-0", "", {});
  a.metrics["score.signal.accuracy/single-query"] = 0.25;
  a.metrics["score.signal.accuracy/comparison_consecutive-verify"] = 0.5;
  a.metrics["score.signal.accuracy/single-verify"] = 1;
  a.metrics["score.signal.bertscore_f1"] = 0.875;
  RunRow b = MakeRun("run-1", "lr=1e-4", {{"lr", "1e-4"}}, "FAILED");
  b.metrics["train.steps"] = 12;
  r.runs = {a, b};
  Table table = EvaluationTable(r);
  ASSERT_EQ(table.header, (std::vector<std::string>{"run", "condition", "verify", "query",
                                                    "comparison_consecutive-verify", "BERTScore", "n"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"run-0", "signal", "100.00", "25.00", "50.00", "87.50", "-"}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"lr=1e-4", "-", "-", "-", "-", "-", "-"}));
  Table training = TrainingTable(r, {});
  ASSERT_EQ(training.rows.size(), 2u);
  EXPECT_EQ(training.rows[0], (std::vector<std::string>{"run-0", "SUCCEEDED", "-", "-", "-"}));
  EXPECT_EQ(training.rows[1], (std::vector<std::string>{"lr=1e-4", "FAILED", "12", "-", "-"}));
}

TEST(EvalTableTest, TrainingConditionsInTheNameAndBestValLoss) {
  ExperimentResults r;
  RunRow run = MakeRun("run-0", "default", {});
  run.metrics["score.zeros.signal.accuracy"] = 0.5;
  run.metrics["score.signal.signal.accuracy"] = 0.75;
  run.metrics["score.zeros.signal.n"] = 8;
  run.metrics["train.best_val_loss"] = 0.5;
  r.runs = {run};
  Table table = EvaluationTable(r);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"default", "signal->signal", "75.00", "-"}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"", "zeros->signal", "50.00", "8"}));
  Table training = TrainingTable(r, {{"run-0", 3725}});
  EXPECT_EQ(training.header,
            (std::vector<std::string>{"run", "state", "steps", "final loss", "best val loss", "train time"}));
  EXPECT_EQ(training.rows[0], (std::vector<std::string>{"default", "SUCCEEDED", "-", "-", "0.5", "1h02m"}));
}

TEST(EvalTableTest, WhatTheViewHasToShow) {
  ExperimentResults r;
  RunRow run = MakeRun("run-0", "default", {});
  run.metrics["score.signal.n"] = 3;  // counts alone are no scores
  run.metrics["probe.rounds"] = 4;
  r.runs = {run};
  EXPECT_FALSE(HasEvaluationScores(r));
  EXPECT_FALSE(HasEvaluationView(r));
  EXPECT_EQ(RenderEvaluationView(r, {}), "");
  r.runs[0].metrics["train.steps"] = 1;
  EXPECT_TRUE(HasEvaluationView(r));
  EXPECT_EQ(RenderEvaluationView(r, {}).substr(0, 10), "Training:\n");
  r.runs[0].metrics["score.signal.accuracy"] = 1;
  EXPECT_TRUE(HasEvaluationScores(r));
}

}  // namespace
}  // namespace ecgbench::client
