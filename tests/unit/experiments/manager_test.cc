// Manager state machine, driven by hand with a fake clock over a real SQLite store: submission and
// idempotency, gang placement, completion cascade, leases, retries, preemption, cancellation,
// exactly-once completion, recovery after a restart, and the rendezvous KV.
#include "server/experiments/manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "tests/unit/testing/fake_clock.h"

namespace ecgbench::server {
namespace {

constexpr char kProbe2[] = "name: probe-two\nprobe: {ranks: 2}\n";

class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ecgbench_manager_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A coordinator restart: a new store and Manager over the same file.
  void Reopen() {
    manager_.reset();
    store_.reset();
    auto s = Store::Open((dir_ / "coordinator.db").string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    ManagerOptions o;
    o.lease_ms = 5000;
    o.retry_backoff_base_ms = 1000;
    o.recovery_grace_ms = 5000;  // = the lease, so restarts are tested at the tightest setting
    manager_ = std::make_unique<Manager>(o, store_.get(), &clock_, nullptr);
    ASSERT_TRUE(manager_->Recover().ok());
  }
  std::string Register(const std::string& name, int cpus = 1, const std::string& previous = "") {
    v1::RegisterWorkerRequest r;
    r.set_name(name);
    r.mutable_resources()->set_cpu_cores(cpus);
    r.mutable_resources()->set_memory_bytes(int64_t{8} << 30);
    r.add_stage_kinds("probe");
    r.set_previous_worker_id(previous);
    auto resp = manager_->RegisterWorker(r);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp->worker_id();
  }
  v1::Experiment Submit(const std::string& yaml, const std::string& request_id = "") {
    v1::SubmitExperimentRequest r;
    r.set_spec_yaml(yaml);
    r.set_spec_name("test.yaml");
    r.set_request_id(request_id);
    auto resp = manager_->Submit(r);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp->experiment;
  }
  std::optional<v1::Assignment> Acquire(const std::string& worker) {
    auto a = manager_->AcquireTask(worker, 0);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : std::nullopt;
  }
  absl::Status Complete(const std::string& worker, const v1::Assignment& a, double value = 1.0) {
    v1::CompleteTaskRequest r;
    r.set_worker_id(worker);
    r.mutable_assignment()->set_attempt_id(a.attempt_id());
    r.mutable_assignment()->set_rank(a.rank());
    (*r.mutable_results())["allreduce_sum"] = value;
    return manager_->CompleteTask(r);
  }
  absl::Status Fail(const std::string& worker, const v1::Assignment& a, bool retryable, bool preempted = false) {
    v1::FailTaskRequest r;
    r.set_worker_id(worker);
    r.mutable_assignment()->set_attempt_id(a.attempt_id());
    r.mutable_assignment()->set_rank(a.rank());
    r.set_error("boom");
    r.set_retryable(retryable);
    r.set_preempted(preempted);
    return manager_->FailTask(r);
  }
  v1::HeartbeatResponse Heartbeat(const std::string& worker, const std::vector<v1::Assignment>& running) {
    v1::HeartbeatRequest r;
    r.set_worker_id(worker);
    for (const auto& a : running) {
      auto* ref = r.add_running();
      ref->set_attempt_id(a.attempt_id());
      ref->set_rank(a.rank());
    }
    auto resp = manager_->Heartbeat(r);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? *resp : v1::HeartbeatResponse();
  }
  v1::State State(const std::string& id) { return manager_->GetExperiment(id, false)->state(); }

  std::filesystem::path dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(ManagerTest, SubmitExpandsRunsStagesTasks) {
  auto e = Submit("name: m\nprobe: {ranks: 1, shards: 2}\nmatrix: {train.lr: [0.1, 0.2, 0.3]}\ntrain: {}\n"
                  "model: {llm: {path: /models/x}}\ndata: {base: ptbxl, root: /data/x, mapped: ecg-qa-ptbxl, mapped_root: /data/q}\n");
  EXPECT_EQ(e.state(), v1::STATE_PENDING);
  ASSERT_EQ(e.runs_size(), 3);
  EXPECT_EQ(e.runs(0).name(), "train.lr=0.1");
  EXPECT_GE(e.runs(0).stages_size(), 3);  // probe, preprocess, train
  EXPECT_EQ(e.runs(0).stages(0).kind(), "probe");
  EXPECT_EQ(e.runs(0).stages(0).tasks_size(), 2);
}

TEST_F(ManagerTest, InvalidSpecIsRejectedWithTheFileName) {
  v1::SubmitExperimentRequest r;
  r.set_spec_yaml("name: x\nprobe: {ranks: zero}\n");
  r.set_spec_name("bad.yaml");
  auto resp = manager_->Submit(r);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(resp.status().message().find("probe.ranks"), std::string::npos) << resp.status();
  EXPECT_NE(resp.status().message().find("bad.yaml:2"), std::string::npos) << resp.status();
}

TEST_F(ManagerTest, SameRequestIdReturnsTheSameExperiment) {
  auto a = Submit(kProbe2, "req-1");
  v1::SubmitExperimentRequest r;
  r.set_spec_yaml(kProbe2);
  r.set_request_id("req-1");
  auto again = manager_->Submit(r);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->experiment.id(), a.id());
  EXPECT_EQ(manager_->ListExperiments({})->experiments_size(), 1);
  Reopen();  // and after a restart
  again = manager_->Submit(r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->experiment.id(), a.id());
}

TEST_F(ManagerTest, ValidateOnlyStoresNothing) {
  v1::SubmitExperimentRequest r;
  r.set_spec_yaml(kProbe2);
  r.set_validate_only(true);
  auto resp = manager_->Submit(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_TRUE(resp->experiment.id().empty());
  EXPECT_EQ(resp->experiment.runs_size(), 1);
  EXPECT_EQ(resp->experiment.tasks_total(), 1);
  EXPECT_EQ(manager_->ListExperiments({})->experiments_size(), 0);
}

TEST_F(ManagerTest, GangRunsOnTwoWorkersAndCompletes) {
  auto e = Submit(kProbe2);
  std::string w1 = Register("w1"), w2 = Register("w2");
  auto a1 = Acquire(w1), a2 = Acquire(w2);
  ASSERT_TRUE(a1 && a2);
  EXPECT_EQ(a1->attempt_id(), a2->attempt_id());
  EXPECT_EQ(a1->world_size(), 2);
  EXPECT_NE(a1->rank(), a2->rank());
  EXPECT_EQ(State(e.id()), v1::STATE_RUNNING);
  ASSERT_TRUE(Complete(w1, *a1, 3).ok());
  EXPECT_EQ(State(e.id()), v1::STATE_RUNNING);  // the other rank is still running
  ASSERT_TRUE(Complete(w2, *a2, 3).ok());
  EXPECT_EQ(State(e.id()), v1::STATE_SUCCEEDED);
  auto results = manager_->GetResults(e.id());
  ASSERT_TRUE(results.ok());
  EXPECT_EQ(results->runs(0).metrics().at("probe.allreduce_sum"), 3);
  // Resources were released: a new gang fits again.
  auto e2 = Submit(kProbe2);
  EXPECT_TRUE(Acquire(w1).has_value());
  EXPECT_TRUE(Acquire(w2).has_value());
  (void)e2;
}

TEST_F(ManagerTest, GaugesListActiveAndRecentlyEndedExperimentsForDashboards) {
  auto done = Submit("name: finished-one\nprobe: {ranks: 1}\n");
  std::string w1 = Register("w1");
  auto a = Acquire(w1);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(Complete(w1, *a, 3).ok());
  auto waiting = Submit("name: waiting-one\nprobe: {ranks: 2}\n");  // needs two workers: stays pending
  ManagerGauges g = manager_->Gauges();
  EXPECT_TRUE(g.store_ok);
  ASSERT_EQ(g.experiments.size(), 2u);
  std::map<std::string, std::string> states;
  for (const auto& e : g.experiments) states[e.name] = e.state;
  EXPECT_EQ(states.at("finished-one"), "succeeded");
  EXPECT_EQ(states.at("waiting-one"), "pending");
  // probe.allreduce_sum is a run result, but not of an evaluate or score stage.
  for (const auto& e : g.experiments) EXPECT_TRUE(e.results.empty()) << e.name;
  EXPECT_EQ(g.queue_depth, 1);

  clock_.Advance(ManagerGauges::kRecentWindowMs + 1);  // the finished one drops out; the active one stays
  g = manager_->Gauges();
  ASSERT_EQ(g.experiments.size(), 1u);
  EXPECT_EQ(g.experiments[0].id, waiting.id());
  (void)done;
}

TEST_F(ManagerTest, GangWaitsForEnoughWorkers) {
  Submit(kProbe2);
  std::string w1 = Register("w1");
  EXPECT_FALSE(Acquire(w1).has_value());  // 2 ranks, 1 core: nothing placed
  std::string w2 = Register("w2");
  EXPECT_TRUE(Acquire(w1).has_value());
  EXPECT_TRUE(Acquire(w2).has_value());
}

TEST_F(ManagerTest, LostWorkerTaskIsRequeuedAndCompletedElsewhere) {
  auto e = Submit("name: one\nprobe: {ranks: 1}\n");
  std::string w1 = Register("w1");
  auto a = Acquire(w1);
  ASSERT_TRUE(a);
  std::string w2 = Register("w2");
  clock_.Advance(3000);
  Heartbeat(w2, {});
  manager_->Tick();
  EXPECT_EQ(State(e.id()), v1::STATE_RUNNING);  // within the lease
  clock_.Advance(3000);
  Heartbeat(w2, {});
  manager_->Tick();  // w1 silent for 6 s > 5 s lease
  auto exp = manager_->GetExperiment(e.id(), true);
  EXPECT_EQ(exp->runs(0).stages(0).tasks(0).state(), v1::STATE_PENDING);
  EXPECT_NE(exp->runs(0).stages(0).tasks(0).error().find("lost"), std::string::npos);
  EXPECT_FALSE(Acquire(w2).has_value());  // backoff 1 s
  clock_.Advance(1000);
  Heartbeat(w2, {});
  manager_->Tick();
  auto b = Acquire(w2);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->attempt_number(), 2);
  // The old attempt can no longer complete: completion is exactly-once.
  auto stale = manager_->Heartbeat([&] {
    v1::HeartbeatRequest r;
    r.set_worker_id(w1);
    return r;
  }());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kNotFound);
  std::string w1b = Register("w1", 1, w1);
  EXPECT_EQ(w1b, w1);
  EXPECT_EQ(Complete(w1, *a).code(), absl::StatusCode::kFailedPrecondition);
  auto hb = Heartbeat(w1, {*a});
  ASSERT_EQ(hb.commands_size(), 1);
  EXPECT_EQ(hb.commands(0).kind(), v1::WorkerCommand::KIND_CANCEL);
  ASSERT_TRUE(Complete(w2, *b).ok());
  EXPECT_EQ(State(e.id()), v1::STATE_SUCCEEDED);
}

TEST_F(ManagerTest, RetryableFailuresUseUpAttemptsThenFail) {
  auto e = Submit("name: one\nprobe: {ranks: 1}\n");
  std::string w = Register("w");
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto a = Acquire(w);
    ASSERT_TRUE(a) << attempt;
    EXPECT_EQ(a->attempt_number(), attempt);
    ASSERT_TRUE(Fail(w, *a, /*retryable=*/true).ok());
    clock_.Advance(10000);
    Heartbeat(w, {});
    manager_->Tick();
  }
  EXPECT_EQ(State(e.id()), v1::STATE_FAILED);
  auto exp = manager_->GetExperiment(e.id(), true);
  EXPECT_NE(exp->error().find("boom"), std::string::npos) << exp->error();
  EXPECT_EQ(exp->runs(0).stages(0).tasks(0).attempts(), 3);
}

