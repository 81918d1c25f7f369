// A TCP proxy between worker w1 and the coordinator cuts the connection for longer than the lease
// while w1 runs a task: w1 notices by itself that its lease is gone and stops the task (it cannot
// hear the coordinator), the coordinator re-queues the task and w2 completes it, once; after the
// cut heals, w1 registers again (under its previous id) and is a live worker.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "tests/fault/tcp_proxy.h"
#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(NetworkCutTest, CutWorkerFencesItselfTheTaskMovesAndTheWorkerComesBack) {
  ClusterOptions options;
  options.lease_ms = 2000;
  TestCluster cluster(options);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  auto proxy = TcpProxy::Start(cluster.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  ASSERT_TRUE(cluster.StartWorker("w1", 1, {(*proxy)->address(), {}}).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(1, 20000).ok());
  auto id = cluster.Submit("name: cut\nprobe: {ranks: 1, duration: 6}\n");
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(cluster.RunningOn(*id, 0, 20000), "w1") << cluster.DumpLogs();
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());

  (*proxy)->Cut();
  // w1 stops the task on its own, while it still cannot reach the coordinator.
  EXPECT_TRUE(cluster.WaitForWorkerLog("w1", "lease lost: no heartbeat answered", 15000)) << cluster.DumpLogs();
  EXPECT_TRUE(cluster.WaitForWorkerLog("w1", "stopped after the lease was lost", 15000)) << cluster.DumpLogs();
  EXPECT_TRUE(cluster.WorkerRunning("w1"));
  // The coordinator re-queued it; w2 finishes it.
  auto e = cluster.WaitForTerminal(*id, 60000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  const v1::Task& t = e->runs(0).stages(0).tasks(0);
  EXPECT_EQ(t.attempts(), 2);
  EXPECT_FALSE(Contains(cluster.LiveWorkers(), "w1"));  // lost while cut
  EXPECT_NE(cluster.WorkerLog("w2").find("succeeded"), std::string::npos) << cluster.DumpLogs();
  EXPECT_EQ(cluster.WorkerLog("w1").find(": succeeded"), std::string::npos) << cluster.DumpLogs();

  (*proxy)->Heal();
  EXPECT_TRUE(cluster.WaitForWorkerLog("w1", "registering again", 15000)) << cluster.DumpLogs();
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  EXPECT_TRUE(Contains(cluster.LiveWorkers(), "w1"));
  EXPECT_EQ(cluster.TaskSuccesses(*id), (std::map<std::string, int>{{t.id(), 1}}));
  // The re-queue came from the lease expiry, not from a report of w1.
  bool expired = false;
  for (const v1::Event& ev : cluster.Events(*id, /*follow=*/true)) {
    expired = expired || (ev.has_state_change() && ev.state_change().entity() == "task" &&
                          ev.state_change().message().find("w1") != std::string::npos &&
                          ev.state_change().message().find("lost: no heartbeat for") != std::string::npos);
  }
  EXPECT_TRUE(expired) << cluster.DumpLogs();
}

}  // namespace
}  // namespace ecgbench::testing
