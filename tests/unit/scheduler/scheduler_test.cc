// Scheduler policy: resource fit, gang placement, priorities, FIFO, backoff, packing, stage kinds,
// and the incremental pass (same placements, exhaustion).
#include "server/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ecgbench::server {
namespace {

SchedWorker W(const std::string& id, int cpus, std::vector<std::string> gpus = {},
              std::vector<std::string> kinds = {"probe", "train"}) {
  SchedWorker w;
  w.id = id;
  w.free_cpus = cpus;
  w.free_memory_bytes = int64_t{64} << 30;
  w.free_gpu_uuids = std::move(gpus);
  w.stage_kinds = std::move(kinds);
  return w;
}

SchedTask T(const std::string& id, int ranks = 1, int priority = 50, uint64_t order = 0, int cpus = 1, int gpus = 0) {
  SchedTask t;
  t.id = id;
  t.stage_kind = "probe";
  t.ranks = ranks;
  t.priority = priority;
  t.order = order;
  t.cpus_per_rank = cpus;
  t.gpus_per_rank = gpus;
  return t;
}

TEST(SchedulerTest, PlacesWhatFitsAndNothingMore) {
  auto p = Schedule({W("a", 2)}, {T("t1", 1, 50, 1), T("t2", 1, 50, 2), T("t3", 1, 50, 3)}, 0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].task_id, "t1");
  EXPECT_EQ(p[1].task_id, "t2");
  EXPECT_EQ(p[0].ranks[0].worker_id, "a");
}

TEST(SchedulerTest, GangIsAllOrNothing) {
  // 3 ranks need 3 cores; only 2 are free: nothing of the gang is placed, the small task is.
  auto p = Schedule({W("a", 1), W("b", 1)}, {T("gang", 3, 50, 1), T("small", 1, 50, 2)}, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].task_id, "small");
}

TEST(SchedulerTest, GangSpansWorkersWithRanksInOrder) {
  auto p = Schedule({W("a", 1), W("b", 1)}, {T("gang", 2)}, 0);
  ASSERT_EQ(p.size(), 1u);
  ASSERT_EQ(p[0].ranks.size(), 2u);
  EXPECT_EQ(p[0].ranks[0].rank, 0);
  EXPECT_EQ(p[0].ranks[1].rank, 1);
  EXPECT_NE(p[0].ranks[0].worker_id, p[0].ranks[1].worker_id);
}

TEST(SchedulerTest, GangPrefersOneWorker) {
  auto p = Schedule({W("a", 4), W("b", 4)}, {T("gang", 3)}, 0);
  ASSERT_EQ(p.size(), 1u);
  for (const auto& r : p[0].ranks) EXPECT_EQ(r.worker_id, p[0].ranks[0].worker_id);
}

TEST(SchedulerTest, HigherPriorityFirstThenFifo) {
  auto p = Schedule({W("a", 2)}, {T("low", 1, 25, 1), T("high2", 1, 75, 3), T("high1", 1, 75, 2)}, 0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].task_id, "high1");
  EXPECT_EQ(p[1].task_id, "high2");
}

TEST(SchedulerTest, BackoffDelaysPlacement) {
  SchedTask t = T("retry");
  t.not_before_ms = 5000;
  EXPECT_TRUE(Schedule({W("a", 1)}, {t}, 4999).empty());
  EXPECT_EQ(Schedule({W("a", 1)}, {t}, 5000).size(), 1u);
}

TEST(SchedulerTest, GpusAreAssignedByUuidAndNeverShared) {
  auto p = Schedule({W("a", 8, {"GPU-0", "GPU-1", "GPU-2"})}, {T("x", 1, 50, 1, 1, 2), T("y", 1, 50, 2, 1, 2)}, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].ranks[0].gpu_uuids, (std::vector<std::string>{"GPU-0", "GPU-1"}));
}

TEST(SchedulerTest, AFailedGangGivesBackEverythingInOrder) {
  // Rank 0 takes GPU-0 and GPU-1, rank 1 finds one GPU left: the gang is undone, and the next task
  // sees the worker exactly as before (cores and GPU order).
  auto p = Schedule({W("a", 4, {"GPU-0", "GPU-1", "GPU-2"})},
                    {T("gang", 2, 50, 1, 1, 2), T("one", 1, 50, 2, 4, 1)}, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].task_id, "one");
  EXPECT_EQ(p[0].ranks[0].cpus, 4);
  EXPECT_EQ(p[0].ranks[0].gpu_uuids, (std::vector<std::string>{"GPU-0"}));
}

