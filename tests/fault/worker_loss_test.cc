// A worker lost in the middle of a probe task: SIGKILL (its lease expires, the task is re-queued
// and finished by the other worker, once) and SIGTERM (it releases the task without using up an
// attempt, deregisters and exits 0).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

TEST(WorkerLossTest, KilledWorkerTaskIsRequeuedAndCompletedByTheOther) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  auto id = cluster.Submit("name: kill-worker\nprobe: {ranks: 1, duration: 3}\n");
  ASSERT_TRUE(id.ok());
  const std::string victim = cluster.RunningOn(*id, 0, 20000);
  ASSERT_FALSE(victim.empty()) << cluster.DumpLogs();
  cluster.KillWorker(victim);
  auto e = cluster.WaitForTerminal(*id, 40000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  const v1::Task& t = e->runs(0).stages(0).tasks(0);
  EXPECT_EQ(t.attempts(), 2);
  EXPECT_EQ(cluster.TaskSuccesses(*id), (std::map<std::string, int>{{t.id(), 1}}));
}

TEST(WorkerLossTest, SigtermReleasesTheTaskAndDeregisters) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(1, 20000).ok());
  auto id = cluster.Submit("name: sigterm\nprobe: {ranks: 1, duration: 8}\nresources: {max_attempts: 1}\n");
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(cluster.RunningOn(*id, 0, 20000), "w1");
  EXPECT_EQ(cluster.TerminateWorker("w1"), 0);
  EXPECT_FALSE(cluster.WorkerRunning("w1"));
  // Released on purpose: pending again without using up its only attempt.
  auto e = cluster.Get(*id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->runs(0).stages(0).tasks(0).state(), v1::STATE_PENDING) << cluster.DumpLogs();
  EXPECT_TRUE(cluster.LiveWorkers().empty());  // deregistered
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  auto done = cluster.WaitForTerminal(*id, 60000);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  EXPECT_EQ(cluster.TaskSuccesses(*id), (std::map<std::string, int>{{done->runs(0).stages(0).tasks(0).id(), 1}}));
}

}  // namespace
}  // namespace ecgbench::testing
