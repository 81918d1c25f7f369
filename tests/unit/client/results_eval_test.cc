// Tests of client/commands/experiment_digest.h (event replay: loss curves, train-stage times; the
// report folder of `ecgbench run`), `ecgbench results --eval` and `--metrics` against the
// in-process FakeCoordinator, and the report lines that end `ecgbench run`.
#include <cstdlib>
#include <ctime>
#include <sstream>

#include <gtest/gtest.h>

#include "client/cli.h"
#include "client/commands/experiment_digest.h"
#include "client/embedded/embedded_run.h"
#include "tests/unit/client/fake_coordinator.h"
#include "tests/unit/client/testing_experiments.h"

namespace ecgbench::client {
namespace {

using testing::MetricEvent;
using testing::SampleExperiment;
using testing::StateEvent;

v1::Event LossEvent(int64_t seq, const std::string& run, int64_t step, int rank, double value) {
  v1::Event e = MetricEvent(seq, "train/loss", value, run, "t-0t0");
  e.mutable_metric()->set_step(step);
  e.mutable_metric()->set_rank(rank);
  return e;
}

TEST(EventDigestTest, TrainTimesFromTheFirstRunningToTheLastTerminalState) {
  EventDigest digest(SampleExperiment());
  digest.Add(StateEvent(1, 1000, "stage", "st-0p", v1::STATE_RUNNING));   // preprocess: not timed
  digest.Add(StateEvent(2, 5000, "stage", "st-0p", v1::STATE_SUCCEEDED));
  digest.Add(StateEvent(3, 6000, "stage", "st-0t", v1::STATE_RUNNING));
  digest.Add(StateEvent(4, 9000, "stage", "st-0t", v1::STATE_FAILED));
  digest.Add(StateEvent(5, 9500, "stage", "st-0t", v1::STATE_RUNNING));   // a retry keeps the first start
  digest.Add(StateEvent(6, 20500, "stage", "st-0t", v1::STATE_SUCCEEDED));
  digest.Add(StateEvent(7, 7000, "stage", "st-1t", v1::STATE_RUNNING));   // never ended: no time
  digest.Add(StateEvent(8, 7000, "stage", "st-9t", v1::STATE_SUCCEEDED)); // unknown stage: ignored
  digest.Add(StateEvent(9, 7000, "run", "run-0", v1::STATE_SUCCEEDED));
  EXPECT_EQ(digest.TrainTimes(), (TrainSeconds{{"run-0", 14.5}}));
}

TEST(EventDigestTest, LossCurvesOfRankZeroInStepOrder) {
  EventDigest digest(SampleExperiment());
  digest.Add(LossEvent(1, "run-0", 2, 0, 1.5));
  digest.Add(LossEvent(2, "run-0", 1, 0, 2.5));
  digest.Add(LossEvent(3, "run-0", 1, 1, 9.0));  // rank 1: left out
  digest.Add(LossEvent(4, "run-0", 2, 0, 1.25)); // the same step again: replaces
  digest.Add(MetricEvent(5, "train/step_seconds", 0.5, "run-0", "t-0t0"));  // not a loss
  auto curves = digest.Curves();
  ASSERT_EQ(curves.size(), 1u);
  EXPECT_EQ(curves[0].run_id, "run-0");
  EXPECT_EQ(curves[0].metric, "train/loss");
  ASSERT_EQ(curves[0].points.size(), 2u);
  EXPECT_EQ(curves[0].points[0].step, 1);
  EXPECT_EQ(curves[0].points[0].value, 2.5);
  EXPECT_EQ(curves[0].points[1].step, 2);
  EXPECT_EQ(curves[0].points[1].value, 1.25);
  EXPECT_TRUE(digest.TrainTimes().empty());
}

TEST(EmbeddedReportTest, ReportDirAndLastLines) {
  EXPECT_EQ(EmbeddedReportDir("/tmp/state", "exp-1"), "/tmp/state/reports/exp-1");
  EXPECT_EQ(EmbeddedReportDir(".ecgbench/", "exp-2"), ".ecgbench/reports/exp-2");
  EXPECT_EQ(ReportFilesText("/s/reports/exp-1", {"/s/reports/exp-1/results.md", "/s/reports/exp-1/curves_train_loss.png",
                                                 "/s/reports/exp-1/metric_score.signal.bleu.png", "/elsewhere/x.png"}),
            "report written to /s/reports/exp-1:\n"
            "  results.md\n"
            "  curves_train_loss.png\n"
            "  /elsewhere/x.png\n"
            "  metric_*.png (1 plot: each metric by variant)\n");
  EXPECT_EQ(ReportFilesText("r/", {"r/results.md"}), "report written to r/:\n  results.md\n");
}

struct Result {
  int code;
  std::string out;
  std::string err;
};

class ResultsEvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::MutexLock lock(&server_.fake().mu);
    auto& f = server_.fake();
    f.experiment = SampleExperiment();
    f.experiment.set_state(v1::STATE_SUCCEEDED);
    f.results.set_experiment_id("exp-1");
    f.results.set_state(v1::STATE_SUCCEEDED);
    const char* names[2] = {"representation=signal/projection", "representation=token"};
    const char* values[2] = {"signal/projection", "token"};
    for (int r = 0; r < 2; ++r) {
      auto* run = f.results.add_runs();
      run->set_run_id("run-" + std::to_string(r));
      run->set_run_name(names[r]);
      run->set_state(v1::STATE_SUCCEEDED);
      (*run->mutable_variant())["representation"] = values[r];
      auto& m = *run->mutable_metrics();
      m["score.signal.accuracy/single-verify"] = r == 0 ? 0.875 : 0.75;
      m["score.signal.accuracy"] = r == 0 ? 0.5 : 0.25;
      m["score.signal.n"] = 80;
      m["score.zeros.accuracy/single-verify"] = 0.5;
      m["score.zeros.accuracy"] = 0.125;
      m["score.zeros.n"] = 80;
      m["train.steps"] = 30;
      m["train.final_loss"] = r == 0 ? 0.5 : 2;
      m["dataset.segments"] = 400;
    }
    f.events = {StateEvent(1, 1000000, "stage", "st-0t", v1::STATE_RUNNING),
                LossEvent(2, "run-0", 1, 0, 3.0),
                StateEvent(3, 1042000, "stage", "st-0t", v1::STATE_SUCCEEDED),
                StateEvent(4, 1043000, "experiment", "exp-1", v1::STATE_SUCCEEDED)};
  }
  Result Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--coordinator", server_.address()});
    std::ostringstream out, err;
    Io io;
    io.out = &out;
    io.err = &err;
    const int code = RunCli(args, io);
    return {code, out.str(), err.str()};
  }
  testing::FakeServer server_;
};