TEST_F(ManagerTest, NonRetryableFailureFailsAtOnce) {
  auto e = Submit("name: one\nprobe: {ranks: 1}\n");
  std::string w = Register("w");
  auto a = Acquire(w);
  ASSERT_TRUE(Fail(w, *a, /*retryable=*/false).ok());
  EXPECT_EQ(State(e.id()), v1::STATE_FAILED);
}

TEST_F(ManagerTest, PreemptionRequeuesWithoutUsingAnAttemptAndDrainsTheReleasingWorker) {
  auto e = Submit("name: one\nprobe: {ranks: 1}\nresources: {max_attempts: 1}\n");
  std::string w = Register("w");
  auto a = Acquire(w);
  std::string w2 = Register("w2");
  // A worker releases a task as preempted only while it shuts down: nothing goes back to it.
  ASSERT_TRUE(Fail(w, *a, true, /*preempted=*/true).ok());
  EXPECT_FALSE(Acquire(w));
  auto b = Acquire(w2);  // no backoff for a preemption
  ASSERT_TRUE(b);
  EXPECT_EQ(b->attempt_number(), 2);
  ASSERT_TRUE(Complete(w2, *b).ok());
  EXPECT_EQ(State(e.id()), v1::STATE_SUCCEEDED);
  std::map<std::string, v1::WorkerState> states;
  for (const auto& worker : manager_->ListWorkers(false)) states[worker.name()] = worker.state();
  EXPECT_EQ(states["w"], v1::WORKER_STATE_DRAINING);
  EXPECT_EQ(states["w2"], v1::WORKER_STATE_ACTIVE);
}

