// Store reads: ReadLogs filters and paging, ReadEvents paging, ReadMetrics order, kv upserts and
// deletes, argument errors.
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/store.h"
#include "tests/unit/store/store_test_util.h"

namespace ecgbench::server {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

class StoreReadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.File("coordinator.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Messages of the lines ReadLogs returns, joined with spaces ("error: ..." on failure).
  std::string Logs(const LogQuery& query) {
    absl::StatusOr<std::vector<v1::LogLine>> lines = store_->ReadLogs(query);
    if (!lines.ok()) return "error: " + lines.status().ToString();
    std::vector<std::string> messages;
    for (const v1::LogLine& line : *lines) messages.push_back(line.message());
    return absl::StrJoin(messages, " ");
  }

  void CommitLogs() {
    using testing::MakeLog;
    WriteBatch batch;
    batch.logs = {
        MakeLog("e1", "r1", "s1", "train", "t1", 0, v1::LOG_LEVEL_INFO, "a"),
        MakeLog("e1", "r1", "s1", "train", "t1", 1, v1::LOG_LEVEL_WARNING, "b"),
        MakeLog("e1", "r1", "s2", "evaluate", "t2", 0, v1::LOG_LEVEL_ERROR, "c"),
        MakeLog("e1", "r2", "s3", "train", "t3", 0, v1::LOG_LEVEL_DEBUG, "d"),
        MakeLog("e2", "r1", "s1", "train", "t1", 0, v1::LOG_LEVEL_ERROR, "x"),
    };
    ASSERT_TRUE(store_->Commit(batch).ok());
    WriteBatch later;
    later.logs = {MakeLog("e1", "r2", "s3", "train", "t3", 0, v1::LOG_LEVEL_INFO, "e")};
    ASSERT_TRUE(store_->Commit(later).ok());
    ASSERT_EQ(later.logs[0].seq(), 6);
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreReadsTest, ReadLogsFilters) {
  CommitLogs();
  LogQuery all;
  all.experiment_id = "e1";
  EXPECT_EQ(Logs(all), "a b c d e");

  LogQuery q = all;
  q.run_id = "r1";
  EXPECT_EQ(Logs(q), "a b c");
  q = all;
  q.stage = "s3";  // stage id
  EXPECT_EQ(Logs(q), "d e");
  q.stage = "train";  // stage kind
  EXPECT_EQ(Logs(q), "a b d e");
  q = all;
  q.task_id = "t2";
  EXPECT_EQ(Logs(q), "c");
  q = all;
  q.rank = 1;
  EXPECT_EQ(Logs(q), "b");
  q.rank = 0;
  EXPECT_EQ(Logs(q), "a c d e");
  q = all;
  q.min_level = v1::LOG_LEVEL_WARNING;
  EXPECT_EQ(Logs(q), "b c");
  q.min_level = v1::LOG_LEVEL_INFO;
  EXPECT_EQ(Logs(q), "a b c e");
  q = all;
  q.after_seq = 3;
  EXPECT_EQ(Logs(q), "d e");
  q = all;
  q.limit = 2;
  EXPECT_EQ(Logs(q), "a b");
  q.after_seq = 2;
  EXPECT_EQ(Logs(q), "c d");

  q = all;  // filters combine
  q.stage = "train";
  q.rank = 0;
  q.min_level = v1::LOG_LEVEL_INFO;
  EXPECT_EQ(Logs(q), "a e");
  q.run_id = "r9";
  EXPECT_EQ(Logs(q), "");

  LogQuery other;
  other.experiment_id = "e2";
  EXPECT_EQ(Logs(other), "x");
}

TEST_F(StoreReadsTest, ReadLogsSetsSeq) {
  CommitLogs();
  LogQuery q;
  q.experiment_id = "e1";
  q.after_seq = 4;
  absl::StatusOr<std::vector<v1::LogLine>> lines = store_->ReadLogs(q);
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].seq(), 6);
  EXPECT_EQ((*lines)[0].worker_id(), "w1");
}

TEST_F(StoreReadsTest, ReadEventsPagesOneExperiment) {
  WriteBatch batch;
  for (int i = 1; i <= 5; ++i) batch.events.push_back(testing::MakeEvent(i == 3 ? "e2" : "e1", i));
  ASSERT_TRUE(store_->Commit(batch).ok());

  auto seqs = [&](int64_t after, int limit) {
    std::vector<int64_t> out;
    absl::StatusOr<std::vector<v1::Event>> events = store_->ReadEvents("e1", after, limit);
    EXPECT_TRUE(events.ok()) << events.status();
    if (events.ok()) {
      for (const v1::Event& e : *events) out.push_back(e.seq());
    }
    return out;
  };
  EXPECT_THAT(seqs(0, 100), ElementsAre(1, 2, 4, 5));
  EXPECT_THAT(seqs(0, 2), ElementsAre(1, 2));
  EXPECT_THAT(seqs(2, 2), ElementsAre(4, 5));
  EXPECT_THAT(seqs(5, 2), ElementsAre());
  absl::StatusOr<std::vector<v1::Event>> events = store_->ReadEvents("e1", 3, 1);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].state_change().entity_id(), "t4");
}

