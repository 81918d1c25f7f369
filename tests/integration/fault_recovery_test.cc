// Faults through real processes: a worker SIGKILLed mid-task (its task is re-queued and finished by
// the other worker), the coordinator SIGKILLed and restarted (the experiment finishes, nothing is
// lost or completed twice), and a worker's SIGTERM (it releases its task and deregisters).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

int CountTaskSuccesses(TestCluster& cluster, const std::string& id) {
  grpc::ClientContext ctx;
  v1::WatchExperimentRequest req;
  req.set_id(id);
  auto reader = cluster.client().WatchExperiment(&ctx, req);
  v1::Event ev;
  int n = 0;
  int64_t prev = 0;
  while (reader->Read(&ev)) {
    EXPECT_GT(ev.seq(), prev);
    prev = ev.seq();
    if (ev.has_state_change() && ev.state_change().entity() == "task" &&
        ev.state_change().state() == v1::STATE_SUCCEEDED) {
      ++n;
    }
  }
  EXPECT_TRUE(reader->Finish().ok());
  return n;
}

// Which worker (by name) runs the first task of the experiment right now.
std::string RunningOn(TestCluster& cluster, const std::string& id) {
  for (int i = 0; i < 400; ++i) {
    auto e = cluster.Get(id);
    if (e.ok() && e->runs_size() && e->runs(0).stages_size() && e->runs(0).stages(0).tasks_size() &&
        e->runs(0).stages(0).tasks(0).worker_ids_size()) {
      const std::string wid = e->runs(0).stages(0).tasks(0).worker_ids(0);
      grpc::ClientContext ctx;
      v1::ListWorkersResponse resp;
      if (cluster.client().ListWorkers(&ctx, v1::ListWorkersRequest(), &resp).ok()) {
        for (const auto& w : resp.workers()) {
          if (w.id() == wid) return w.name();
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

TEST(FaultRecoveryTest, KilledWorkerTaskIsRequeuedAndCompletedByTheOther) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  auto id = cluster.Submit("name: kill-worker\nprobe: {ranks: 1, duration: 3}\n");
  ASSERT_TRUE(id.ok());
  std::string victim = RunningOn(cluster, *id);
  ASSERT_FALSE(victim.empty()) << cluster.DumpLogs();
  cluster.KillWorker(victim);
  auto e = cluster.WaitForTerminal(*id, 40000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  const v1::Task& t = e->runs(0).stages(0).tasks(0);
  EXPECT_EQ(t.attempts(), 2);
  EXPECT_EQ(CountTaskSuccesses(cluster, *id), 1);
}

TEST(FaultRecoveryTest, KilledCoordinatorRestartsAndTheExperimentCompletesOnce) {
  ClusterOptions options;
  options.lease_ms = 4000;
  TestCluster cluster(options);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  auto id = cluster.Submit("name: kill-coordinator\nprobe: {ranks: 2, duration: 4}\n", "restart-req");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(cluster.WaitForState(*id, v1::STATE_RUNNING, 20000).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  cluster.KillCoordinator();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ASSERT_TRUE(cluster.StartCoordinator().ok()) << cluster.DumpLogs();
  auto e = cluster.WaitForTerminal(*id, 60000);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  // The running gang reattached: no second attempt, one completion.
  EXPECT_EQ(e->runs(0).stages(0).tasks(0).attempts(), 1) << cluster.DumpLogs();
  EXPECT_EQ(CountTaskSuccesses(cluster, *id), 1);
  // The submission survived and is still deduplicated.
  auto again = cluster.Submit("name: kill-coordinator\nprobe: {ranks: 2, duration: 4}\n", "restart-req");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);
  // Logs shipped before the crash were kept.
  grpc::ClientContext ctx;
  v1::StreamLogsRequest lreq;
  lreq.set_experiment_id(*id);
  auto reader = cluster.client().StreamLogs(&ctx, lreq);
  v1::LogLine line;
  int lines = 0;
  while (reader->Read(&line)) ++lines;
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_GT(lines, 0);
}

TEST(FaultRecoveryTest, SigtermReleasesTheTaskAndDeregisters) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(1, 20000).ok());
  auto id = cluster.Submit("name: sigterm\nprobe: {ranks: 1, duration: 8}\nresources: {max_attempts: 1}\n");
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(RunningOn(cluster, *id), "w1");
  cluster.TerminateWorker("w1");
  EXPECT_FALSE(cluster.WorkerRunning("w1"));
  // Released on purpose: pending again without using up its only attempt.
  auto e = cluster.Get(*id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->runs(0).stages(0).tasks(0).state(), v1::STATE_PENDING) << cluster.DumpLogs();
  grpc::ClientContext ctx;
  v1::ListWorkersResponse workers;
  ASSERT_TRUE(cluster.client().ListWorkers(&ctx, v1::ListWorkersRequest(), &workers).ok());
  EXPECT_EQ(workers.workers_size(), 0);  // deregistered
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  auto done = cluster.WaitForTerminal(*id, 60000);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
}

}  // namespace
}  // namespace ecgbench::testing
