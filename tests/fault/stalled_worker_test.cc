// A rank that stops making progress: the worker process running it is SIGSTOPped. The coordinator
// detects it after one lease without a heartbeat (the coordinator's --lease-ms, 2 s here), fails
// the attempt and retries the task on the other worker, which completes it. After SIGCONT the
// stopped worker finds its lease gone and stops its own copy of the task (self-fencing): it
// reports nothing, the task completes exactly once, and the worker registers again.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

TEST(StalledWorkerTest, StoppedRankIsDetectedRetriedElsewhereAndFencedAfterResume) {
  ClusterOptions options;
  options.lease_ms = 2000;
  TestCluster cluster(options);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(1, 20000).ok());
  auto id = cluster.Submit("name: stalled\nprobe: {ranks: 1, duration: 6}\n");
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(cluster.RunningOn(*id, 0, 20000), "w1") << cluster.DumpLogs();
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());

  cluster.SuspendWorker("w1");
  auto e = cluster.WaitForTerminal(*id, 60000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  const v1::Task& t = e->runs(0).stages(0).tasks(0);
  EXPECT_EQ(t.attempts(), 2);
  bool detected = false;
  for (const v1::Event& ev : cluster.Events(*id, /*follow=*/true)) {
    detected = detected || (ev.has_state_change() && ev.state_change().entity() == "task" &&
                            ev.state_change().state() == v1::STATE_PENDING &&
                            ev.state_change().message().find("w1") != std::string::npos &&
                            ev.state_change().message().find("lost: no heartbeat for") != std::string::npos);
  }
  EXPECT_TRUE(detected) << cluster.DumpLogs();

  cluster.ResumeWorker("w1");
  EXPECT_TRUE(cluster.WaitForWorkerLog("w1", "lease lost: ", 15000)) << cluster.DumpLogs();
  EXPECT_TRUE(cluster.WaitForWorkerLog("w1", "stopped after the lease was lost", 15000)) << cluster.DumpLogs();
  EXPECT_TRUE(cluster.WaitForWorkerLog("w1", "registering again", 15000)) << cluster.DumpLogs();
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  const auto live = cluster.LiveWorkers();
  EXPECT_NE(std::find(live.begin(), live.end(), "w1"), live.end());
  EXPECT_TRUE(cluster.WorkerRunning("w1"));
  // The resumed copy never completed: one success in all, and w1 logged none.
  EXPECT_EQ(cluster.WorkerLog("w1").find(": succeeded"), std::string::npos) << cluster.DumpLogs();
  EXPECT_EQ(cluster.TaskSuccesses(*id), (std::map<std::string, int>{{t.id(), 1}}));
  auto after = cluster.Get(*id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->runs(0).stages(0).tasks(0).attempts(), 2);
}

}  // namespace
}  // namespace ecgbench::testing