TEST_F(ManagerTest, GangRankFailureCancelsTheOtherRank) {
  Submit(kProbe2);
  std::string w1 = Register("w1"), w2 = Register("w2");
  auto a1 = Acquire(w1), a2 = Acquire(w2);
  ASSERT_TRUE(Fail(w1, *a1, true).ok());
  auto hb = Heartbeat(w2, {*a2});
  ASSERT_GE(hb.commands_size(), 1);
  EXPECT_EQ(hb.commands(0).kind(), v1::WorkerCommand::KIND_CANCEL);
  EXPECT_EQ(hb.commands(0).assignment().attempt_id(), a2->attempt_id());
}

TEST_F(ManagerTest, CancelStopsRunningAndPendingWork) {
  auto e = Submit("name: c\nprobe: {ranks: 1, shards: 3}\n");
  std::string w = Register("w");
  auto a = Acquire(w);
  ASSERT_TRUE(a);
  auto c = manager_->Cancel(e.id(), "user asked");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state(), v1::STATE_CANCELLED);
  for (const auto& t : c->runs(0).stages(0).tasks()) EXPECT_EQ(t.state(), v1::STATE_CANCELLED);
  auto hb = Heartbeat(w, {*a});
  ASSERT_EQ(hb.commands_size(), 1);
  EXPECT_EQ(hb.commands(0).kind(), v1::WorkerCommand::KIND_CANCEL);
  EXPECT_EQ(Complete(w, *a).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Acquire(w).has_value());
  EXPECT_EQ(manager_->Cancel("exp-nope", "").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ManagerTest, RestartKeepsRunningAttemptsAndCompletesOnce) {
  auto e = Submit(kProbe2, "r");
  std::string w1 = Register("w1"), w2 = Register("w2");
  auto a1 = Acquire(w1), a2 = Acquire(w2);
  ASSERT_TRUE(Complete(w1, *a1).ok());
  Reopen();  // the coordinator restarts; workers keep running
  EXPECT_EQ(State(e.id()), v1::STATE_RUNNING);
  Heartbeat(w2, {*a2});
  ASSERT_TRUE(Complete(w2, *a2).ok());
  EXPECT_EQ(State(e.id()), v1::STATE_SUCCEEDED);
  EXPECT_EQ(Complete(w2, *a2).code(), absl::StatusCode::kFailedPrecondition);
  Reopen();
  EXPECT_EQ(State(e.id()), v1::STATE_SUCCEEDED);
  bool terminal = false;
  auto events = manager_->ReadEvents(e.id(), 0, 1000, &terminal);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(terminal);
  int64_t prev = 0;
  int succeeded_tasks = 0;
  for (const auto& ev : *events) {
    EXPECT_GT(ev.seq(), prev);
    prev = ev.seq();
    if (ev.has_state_change() && ev.state_change().entity() == "task" &&
        ev.state_change().state() == v1::STATE_SUCCEEDED) {
      ++succeeded_tasks;
    }
  }
  EXPECT_EQ(succeeded_tasks, 1);
}