TEST_F(StoreReadsTest, ReadMetricsInInsertionOrder) {
  WriteBatch first;
  first.metrics = {testing::MakeMetric("r2", "loss", 0.9, 1),
                   testing::MakeMetric("r1", "loss", 0.8, 1),
                   testing::MakeMetric("r1", "loss", 0.7, 2)};
  first.metric_experiment_ids = {"e1", "e1", "e2"};
  ASSERT_TRUE(store_->Commit(first).ok());
  WriteBatch second;
  second.metrics = {testing::MakeMetric("r1", "auroc", 0.6, 3),
                    testing::MakeMetric("r2", "loss", 0.5, 2)};
  second.metric_experiment_ids = {"e1", "e1"};
  ASSERT_TRUE(store_->Commit(second).ok());

  auto values = [&](const std::string& experiment, const std::string& run) {
    std::vector<std::pair<std::string, double>> out;
    absl::StatusOr<std::vector<v1::MetricPoint>> points = store_->ReadMetrics(experiment, run);
    EXPECT_TRUE(points.ok()) << points.status();
    if (points.ok()) {
      for (const v1::MetricPoint& p : *points) out.emplace_back(p.run_id(), p.value());
    }
    return out;
  };
  EXPECT_THAT(values("e1", ""),
              ElementsAre(Pair("r2", 0.9), Pair("r1", 0.8), Pair("r1", 0.6), Pair("r2", 0.5)));
  EXPECT_THAT(values("e1", "r2"), ElementsAre(Pair("r2", 0.9), Pair("r2", 0.5)));
  EXPECT_THAT(values("e2", ""), ElementsAre(Pair("r1", 0.7)));
  EXPECT_THAT(values("e3", ""), ElementsAre());
}

TEST_F(StoreReadsTest, KvUpsertAndDeleteByAttempt) {
  auto kv = [&]() {
    std::vector<std::string> out;
    absl::StatusOr<StoreSnapshot> snapshot = store_->Load();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    if (snapshot.ok()) {
      for (const auto& e : snapshot->kv) out.push_back(e.attempt_id + "/" + e.key + "=" + e.value);
    }
    return out;
  };
  WriteBatch set;
  set.kv = {{"a1", "k1", "v1"}, {"a1", "k2", "v2"}, {"a2", "k1", "w1"}};
  ASSERT_TRUE(store_->Commit(set).ok());
  EXPECT_THAT(kv(), ElementsAre("a1/k1=v1", "a1/k2=v2", "a2/k1=w1"));

  WriteBatch overwrite;
  overwrite.kv = {{"a1", "k1", "v1-new"}};
  ASSERT_TRUE(store_->Commit(overwrite).ok());
  EXPECT_THAT(kv(), ElementsAre("a1/k1=v1-new", "a1/k2=v2", "a2/k1=w1"));

  WriteBatch drop;
  drop.kv_delete_attempts = {"a1", "a-unknown"};
  ASSERT_TRUE(store_->Commit(drop).ok());
  EXPECT_THAT(kv(), ElementsAre("a2/k1=w1"));

  WriteBatch set_then_drop;  // deletes run after upserts in one batch
  set_then_drop.kv = {{"a2", "k2", "w2"}};
  set_then_drop.kv_delete_attempts = {"a2"};
  ASSERT_TRUE(store_->Commit(set_then_drop).ok());
  EXPECT_THAT(kv(), ElementsAre());
}

TEST_F(StoreReadsTest, ReadArgumentErrors) {
  EXPECT_EQ(store_->ReadEvents("", 0, 10).status(),
            absl::InvalidArgumentError("ReadEvents: experiment_id is required"));
  EXPECT_EQ(store_->ReadEvents("e1", 0, 0).status(),
            absl::InvalidArgumentError("ReadEvents: limit must be >= 1, got 0"));
  LogQuery q;
  EXPECT_EQ(store_->ReadLogs(q).status(),
            absl::InvalidArgumentError("ReadLogs: experiment_id is required"));
  q.experiment_id = "e1";
  q.limit = -1;
  EXPECT_EQ(store_->ReadLogs(q).status(),
            absl::InvalidArgumentError("ReadLogs: limit must be >= 1, got -1"));
  EXPECT_EQ(store_->ReadMetrics("", "r1").status(),
            absl::InvalidArgumentError("ReadMetrics: experiment_id is required"));
}

}  // namespace
}  // namespace ecgbench::server