TEST_F(ResultsEvalTest, EvalViewWithTrainTimesFromTheEvents) {
  Result r = Cli({"results", "exp-1", "--eval"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Evaluation (x100; n = answers scored):\n"
            "run                               condition  verify  accuracy   n\n"
            "--------------------------------  ---------  ------  --------  --\n"
            "representation=signal/projection  signal      87.50     50.00  80\n"
            "                                  zeros       50.00     12.50  80\n"
            "representation=token              signal      75.00     25.00  80\n"
            "                                  zeros       50.00     12.50  80\n"
            "\n"
            "Training:\n"
            "run                               state      steps  final loss  train time\n"
            "--------------------------------  ---------  -----  ----------  ----------\n"
            "representation=signal/projection  SUCCEEDED     30         0.5         42s\n"
            "representation=token              SUCCEEDED     30        2.00           -\n");
}

TEST_F(ResultsEvalTest, EvalViewWithoutResultsAndOptionConflicts) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    for (auto& run : *server_.fake().results.mutable_runs()) run.mutable_metrics()->clear();
  }
  Result r = Cli({"results", "exp-1", "--eval"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "(no evaluation or training results)\n");
  EXPECT_EQ(Cli({"results", "exp-1", "--eval", "--json"}).code, 2);
  EXPECT_EQ(Cli({"results", "exp-1", "--eval", "--format", "csv"}).code, 2);
  EXPECT_EQ(Cli({"results", "exp-1", "--eval", "--metrics", "score.*"}).code, 2);
  EXPECT_EQ(Cli({"results", "exp-9", "--eval"}).code, 4);
}

TEST_F(ResultsEvalTest, MetricsPatternsKeepMatchingColumns) {
  Result r = Cli({"results", "exp-1", "--format", "csv", "--metrics", "score.zeros.*,train.steps"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "run,state,score.zeros.accuracy,score.zeros.accuracy/single-verify,score.zeros.n,train.steps\n"
            "representation=signal/projection,SUCCEEDED,0.125,0.5,80,30\n"
            "representation=token,SUCCEEDED,0.125,0.5,80,30\n");
  Result none = Cli({"results", "exp-1", "--metrics", "nothing*"});
  ASSERT_EQ(none.code, 0) << none.err;
  EXPECT_EQ(none.out,
            "run                               state\n"
            "--------------------------------  ---------\n"
            "representation=signal/projection  SUCCEEDED\n"
            "representation=token              SUCCEEDED\n");
}

}  // namespace
}  // namespace ecgbench::client