TEST_F(ManagerTest, PlacedButUndeliveredBeforeRestartIsRetried) {
  auto e = Submit("name: one\nprobe: {ranks: 1}\n");
  std::string w = Register("w");  // placed into w's mailbox, never acquired
  Reopen();
  Heartbeat(w, {});
  EXPECT_FALSE(Acquire(w).has_value());  // the mailbox did not survive
  clock_.Advance(6000);
  Heartbeat(w, {});
  manager_->Tick();  // not confirmed within the lease -> failed attempt, retried
  clock_.Advance(1000);
  Heartbeat(w, {});
  manager_->Tick();
  auto a = Acquire(w);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->attempt_number(), 2);
  ASSERT_TRUE(Complete(w, *a).ok());
  EXPECT_EQ(State(e.id()), v1::STATE_SUCCEEDED);
}

TEST_F(ManagerTest, RendezvousKvIsScopedToTheAttempt) {
  Submit(kProbe2);
  std::string w1 = Register("w1"), w2 = Register("w2"), w3 = Register("w3");
  auto a1 = Acquire(w1), a2 = Acquire(w2);
  ASSERT_TRUE(a1 && a2);
  v1::KvSetRequest set;
  set.set_worker_id(w1);
  set.set_attempt_id(a1->attempt_id());
  set.set_key("store/rank0");
  set.set_value("addr0");
  ASSERT_TRUE(manager_->KvSet(set).ok());
  v1::KvWaitRequest wait;
  wait.set_worker_id(w2);
  wait.set_attempt_id(a2->attempt_id());
  wait.add_keys("store/rank0");
  wait.set_timeout_ms(10);
  auto got = manager_->KvWait(wait);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->values(0), "addr0");
  wait.add_keys("store/rank1");
  EXPECT_EQ(manager_->KvWait(wait).status().code(), absl::StatusCode::kDeadlineExceeded);
  v1::KvGetRequest get;
  get.set_worker_id(w3);  // holds no rank of this attempt
  get.set_attempt_id(a1->attempt_id());
  get.set_key("store/rank0");
  EXPECT_EQ(manager_->KvGet(get).status().code(), absl::StatusCode::kPermissionDenied);
  Reopen();  // KV survives a coordinator restart
  get.set_worker_id(w2);
  auto after = manager_->KvGet(get);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->found());
}

