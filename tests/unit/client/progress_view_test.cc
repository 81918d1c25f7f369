// Tests of client/ui/progress_view.h: bars, percentages, whole frames at given widths, redraw bytes.
#include "client/ui/progress_view.h"

#include <gtest/gtest.h>

#include "tests/unit/client/testing_experiments.h"

namespace ecgbench::client {
namespace {

using testing::MetricEvent;
using testing::SampleExperiment;

TEST(ProgressBarTest, FillsFloorOfFraction) {
  EXPECT_EQ(RenderProgressBar(0.5, 10), "[#####.....]");
  EXPECT_EQ(RenderProgressBar(0.0, 4), "[....]");
  EXPECT_EQ(RenderProgressBar(0.999, 10), "[#########.]");
  EXPECT_EQ(RenderProgressBar(1.0, 10), "[##########]");
  EXPECT_EQ(RenderProgressBar(1.7, 4), "[####]");
  EXPECT_EQ(RenderProgressBar(-0.2, 4), "[....]");
}

TEST(ProgressBarTest, Percent) {
  EXPECT_EQ(RenderPercent(0), "  0%");
  EXPECT_EQ(RenderPercent(0.075), "  7%");
  EXPECT_EQ(RenderPercent(0.999), " 99%");
  EXPECT_EQ(RenderPercent(1), "100%");
}

TEST(FractionTest, TaskStageRun) {
  v1::Experiment e = SampleExperiment();
  const v1::Run& run = e.runs(0);
  EXPECT_DOUBLE_EQ(TaskFraction(run.stages(1).tasks(0)), 0.3);
  EXPECT_DOUBLE_EQ(StageFraction(run.stages(0)), 1.0);
  EXPECT_DOUBLE_EQ(StageFraction(run.stages(1)), 0.3);
  EXPECT_DOUBLE_EQ(RunFraction(run), 0.65);
  EXPECT_DOUBLE_EQ(RunFraction(e.runs(1)), 0.0);
}

TEST(FrameTest, RunningExperimentAt80Columns) {
  WatchModel model;
  model.Reset(SampleExperiment());
  ASSERT_TRUE(model.Apply(MetricEvent(1, "loss", 0.4213, "run-0", "t-0t0")));
  FrameOptions options;
  options.width = 80;
  options.max_lines = 20;
  options.now_unix_ms = 1065000;
  EXPECT_EQ(RenderFrame(model, options),
            "exp-1 \"quickstart\"  RUNNING  tasks 2/6  elapsed 1m05s\n"
            "  run 0 (fold=1)  [######....]   65%  RUNNING     stages 1/2  loss 0.4213\n"
            "    preprocess    [##########]  100%  SUCCEEDED   tasks 2/2\n"
            "    train         [###.......]   30%  RUNNING     tasks 0/1\n"
            "      task        [###.......]   30%  RUNNING     300/1000 steps  ETA 2m20s\n"
            "  run 1 (fold=2)  [..........]    0%  PENDING     stages 0/2\n");
}

TEST(FrameTest, WiderTerminalWidensTheBarAndShowsTheLoss) {
  WatchModel model;
  model.Reset(SampleExperiment());
  ASSERT_TRUE(model.Apply(MetricEvent(1, "loss", 0.4213, "run-0", "t-0t0")));
  FrameOptions options;
  options.width = 100;
  options.max_lines = 20;
  options.now_unix_ms = 1065000;
  const std::string frame = RenderFrame(model, options);
  EXPECT_EQ(frame,
            "exp-1 \"quickstart\"  RUNNING  tasks 2/6  elapsed 1m05s\n"
            "  run 0 (fold=1)  [#############.......]   65%  RUNNING     stages 1/2  loss 0.4213\n"
            "    preprocess    [####################]  100%  SUCCEEDED   tasks 2/2\n"
            "    train         [######..............]   30%  RUNNING     tasks 0/1\n"
            "      task        [######..............]   30%  RUNNING     300/1000 steps  ETA 2m20s  loss 0.4213\n"
            "  run 1 (fold=2)  [....................]    0%  PENDING     stages 0/2\n");
}

TEST(FrameTest, CollapsesInactiveRunsWhenTooTall) {
  WatchModel model;
  model.Reset(SampleExperiment());
  FrameOptions options;
  options.width = 80;
  options.max_lines = 5;
  options.now_unix_ms = 1065000;
  EXPECT_EQ(RenderFrame(model, options),
            "exp-1 \"quickstart\"  RUNNING  tasks 2/6  elapsed 1m05s\n"
            "  run 0 (fold=1)  [######....]   65%  RUNNING     stages 1/2\n"
            "    preprocess    [##########]  100%  SUCCEEDED   tasks 2/2\n"
            "    train         [###.......]   30%  RUNNING     tasks 0/1\n"
            "  ... 2 more lines\n");
}

TEST(FrameTest, TerminalExperimentShowsOneLinePerRun) {
  v1::Experiment e = SampleExperiment();
  e.set_state(v1::STATE_CANCELLED);
  e.set_finished_unix_ms(1003000);
  e.mutable_runs(0)->set_state(v1::STATE_CANCELLED);
  e.mutable_runs(1)->set_state(v1::STATE_CANCELLED);
  WatchModel model;
  model.Reset(e);
  FrameOptions options;
  options.width = 60;
  options.max_lines = 10;
  EXPECT_EQ(RenderFrame(model, options),
            "exp-1 \"quickstart\"  CANCELLED  tasks 2/6  elapsed 3s\n"
            "  run 0 (fold=1)  [######....]   65%  CANCELLED   stages 1/2\n"
            "  run 1 (fold=2)  [..........]    0%  CANCELLED   stages 0/2\n");
}

TEST(RedrawTest, MovesUpClearsLinesAndTail) {
  EXPECT_EQ(RedrawSequence(0, "", "a\nb\n"), "a\x1b[K\nb\x1b[K\n\x1b[J");
  EXPECT_EQ(RedrawSequence(2, "x: RUNNING\n", "a\n"), "\x1b[2Fx: RUNNING\x1b[K\na\x1b[K\n\x1b[J");
  EXPECT_EQ(CountLines("a\nb\n"), 2);
}

}  // namespace
}  // namespace ecgbench::client
