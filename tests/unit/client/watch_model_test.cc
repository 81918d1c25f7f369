// Tests of client/ui/watch_model.h: applying events, unknown entities, ETA and loss bookkeeping.
#include "client/ui/watch_model.h"

#include <gtest/gtest.h>

#include "tests/unit/client/testing_experiments.h"

namespace ecgbench::client {
namespace {

using testing::MetricEvent;
using testing::ProgressEvent;
using testing::SampleExperiment;
using testing::StateEvent;

TEST(WatchModelTest, AppliesStateChangesToEveryLevel) {
  WatchModel model;
  model.Reset(SampleExperiment());
  EXPECT_TRUE(model.Apply(StateEvent(1, 2000000, "task", "t-0t0", v1::STATE_SUCCEEDED)));
  EXPECT_TRUE(model.Apply(StateEvent(2, 2000000, "stage", "st-0t", v1::STATE_SUCCEEDED)));
  EXPECT_TRUE(model.Apply(StateEvent(3, 2000000, "run", "run-0", v1::STATE_SUCCEEDED)));
  EXPECT_TRUE(model.Apply(StateEvent(4, 2000500, "experiment", "exp-1", v1::STATE_FAILED, "run 1 failed")));
  const v1::Experiment& e = model.experiment();
  EXPECT_EQ(e.runs(0).stages(1).tasks(0).state(), v1::STATE_SUCCEEDED);
  EXPECT_EQ(e.runs(0).stages(1).state(), v1::STATE_SUCCEEDED);
  EXPECT_EQ(e.runs(0).state(), v1::STATE_SUCCEEDED);
  EXPECT_EQ(e.state(), v1::STATE_FAILED);
  EXPECT_EQ(e.finished_unix_ms(), 2000500);
  EXPECT_EQ(e.error(), "run 1 failed");
  EXPECT_TRUE(model.terminal());
  EXPECT_EQ(model.last_seq(), 4);
  EXPECT_EQ(model.TasksDone(), 3);
  EXPECT_EQ(model.TasksTotal(), 6);
}

TEST(WatchModelTest, IgnoresReplayedEventsAndReportsUnknownEntities) {
  WatchModel model;
  model.Reset(SampleExperiment());
  EXPECT_TRUE(model.Apply(StateEvent(5, 0, "task", "t-0t0", v1::STATE_FAILED, "boom")));
  EXPECT_TRUE(model.Apply(StateEvent(5, 0, "task", "t-0t0", v1::STATE_SUCCEEDED)));  // same seq: ignored
  EXPECT_EQ(model.FindTask("t-0t0")->state(), v1::STATE_FAILED);
  EXPECT_EQ(model.FindTask("t-0t0")->error(), "boom");
  EXPECT_FALSE(model.Apply(StateEvent(6, 0, "task", "t-new", v1::STATE_RUNNING)));
  EXPECT_FALSE(model.Apply(ProgressEvent(7, 0, "run-0", "t-other", 1, 2)));
  EXPECT_FALSE(model.Apply(StateEvent(8, 0, "run", "run-9", v1::STATE_RUNNING)));
  EXPECT_EQ(model.last_seq(), 8);
}

TEST(WatchModelTest, EtaFromWorkerEstimateOrFromRate) {
  WatchModel model;
  model.Reset(SampleExperiment());
  const v1::Task& task = *model.FindTask("t-0t0");
  EXPECT_DOUBLE_EQ(model.TaskEta(task), 140);  // the snapshot's estimate
  // No estimate from the worker (-1): first sample only -> unknown.
  ASSERT_TRUE(model.Apply(ProgressEvent(1, 10000, "run-0", "t-0t0", 100, 1000)));
  EXPECT_DOUBLE_EQ(model.TaskEta(task), -1);
  // 200 steps in 4 s -> 50 steps/s; 700 left -> 14 s.
  ASSERT_TRUE(model.Apply(ProgressEvent(2, 14000, "run-0", "t-0t0", 300, 1000)));
  EXPECT_DOUBLE_EQ(model.TaskEta(task), 14);
  // eta_seconds 0 is proto3's "unset": still the rate.
  ASSERT_TRUE(model.Apply(ProgressEvent(3, 18000, "run-0", "t-0t0", 500, 1000, 0)));
  EXPECT_DOUBLE_EQ(model.TaskEta(task), 10);
  // A restart (done goes back) starts a new rate.
  ASSERT_TRUE(model.Apply(ProgressEvent(4, 20000, "run-0", "t-0t0", 10, 1000)));
  EXPECT_DOUBLE_EQ(model.TaskEta(task), -1);
  ASSERT_TRUE(model.Apply(ProgressEvent(5, 21000, "run-0", "t-0t0", 20, 1000, 77)));
  EXPECT_DOUBLE_EQ(model.TaskEta(task), 77);
  ASSERT_TRUE(model.Apply(ProgressEvent(6, 22000, "run-0", "t-0t0", 1000, 1000)));
  EXPECT_DOUBLE_EQ(model.TaskEta(task), 0);
}

TEST(WatchModelTest, GangProgressComesFromRankZero) {
  v1::Experiment e = SampleExperiment();
  e.mutable_runs(0)->mutable_stages(1)->mutable_tasks(0)->set_ranks(2);
  WatchModel model;
  model.Reset(e);
  ASSERT_TRUE(model.Apply(ProgressEvent(1, 1000, "run-0", "t-0t0", 400, 1000, -1, /*rank=*/1)));
  EXPECT_EQ(model.FindTask("t-0t0")->progress().done(), 300);
  ASSERT_TRUE(model.Apply(ProgressEvent(2, 1000, "run-0", "t-0t0", 450, 1000, -1, /*rank=*/0)));
  EXPECT_EQ(model.FindTask("t-0t0")->progress().done(), 450);
}

TEST(WatchModelTest, KeepsLatestLossPerTaskAndRun) {
  WatchModel model;
  model.Reset(SampleExperiment());
  EXPECT_FALSE(model.TaskLoss("t-0t0").has_value());
  ASSERT_TRUE(model.Apply(MetricEvent(1, "loss", 2.5, "run-0", "t-0t0")));
  ASSERT_TRUE(model.Apply(MetricEvent(2, "lr", 0.001, "run-0", "t-0t0")));
  ASSERT_TRUE(model.Apply(MetricEvent(3, "loss", 1.25, "run-0", "t-0t0")));
  EXPECT_EQ(model.TaskLoss("t-0t0"), 1.25);
  EXPECT_EQ(model.RunLoss("run-0"), 1.25);
  EXPECT_FALSE(model.RunLoss("run-1").has_value());
}

TEST(WatchModelTest, ResetKeepsEventProgressWhenSnapshotHasNone) {
  WatchModel model;
  v1::Experiment e = SampleExperiment();
  e.mutable_runs(0)->mutable_stages(1)->mutable_tasks(0)->clear_progress();
  model.Reset(e);
  ASSERT_TRUE(model.Apply(ProgressEvent(1, 1000, "run-0", "t-0t0", 640, 1000)));
  model.Reset(e);
  EXPECT_EQ(model.FindTask("t-0t0")->progress().done(), 640);
  EXPECT_EQ(model.last_seq(), 1);
}

TEST(WatchModelTest, Labels) {
  WatchModel model;
  model.Reset(SampleExperiment());
  EXPECT_EQ(model.Label("experiment", "exp-1"), "experiment exp-1");
  EXPECT_EQ(model.Label("run", "run-1"), "run 1 (fold=2)");
  EXPECT_EQ(model.Label("stage", "st-0t"), "run 0 (fold=1) / train");
  EXPECT_EQ(model.Label("task", "t-0p1"), "run 0 (fold=1) / preprocess / shard 2/2");
  EXPECT_EQ(model.Label("task", "t-zzz"), "task t-zzz");
}

}  // namespace
}  // namespace ecgbench::client
