// The coordinator SIGKILLed in the middle of a run and restarted on the same port and database:
// the running gang reattaches (no second attempt), an experiment queued behind it still runs, and
// nothing the API had already shown is lost or changed: every event (state changes, progress,
// metric points) and every log line read before the kill is still there, identical, afterwards.
// No task completes twice, and the submission is still deduplicated by its request id.
#include <gtest/gtest.h>
#include <google/protobuf/util/message_differencer.h>

#include <chrono>
#include <map>
#include <thread>

#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr char kGang[] = "name: kill-coordinator\nprobe: {ranks: 2, duration: 4}\n";
constexpr char kQueued[] = "name: queued\nprobe: {ranks: 1, duration: 0}\n";

TEST(CoordinatorRestartTest, NothingAcknowledgedIsLostAndNoTaskCompletesTwice) {
  ClusterOptions options;
  // Workers fence their tasks after one lease without a heartbeat; the outage below is ~2 s.
  options.lease_ms = 6000;
  TestCluster cluster(options);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w1", 1).ok());
  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  auto id = cluster.Submit(kGang, "restart-req");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(cluster.WaitForState(*id, v1::STATE_RUNNING, 20000).ok());
  // Both workers are busy with the gang: this one waits in the queue across the restart.
  auto queued = cluster.Submit(kQueued);
  ASSERT_TRUE(queued.ok());

  // What the API acknowledged before the crash: wait for some metric points and log lines.
  std::vector<v1::Event> before;
  std::vector<v1::LogLine> logs_before;
  int metric_points = 0;
  for (int i = 0; i < 100 && (metric_points < 5 || logs_before.empty()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    before = cluster.Events(*id, /*follow=*/false);
    logs_before = cluster.Logs(*id);
    metric_points = 0;
    for (const auto& ev : before) metric_points += ev.has_metric();
  }
  ASSERT_GE(metric_points, 5) << cluster.DumpLogs();
  ASSERT_FALSE(logs_before.empty()) << cluster.DumpLogs();

  cluster.KillCoordinator();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ASSERT_TRUE(cluster.StartCoordinator().ok()) << cluster.DumpLogs();
  auto e = cluster.WaitForTerminal(*id, 60000);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  // The running gang reattached: no second attempt.
  EXPECT_EQ(e->runs(0).stages(0).tasks(0).attempts(), 1) << cluster.DumpLogs();
  auto q = cluster.WaitForTerminal(*queued, 60000);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();

  // Every event and log line seen before the kill is still there, unchanged.
  std::map<int64_t, v1::Event> after;
  for (const v1::Event& ev : cluster.Events(*id, /*follow=*/true)) after[ev.seq()] = ev;
  for (const v1::Event& ev : before) {
    auto it = after.find(ev.seq());
    ASSERT_NE(it, after.end()) << "event " << ev.seq() << " lost: " << ev.ShortDebugString();
    EXPECT_TRUE(MessageDifferencer::Equals(ev, it->second)) << ev.ShortDebugString() << " became "
                                                             << it->second.ShortDebugString();
  }
  std::map<int64_t, v1::LogLine> logs_after;
  for (const v1::LogLine& line : cluster.Logs(*id)) logs_after[line.seq()] = line;
  for (const v1::LogLine& line : logs_before) {
    auto it = logs_after.find(line.seq());
    ASSERT_NE(it, logs_after.end()) << "log line " << line.seq() << " lost: " << line.message();
    EXPECT_TRUE(MessageDifferencer::Equals(line, it->second)) << line.ShortDebugString();
  }
  EXPECT_GT(after.size(), before.size());  // the run went on after the restart

  // Exactly-once completion.
  const v1::Task& gang = e->runs(0).stages(0).tasks(0);
  EXPECT_EQ(cluster.TaskSuccesses(*id), (std::map<std::string, int>{{gang.id(), 1}}));
  EXPECT_EQ(cluster.TaskSuccesses(*queued),
            (std::map<std::string, int>{{q->runs(0).stages(0).tasks(0).id(), 1}}));
  // The submission survived and is still deduplicated.
  auto again = cluster.Submit(kGang, "restart-req");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);
}

}  // namespace
}  // namespace ecgbench::testing