TEST_F(ManagerTest, UnknownWorkerMustRegister) {
  v1::HeartbeatRequest r;
  r.set_worker_id("wrk-unknown");
  EXPECT_EQ(manager_->Heartbeat(r).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->AcquireTask("wrk-unknown", 0).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ManagerTest, ListPaginatesNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    Submit("name: e" + std::to_string(i) + "\nprobe: {}\n");
    clock_.Advance(10);
  }
  v1::ListExperimentsRequest r;
  r.set_page_size(2);
  auto p1 = manager_->ListExperiments(r);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->experiments_size(), 2);
  EXPECT_EQ(p1->experiments(0).name(), "e4");
  r.set_page_token(p1->next_page_token());
  auto p2 = manager_->ListExperiments(r);
  EXPECT_EQ(p2->experiments(0).name(), "e2");
  r.set_page_token(p2->next_page_token());
  auto p3 = manager_->ListExperiments(r);
  ASSERT_EQ(p3->experiments_size(), 1);
  EXPECT_TRUE(p3->next_page_token().empty());
  r.clear_page_token();
  r.set_name_contains("e3");
  EXPECT_EQ(manager_->ListExperiments(r)->experiments_size(), 1);
}

TEST_F(ManagerTest, LogsAndMetricsAreStoredWithContext) {
  auto e = Submit("name: one\nprobe: {ranks: 1}\n");
  std::string w = Register("w");
  auto a = Acquire(w);
  v1::AppendLogsRequest logs;
  logs.set_worker_id(w);
  logs.mutable_assignment()->set_attempt_id(a->attempt_id());
  auto* line = logs.add_lines();
  line->set_message("hello");
  line->set_level(v1::LOG_LEVEL_WARNING);
  ASSERT_TRUE(manager_->AppendLogs(logs).ok());
  v1::ReportMetricsRequest m;
  m.set_worker_id(w);
  m.mutable_assignment()->set_attempt_id(a->attempt_id());
  auto* p = m.add_points();
  p->set_name("loss");
  p->set_value(0.5);
  p->set_step(7);
  ASSERT_TRUE(manager_->ReportMetrics(m).ok());
  LogQuery q;
  q.experiment_id = e.id();
  q.stage = "probe";
  bool terminal = true;
  auto lines = manager_->ReadLogs(q, &terminal);
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].message(), "hello");
  EXPECT_EQ((*lines)[0].task_id(), a->task_id());
  EXPECT_EQ((*lines)[0].worker_id(), w);
  EXPECT_FALSE(terminal);
  auto metrics = store_->ReadMetrics(e.id(), a->run_id());
  ASSERT_TRUE(metrics.ok());
  ASSERT_EQ(metrics->size(), 1u);
  EXPECT_EQ((*metrics)[0].step(), 7);
}

}  // namespace
}  // namespace ecgbench::server
