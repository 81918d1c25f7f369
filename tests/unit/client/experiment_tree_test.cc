// Tests of client/ui/experiment_tree.h: the status tree and the plan summary.
#include "client/ui/experiment_tree.h"

#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

#include "tests/unit/client/testing_experiments.h"

namespace ecgbench::client {
namespace {

TEST(ExperimentTreeTest, RunsStagesTasksWithWorkersProgressAndErrors) {
  setenv("TZ", "UTC", 1);
  tzset();
  v1::Experiment e = testing::SampleExperiment();
  e.set_created_unix_ms(1714564984000);
  e.set_started_unix_ms(1714564985000);
  e.mutable_runs(1)->mutable_stages(0)->mutable_tasks(1)->set_state(v1::STATE_FAILED);
  e.mutable_runs(1)->mutable_stages(0)->mutable_tasks(1)->set_attempts(3);
  e.mutable_runs(1)->mutable_stages(0)->mutable_tasks(1)->set_error("no such file: ptbxl/");
  e.mutable_runs(0)->mutable_stages(1)->mutable_tasks(0)->add_worker_ids("wrk-2");
  EXPECT_EQ(RenderExperimentTree(e, {{"wrk-1", "local-1"}}),
            "experiment exp-1 \"quickstart\"  RUNNING  tasks 2/6\n"
            "  created 2024-05-01 12:03:04  started 2024-05-01 12:03:05\n"
            "  run 0 (fold=1) run-0  RUNNING\n"
            "    preprocess st-0p  SUCCEEDED\n"
            "      shard 1/2 t-0p0  SUCCEEDED  attempts 1\n"
            "      shard 2/2 t-0p1  SUCCEEDED  attempts 1\n"
            "    train st-0t  RUNNING  after preprocess\n"
            "      task t-0t0  RUNNING  attempts 1  on local-1,wrk-2  300/1000 steps (30%)\n"
            "  run 1 (fold=2) run-1  PENDING\n"
            "    preprocess st-1p  PENDING\n"
            "      shard 1/2 t-1p0  PENDING  attempts 0\n"
            "      shard 2/2 t-1p1  FAILED  attempts 3\n"
            "        error: no such file: ptbxl/\n"
            "    train st-1t  PENDING  after preprocess\n"
            "      task t-1t0  PENDING  attempts 0\n");
}

TEST(ExperimentTreeTest, PlanSummary) {
  v1::Experiment e = testing::SampleExperiment();
  e.mutable_runs(0)->mutable_stages(1)->mutable_tasks(0)->set_ranks(2);
  EXPECT_EQ(PlanCounts(e), "2 runs, 4 stages, 6 tasks");
  EXPECT_EQ(RenderPlan(e),
            "  run 0 (fold=1)\n"
            "    preprocess  (2 tasks)\n"
            "    train  after preprocess  (1 task, 2 ranks each)\n"
            "  run 1 (fold=2)\n"
            "    preprocess  (2 tasks)\n"
            "    train  after preprocess  (1 task)\n");
  v1::Experiment one;
  one.add_runs()->add_stages()->add_tasks();
  EXPECT_EQ(PlanCounts(one), "1 run, 1 stage, 1 task");
}

TEST(ExperimentTreeTest, Labels) {
  v1::Task t;
  t.set_shard(1);
  t.set_num_shards(4);
  EXPECT_EQ(TaskLabel(t), "shard 2/4");
  t.set_num_shards(1);
  t.set_ranks(4);
  EXPECT_EQ(TaskLabel(t), "task (4 ranks)");
  t.set_num_shards(2);
  EXPECT_EQ(TaskLabel(t), "shard 2/2 (4 ranks)");
  v1::Run r;
  r.set_index(3);
  EXPECT_EQ(RunLabel(r), "run 3");
}

}  // namespace
}  // namespace ecgbench::client
