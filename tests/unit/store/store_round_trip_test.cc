// Store writes: every record type survives a reopen, upserts overwrite, a failed batch changes
// nothing, seq numbers only grow, the file is in WAL mode, concurrent commits are serialized.
#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/store.h"
#include "tests/unit/store/store_test_util.h"

namespace ecgbench::server {
namespace {

using ::ecgbench::server::testing::EqualsProto;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pointwise;
using ::testing::SizeIs;

MATCHER(ProtoEq, "") {
  return google::protobuf::util::MessageDifferencer::Equals(std::get<0>(arg), std::get<1>(arg));
}

std::unique_ptr<Store> OpenOrDie(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

class StoreRoundTripTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.File("coordinator.db"); }
  testing::TempDir dir_;
};

TEST_F(StoreRoundTripTest, EveryRecordTypeSurvivesReopen) {
  WriteBatch batch;
  batch.experiments = {testing::MakeExperiment("e1", "req-1", 1),
                       testing::MakeExperiment("e2", "", 2)};
  batch.runs = {testing::MakeRun("r1", 1), testing::MakeRun("r2", 2)};
  batch.stages = {testing::MakeStage("s1", 1), testing::MakeStage("s2", 2)};
  batch.tasks = {testing::MakeTask("t1", 1), testing::MakeTask("t2", 2)};
  batch.attempts = {testing::MakeAttempt("a1", 1), testing::MakeAttempt("a2", 2)};
  batch.workers = {testing::MakeWorker("w1", 1), testing::MakeWorker("w2", 2)};
  batch.events = {testing::MakeEvent("e1", 1), testing::MakeEvent("e1", 2)};
  batch.logs = {testing::MakeLog("e1", "r1", "s1", "train", "t1", 0, v1::LOG_LEVEL_INFO, "hi")};
  batch.metrics = {testing::MakeMetric("r1", "loss", 0.5, 1)};
  batch.metric_experiment_ids = {"e1"};
  batch.kv = {{"a1", "gloo/rank0", std::string("\0bin\xff", 5)}};
  const WriteBatch written = batch;
  {
    std::unique_ptr<Store> store = OpenOrDie(Path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  EXPECT_EQ(batch.events[0].seq(), 1);
  EXPECT_EQ(batch.events[1].seq(), 2);
  EXPECT_EQ(batch.logs[0].seq(), 1);

  std::unique_ptr<Store> store = OpenOrDie(Path());
  ASSERT_NE(store, nullptr);
  absl::StatusOr<StoreSnapshot> snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_THAT(snapshot->experiments, Pointwise(ProtoEq(), written.experiments));
  EXPECT_THAT(snapshot->runs, Pointwise(ProtoEq(), written.runs));
  EXPECT_THAT(snapshot->stages, Pointwise(ProtoEq(), written.stages));
  EXPECT_THAT(snapshot->tasks, Pointwise(ProtoEq(), written.tasks));
  EXPECT_THAT(snapshot->attempts, Pointwise(ProtoEq(), written.attempts));
  EXPECT_THAT(snapshot->workers, Pointwise(ProtoEq(), written.workers));
  ASSERT_THAT(snapshot->kv, SizeIs(1));
  EXPECT_EQ(snapshot->kv[0].attempt_id, "a1");
  EXPECT_EQ(snapshot->kv[0].key, "gloo/rank0");
  EXPECT_EQ(snapshot->kv[0].value, std::string("\0bin\xff", 5));
  EXPECT_EQ(snapshot->max_event_seq, 2);
  EXPECT_EQ(snapshot->max_log_seq, 1);

  absl::StatusOr<std::vector<v1::Event>> events = store->ReadEvents("e1", 0, 100);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, Pointwise(ProtoEq(), batch.events));
  LogQuery query;
  query.experiment_id = "e1";
  absl::StatusOr<std::vector<v1::LogLine>> logs = store->ReadLogs(query);
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_THAT(*logs, Pointwise(ProtoEq(), batch.logs));
  absl::StatusOr<std::vector<v1::MetricPoint>> metrics = store->ReadMetrics("e1", "");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, Pointwise(ProtoEq(), written.metrics));
  EXPECT_GT(store->SizeBytes(), 0);
}

TEST_F(StoreRoundTripTest, UpsertOverwritesAndKeepsFirstInsertionOrder) {
  std::unique_ptr<Store> store = OpenOrDie(Path());
  ASSERT_NE(store, nullptr);
  WriteBatch first;
  first.experiments = {testing::MakeExperiment("e1", "req-1", 1),
                       testing::MakeExperiment("e2", "req-2", 2)};
  first.tasks = {testing::MakeTask("t1", 1)};
  first.workers = {testing::MakeWorker("w1", 1)};
  ASSERT_TRUE(store->Commit(first).ok());

  WriteBatch second;
  store::ExperimentRecord e1 = testing::MakeExperiment("e1", "req-1", 1);
  e1.set_state(v1::STATE_SUCCEEDED);
  e1.set_finished_unix_ms(1700000009999);
  store::TaskRecord t1 = testing::MakeTask("t1", 7);
  t1.set_state(v1::STATE_SUCCEEDED);
  store::WorkerRecord w1 = testing::MakeWorker("w1", 9);
  w1.set_state(v1::WORKER_STATE_DRAINING);
  second.experiments = {e1};
  second.tasks = {t1};
  second.workers = {w1};
  ASSERT_TRUE(store->Commit(second).ok());

  absl::StatusOr<StoreSnapshot> snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_THAT(snapshot->experiments,
              ElementsAre(EqualsProto(e1), EqualsProto(first.experiments[1])));
  EXPECT_THAT(snapshot->tasks, ElementsAre(EqualsProto(t1)));
  EXPECT_THAT(snapshot->workers, ElementsAre(EqualsProto(w1)));
}

TEST_F(StoreRoundTripTest, DuplicateRequestIdFailsWholeBatchAndChangesNothing) {
  std::unique_ptr<Store> store = OpenOrDie(Path());
  ASSERT_NE(store, nullptr);
  WriteBatch first;
  first.experiments = {testing::MakeExperiment("e1", "req-1", 1),
                       testing::MakeExperiment("e3", "", 3),
                       testing::MakeExperiment("e4", "", 4)};  // empty request ids never clash
  first.events = {testing::MakeEvent("e1", 1)};
  ASSERT_TRUE(store->Commit(first).ok());

  WriteBatch second;
  second.runs = {testing::MakeRun("r9", 9)};
  // e5 is written before e2 fails: the rollback must remove it again.
  second.experiments = {testing::MakeExperiment("e5", "req-5", 5),
                        testing::MakeExperiment("e2", "req-1", 2)};
  second.events = {testing::MakeEvent("e2", 2)};
  second.logs = {testing::MakeLog("e2", "r9", "s9", "train", "t9", 0, v1::LOG_LEVEL_INFO, "x")};
  second.kv = {{"a9", "k", "v"}};
  const absl::Status status = store->Commit(second);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message(), absl::StrCat(Path(),
                                           ": upsert experiment e2: UNIQUE constraint "
                                           "failed: experiments.request_id"));
  EXPECT_EQ(second.events[0].seq(), 0);  // the batch is untouched too
  EXPECT_EQ(second.logs[0].seq(), 0);