TEST(SchedulerTest, OnlyWorkersWithTheStageKind) {
  SchedTask t = T("pre");
  t.stage_kind = "preprocess";
  EXPECT_TRUE(Schedule({W("a", 4)}, {t}, 0).empty());
  auto p = Schedule({W("a", 4), W("b", 4, {}, {"preprocess"})}, {t}, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].ranks[0].worker_id, "b");
}

TEST(SchedulerTest, DrainingWorkersGetNothing) {
  SchedWorker w = W("a", 4);
  w.accepting = false;
  EXPECT_TRUE(Schedule({w}, {T("t")}, 0).empty());
}

TEST(SchedulerTest, BestFitPacksTheTighterWorker) {
  auto p = Schedule({W("big", 8), W("small", 2)}, {T("t", 1, 50, 1, 2)}, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].ranks[0].worker_id, "small");
}

TEST(SchedulerTest, MemoryIsAResource) {
  SchedTask t = T("mem");
  t.memory_per_rank = int64_t{100} << 30;
  EXPECT_TRUE(Schedule({W("a", 4)}, {t}, 0).empty());
}

TEST(SchedulerTest, FitsEmptyClusterIgnoresCurrentUse) {
  std::vector<SchedWorker> cap = {W("a", 2), W("b", 2)};
  EXPECT_TRUE(FitsEmptyCluster(cap, T("t", 4)));
  EXPECT_FALSE(FitsEmptyCluster(cap, T("t", 5)));
  EXPECT_FALSE(FitsEmptyCluster(cap, T("g", 1, 50, 0, 1, 1)));
}

TEST(SchedulerTest, DeterministicForTheSameInput) {
  std::vector<SchedWorker> ws = {W("c", 3), W("a", 3), W("b", 3)};
  std::vector<SchedTask> ts = {T("t1", 2, 50, 2), T("t2", 3, 50, 1), T("t3", 1, 60, 9)};
  auto p1 = Schedule(ws, ts, 0);
  auto p2 = Schedule(ws, ts, 0);
  ASSERT_EQ(p1.size(), p2.size());
  for (size_t i = 0; i < p1.size(); ++i) {
    EXPECT_EQ(p1[i].task_id, p2[i].task_id);
    for (size_t r = 0; r < p1[i].ranks.size(); ++r) EXPECT_EQ(p1[i].ranks[r].worker_id, p2[i].ranks[r].worker_id);
  }
}

TEST(SchedulerTest, PassFedInPolicyOrderMatchesSchedule) {
  std::vector<SchedWorker> ws = {W("c", 3), W("a", 3), W("b", 3, {"GPU-0"})};
  std::vector<SchedTask> ts = {T("t1", 2, 50, 2), T("t2", 3, 50, 1), T("t3", 1, 60, 9), T("t4", 1, 50, 3, 1, 1),
                               T("t5", 4, 50, 4)};
  const auto expected = Schedule(ws, ts, 0);
  std::sort(ts.begin(), ts.end(), ScheduledBefore);
  SchedulePass pass(&ws, 0);
  std::vector<Placement> got;
  for (const SchedTask& t : ts) {
    Placement p;
    if (pass.Offer(t, &p)) got.push_back(p);
  }
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].task_id, expected[i].task_id);
    ASSERT_EQ(got[i].ranks.size(), expected[i].ranks.size());
    for (size_t r = 0; r < got[i].ranks.size(); ++r) EXPECT_EQ(got[i].ranks[r].worker_id, expected[i].ranks[r].worker_id);
  }
}

TEST(SchedulerTest, PassIsExhaustedWhenNoCoreIsFree) {
  std::vector<SchedWorker> ws = {W("a", 1), W("b", 2)};
  SchedulePass pass(&ws, 0);
  Placement p;
  EXPECT_FALSE(pass.Exhausted());
  EXPECT_TRUE(pass.Offer(T("t1", 1, 50, 1, 2), &p));  // best fit: b's two cores
  EXPECT_FALSE(pass.Exhausted());
  EXPECT_FALSE(pass.Offer(T("big", 1, 50, 2, 2), &p));  // a has one core: nothing changes
  EXPECT_FALSE(pass.Exhausted());
  EXPECT_TRUE(pass.Offer(T("t2"), &p));
  EXPECT_TRUE(pass.Exhausted());
  EXPECT_FALSE(pass.Offer(T("t3"), &p));
}

TEST(SchedulerTest, EveryRankTakesAtLeastOneCore) {
  // cpus_per_rank 0 counts as 1: two such ranks do not both fit on one core.
  auto p = Schedule({W("a", 1)}, {T("z1", 1, 50, 1, 0), T("z2", 1, 50, 2, 0)}, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].ranks[0].cpus, 1);
}

}  // namespace
}  // namespace ecgbench::server
