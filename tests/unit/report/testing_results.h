// Shared fixture data for the report tests: a 2-variant x 3-fold matrix with evaluation metrics,
// a training loss, an ablated metric and loss curves.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "common/report/results_data.h"

namespace ecgbench::common::report::testing {

// representation in {signal, image} x fold in {1, 2, 3}, named as the score stage names results:
// score.signal.bleu (signal better by 0.02 on every fold), score.zeros.bleu (the zero-signal
// ablation), the count score.signal.n, train.final_loss, train.steps.
inline ExperimentResults TwoVariantsThreeFolds() {
  ExperimentResults r;
  r.experiment_id = "exp-1";
  r.name = "compare reps";
  r.state = "succeeded";
  const double bleu[2][3] = {{0.30, 0.32, 0.31}, {0.28, 0.30, 0.29}};
  const char* reps[2] = {"signal", "image"};
  for (int v = 0; v < 2; ++v) {
    for (int f = 0; f < 3; ++f) {
      RunRow run;
      run.id = absl::StrCat("run-", v * 3 + f);
      run.variant = {{"representation", reps[v]}, {"fold", absl::StrCat(f + 1)}};
      run.name = absl::StrCat("representation=", reps[v], ",fold=", f + 1);
      run.state = "succeeded";
      run.metrics["score.signal.bleu"] = bleu[v][f];
      run.metrics["score.zeros.bleu"] = bleu[v][f] - 0.1;
      run.metrics["score.signal.n"] = 500;
      run.metrics["train.final_loss"] = 1.5 + 0.1 * v + 0.01 * f;
      run.metrics["train.steps"] = 100;
      r.runs.push_back(run);
      Curve c;
      c.run_id = run.id;
      c.metric = "train/loss";
      for (int s = 0; s <= 20; ++s) c.points.push_back({s * 10, 3.0 / (1 + 0.2 * s) + 0.05 * v + 0.01 * f});
      r.curves.push_back(c);
    }
  }
  return r;
}

}  // namespace ecgbench::common::report::testing