  absl::StatusOr<StoreSnapshot> snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_THAT(snapshot->experiments, Pointwise(ProtoEq(), first.experiments));
  EXPECT_THAT(snapshot->runs, SizeIs(0));
  EXPECT_THAT(snapshot->kv, SizeIs(0));
  EXPECT_EQ(snapshot->max_event_seq, 1);
  EXPECT_EQ(snapshot->max_log_seq, 0);

  // The store stays usable, and numbering continues after the last committed seq.
  WriteBatch third;
  third.events = {testing::MakeEvent("e1", 3)};
  ASSERT_TRUE(store->Commit(third).ok());
  EXPECT_EQ(third.events[0].seq(), 2);

  store.reset();
  store = OpenOrDie(Path());
  ASSERT_NE(store, nullptr);
  snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_THAT(snapshot->experiments, Pointwise(ProtoEq(), first.experiments));
  EXPECT_EQ(snapshot->max_event_seq, 2);
}

TEST_F(StoreRoundTripTest, SeqStrictlyIncreasesAcrossCommitsAndReopen) {
  std::vector<int64_t> event_seqs, log_seqs;
  for (int reopen = 0; reopen < 2; ++reopen) {
    std::unique_ptr<Store> store = OpenOrDie(Path());
    ASSERT_NE(store, nullptr);
    for (int commit = 0; commit < 2; ++commit) {
      WriteBatch batch;
      batch.events = {testing::MakeEvent("e1", 1), testing::MakeEvent("e2", 2)};
      batch.logs = {testing::MakeLog("e1", "r", "s", "k", "t", 0, v1::LOG_LEVEL_INFO, "m")};
      ASSERT_TRUE(store->Commit(batch).ok());
      for (const v1::Event& e : batch.events) event_seqs.push_back(e.seq());
      for (const v1::LogLine& l : batch.logs) log_seqs.push_back(l.seq());
    }
  }
  EXPECT_THAT(event_seqs, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
  EXPECT_THAT(log_seqs, ElementsAre(1, 2, 3, 4));
}

TEST_F(StoreRoundTripTest, ThousandLogLinesCommitInOneBatch) {
  std::unique_ptr<Store> store = OpenOrDie(Path());
  ASSERT_NE(store, nullptr);
  WriteBatch batch;
  for (int i = 0; i < 1000; ++i) {
    batch.logs.push_back(testing::MakeLog("e1", "r1", "s1", "train", "t1", i % 4,
                                          v1::LOG_LEVEL_INFO, absl::StrCat("step ", i)));
  }
  ASSERT_TRUE(store->Commit(batch).ok());
  EXPECT_EQ(batch.logs.front().seq(), 1);
  EXPECT_EQ(batch.logs.back().seq(), 1000);
  LogQuery query;
  query.experiment_id = "e1";
  query.after_seq = 998;
  absl::StatusOr<std::vector<v1::LogLine>> tail = store->ReadLogs(query);
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_THAT(*tail, SizeIs(2));
  EXPECT_EQ((*tail)[1].message(), "step 999");
}

TEST_F(StoreRoundTripTest, WalModeIsOn) {
  std::unique_ptr<Store> store = OpenOrDie(Path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(testing::QueryRaw(Path(), "PRAGMA journal_mode"), "wal");
}

TEST_F(StoreRoundTripTest, ConcurrentCommitsGetDistinctSeqs) {
  std::unique_ptr<Store> store = OpenOrDie(Path());
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4, kCommits = 25;
  std::vector<std::vector<int64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommits; ++i) {
        WriteBatch batch;
        batch.events = {testing::MakeEvent("e1", i)};
        EXPECT_TRUE(store->Commit(batch).ok());
        seqs[t].push_back(batch.events[0].seq());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<int64_t> all;
  for (const auto& s : seqs) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  for (int i = 0; i < kThreads * kCommits; ++i) EXPECT_EQ(all[i], i + 1);
}

TEST_F(StoreRoundTripTest, InMemoryDatabase) {
  std::unique_ptr<Store> store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  WriteBatch batch;
  batch.events = {testing::MakeEvent("e1", 1)};
  ASSERT_TRUE(store->Commit(batch).ok());
  EXPECT_EQ(batch.events[0].seq(), 1);
  EXPECT_EQ(store->SizeBytes(), 0);
  EXPECT_EQ(store->SchemaVersion(), 2);
}

TEST_F(StoreRoundTripTest, MalformedBatchIsRejectedBeforeWriting) {
  std::unique_ptr<Store> store = OpenOrDie(Path());
  ASSERT_NE(store, nullptr);
  WriteBatch empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(store->Commit(empty).ok());

  WriteBatch no_id;
  no_id.experiments = {testing::MakeExperiment("e1", "", 1)};
  no_id.runs = {testing::MakeRun("", 1)};
  EXPECT_EQ(store->Commit(no_id), absl::InvalidArgumentError("Commit: run record without id"));

  WriteBatch unpaired;
  unpaired.metrics = {testing::MakeMetric("r1", "loss", 1, 1)};
  EXPECT_EQ(store->Commit(unpaired),
            absl::InvalidArgumentError(
                "Commit: 1 metrics but 0 metric_experiment_ids (must be parallel)"));

  absl::StatusOr<StoreSnapshot> snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_THAT(snapshot->experiments, SizeIs(0));
}

}  // namespace
}  // namespace ecgbench::server
