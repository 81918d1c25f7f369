// Agent tests against an in-process fake coordinator (a real gRPC server on 127.0.0.1): register,
// run and complete, cancel, failures, re-registration, shutdown/preemption, log batching, a
// coordinator restart, stale attempts and drain.
#include "worker/agent/agent.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/util/clock.h"
#include "tests/unit/worker/fake_coordinator.h"

namespace ecgbench::worker {
namespace {

using testing::FakeCoordinator;

// A runner whose behaviour the test supplies.
class FuncRunner final : public StageRunner {
 public:
  using Fn = std::function<absl::StatusOr<TaskResult>(TaskContext&)>;
  explicit FuncRunner(Fn fn) : fn_(std::move(fn)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override { return fn_(ctx); }

 private:
  Fn fn_;
};

v1::Assignment MakeAssignment(const std::string& attempt, const std::string& kind, int rank = 0) {
  v1::Assignment a;
  a.set_attempt_id(attempt);
  a.set_attempt_number(1);
  a.set_task_id("task-" + attempt);
  a.set_experiment_id("exp-1");
  a.set_run_id("run-1");
  a.set_stage_id("stage-1");
  a.set_stage_kind(kind);
  a.set_rank(rank);
  a.set_world_size(1);
  a.set_num_shards(1);
  a.set_cpu_cores(1);
  return a;
}

// Loops until `stop(ctx)` holds (at most 30 s), then returns `result`.
FuncRunner::Fn LoopUntil(std::function<bool(TaskContext&)> stop, absl::Status result,
                         std::atomic<bool>* started) {
  return [=](TaskContext& ctx) -> absl::StatusOr<TaskResult> {
    started->store(true);
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (!stop(ctx) && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    if (!stop(ctx)) return absl::InternalError("test runner timed out");
    return result;
  };
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_root_ = ::testing::TempDir() + "/agent_test_work." + std::to_string(getpid());
    ASSERT_TRUE(fake_->started());
  }
  void TearDown() override {
    StopAgent(absl::ZeroDuration());
    std::filesystem::remove_all(work_root_);
  }

  void AddRunner(const std::string& kind, FuncRunner::Fn fn) {
    ASSERT_TRUE(registry_
                    .Register(kind, [fn] { return std::make_unique<FuncRunner>(fn); })
                    .ok());
  }

  AgentOptions Options() {
    AgentOptions options;
    options.coordinator_address = fake_->address();
    options.name = "test-host";
    options.resources.set_cpu_cores(3);
    options.resources.set_memory_bytes(int64_t{8} << 30);
    options.labels = {{"zone", "a"}};
    options.version = "9.9.9";
    options.metrics_address = "test-host:9101";
    options.work_root = work_root_;
    options.metrics = &metrics_;
    options.acquire_wait_ms = 200;
    options.call_timeout = absl::Seconds(2);
    options.ship_interval = absl::Milliseconds(50);
    options.backoff_initial = absl::Milliseconds(10);
    options.backoff_max = absl::Milliseconds(100);
    options.cancel_wait = absl::Seconds(2);
    return options;
  }

  void StartAgent() {
    agent_ = std::make_unique<Agent>(Options(), &registry_, common::RealClock::Get());
    thread_ = std::thread([this] { run_status_ = agent_->Run(); });
  }

  void StopAgent(absl::Duration grace) {
    if (agent_ == nullptr) return;
    agent_->Shutdown(grace);
    thread_.join();
    agent_.reset();
  }

  // True once a heartbeat arrived that lists no running assignment after `after` heartbeats.
  bool IdleHeartbeatAfter(size_t after) {
    return FakeCoordinator::WaitFor([&] {
      auto hbs = fake_->heartbeats();
      for (size_t i = after; i < hbs.size(); ++i) {
        if (hbs[i].running_size() == 0) return true;
      }
      return false;
    });
  }

  std::unique_ptr<FakeCoordinator> fake_ = std::make_unique<FakeCoordinator>();
  StageRegistry registry_;
  WorkerMetrics metrics_{"9.9.9", "test-torch"};
  std::string work_root_;
  std::unique_ptr<Agent> agent_;
  std::thread thread_;
  absl::Status run_status_;
};

TEST_F(AgentTest, RegistersWithItsStageKindsAndDeregistersOnShutdown) {
  AddRunner("sleep", [](TaskContext&) { return TaskResult{}; });
  AddRunner("echo", [](TaskContext&) { return TaskResult{}; });
  StartAgent();
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake_->heartbeats().empty(); }));
  const auto registrations = fake_->registrations();
  ASSERT_EQ(registrations.size(), 1u);
  const v1::RegisterWorkerRequest& r = registrations[0];
  EXPECT_EQ(r.name(), "test-host");
  EXPECT_EQ(std::vector<std::string>(r.stage_kinds().begin(), r.stage_kinds().end()),
            (std::vector<std::string>{"echo", "sleep"}));
  EXPECT_EQ(r.resources().cpu_cores(), 3);
  EXPECT_EQ(r.resources().memory_bytes(), int64_t{8} << 30);
  EXPECT_EQ(r.labels().at("zone"), "a");
  EXPECT_EQ(r.version(), "9.9.9");
  EXPECT_EQ(r.metrics_address(), "test-host:9101");
  EXPECT_EQ(r.previous_worker_id(), "");
  EXPECT_EQ(fake_->heartbeats()[0].worker_id(), "w-1");
  EXPECT_EQ(agent_->worker_id(), "w-1");
  EXPECT_NE(metrics_.Serialize().find("ecgbench_worker_registered 1"), std::string::npos);

  StopAgent(absl::Seconds(1));
  EXPECT_TRUE(run_status_.ok()) << run_status_;
  EXPECT_EQ(fake_->deregistered(), std::vector<std::string>{"w-1"});
  EXPECT_NE(metrics_.Serialize().find("ecgbench_worker_registered 0"), std::string::npos);
}

TEST_F(AgentTest, AcquiresRunsAndCompletesWithReports) {
  std::string seen_work_dir;
  bool work_dir_existed = false;
  AddRunner("echo", [&](TaskContext& ctx) -> absl::StatusOr<TaskResult> {
    seen_work_dir = ctx.work_dir();
    work_dir_existed = std::filesystem::is_directory(ctx.work_dir());
    ctx.Log(v1::LOG_LEVEL_INFO, "hello from " + ctx.assignment().task_id());
    ctx.ReportProgress(3, 4, "steps", "almost");
    ctx.ReportMetric("loss", 0.5, 7);
    return TaskResult{{{"x", 1.5}, {"y", -2}}, R"({"ok":true})"};
  });
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-1", "echo", 2));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake_->completes().empty(); }));

  const v1::CompleteTaskRequest c = fake_->completes()[0];
  EXPECT_EQ(c.worker_id(), "w-1");
  EXPECT_EQ(c.assignment().attempt_id(), "att-1");
  EXPECT_EQ(c.assignment().rank(), 2);
  EXPECT_EQ(c.results().size(), 2u);
  EXPECT_EQ(c.results().at("x"), 1.5);
  EXPECT_EQ(c.results().at("y"), -2);
  EXPECT_EQ(c.result_json(), R"({"ok":true})");
  EXPECT_TRUE(fake_->fails().empty());

  const auto lines = fake_->log_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].message(), "hello from task-att-1");
  EXPECT_EQ(lines[0].level(), v1::LOG_LEVEL_INFO);
  const auto progress = fake_->progress();
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].assignment().attempt_id(), "att-1");
  EXPECT_EQ(progress[0].progress().done(), 3);
  EXPECT_EQ(progress[0].progress().total(), 4);
  EXPECT_EQ(progress[0].progress().unit(), "steps");
  EXPECT_EQ(progress[0].progress().message(), "almost");
  const auto metrics = fake_->metrics();
  ASSERT_EQ(metrics.size(), 1u);
  ASSERT_EQ(metrics[0].points_size(), 1);
  EXPECT_EQ(metrics[0].points(0).name(), "loss");
  EXPECT_EQ(metrics[0].points(0).value(), 0.5);
  EXPECT_EQ(metrics[0].points(0).step(), 7);
  EXPECT_EQ(metrics[0].points(0).rank(), 2);

  // Reports are flushed before the completion.
  const auto events = fake_->events();
  const auto complete_at = std::find(events.begin(), events.end(), "CompleteTask:att-1");
  for (const char* report : {"AppendLogs", "ReportProgress", "ReportMetrics"}) {
    EXPECT_LT(std::find(events.begin(), events.end(), report), complete_at) << report;
  }
  EXPECT_TRUE(work_dir_existed);
  EXPECT_EQ(seen_work_dir, work_root_ + "/att-1-r2");
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return agent_->running_assignments() == 0; }));
  EXPECT_FALSE(std::filesystem::exists(seen_work_dir));
  const std::string text = metrics_.Serialize();
  EXPECT_NE(text.find(
                R"(ecgbench_worker_assignments_finished_total{result="succeeded",stage_kind="echo"} 1)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("ecgbench_worker_task_progress_ratio{"), std::string::npos) << text;
}

TEST_F(AgentTest, CancelCommandStopsTheRunnerAndNothingIsReported) {
  std::atomic<bool> started{false};
  AddRunner("loop", LoopUntil([](TaskContext& ctx) { return ctx.cancelled(); },
                              absl::CancelledError("stopped"), &started));
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-c", "loop"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return started.load(); }));
  v1::WorkerCommand cancel;
  cancel.set_kind(v1::WorkerCommand::KIND_CANCEL);
  cancel.mutable_assignment()->set_attempt_id("att-c");
  cancel.mutable_assignment()->set_rank(0);
  cancel.set_reason("user asked");
  const size_t heartbeats_before = fake_->heartbeats().size();
  fake_->QueueCommand(cancel);
  // The assignment disappears from the heartbeats once the runner returned and the agent is done.
  ASSERT_TRUE(IdleHeartbeatAfter(heartbeats_before));
  EXPECT_TRUE(fake_->completes().empty());
  EXPECT_TRUE(fake_->fails().empty());
  EXPECT_NE(metrics_.Serialize().find(
                R"(ecgbench_worker_assignments_finished_total{result="cancelled",stage_kind="loop"} 1)"),
            std::string::npos);
}

TEST_F(AgentTest, UnknownStageKindFailsWithoutRetry) {
  AddRunner("echo", [](TaskContext&) { return TaskResult{}; });
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-u", "nope"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake_->fails().empty(); }));
  const v1::FailTaskRequest f = fake_->fails()[0];
  EXPECT_EQ(f.assignment().attempt_id(), "att-u");
  EXPECT_EQ(f.error(), R"(UNIMPLEMENTED: no runner for stage kind "nope" on this worker (it has: echo))");
  EXPECT_FALSE(f.retryable());
  EXPECT_FALSE(f.preempted());
}

TEST_F(AgentTest, ThrowingRunnerFailsRetryableAndBadInputFailsForGood) {
  AddRunner("throw", [](TaskContext&) -> absl::StatusOr<TaskResult> {
    throw std::runtime_error("boom");
  });
  AddRunner("bad", [](TaskContext&) -> absl::StatusOr<TaskResult> {
    return absl::InvalidArgumentError("params_json.lr: expected a number");
  });
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-t", "throw"));
  fake_->QueueAssignment(MakeAssignment("att-b", "bad"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return fake_->fails().size() == 2; }));
  for (const v1::FailTaskRequest& f : fake_->fails()) {
    if (f.assignment().attempt_id() == "att-t") {
      EXPECT_EQ(f.error(), "INTERNAL: stage runner threw: boom");
      EXPECT_TRUE(f.retryable());
    } else {
      EXPECT_EQ(f.assignment().attempt_id(), "att-b");
      EXPECT_EQ(f.error(), "INVALID_ARGUMENT: params_json.lr: expected a number");
      EXPECT_FALSE(f.retryable());
    }
    EXPECT_FALSE(f.preempted());
  }
}

TEST_F(AgentTest, HeartbeatNotFoundReregistersWithThePreviousId) {
  AddRunner("echo", [](TaskContext&) { return TaskResult{}; });
  StartAgent();
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake_->heartbeats().empty(); }));
  fake_->HeartbeatNotFoundOnce();
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return fake_->registrations().size() == 2; }));
  EXPECT_EQ(fake_->registrations()[1].previous_worker_id(), "w-1");
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] {
    auto hbs = fake_->heartbeats();
    return hbs.back().worker_id() == "w-2";
  }));
  EXPECT_EQ(agent_->worker_id(), "w-2");
  // Work continues under the new id.
  fake_->QueueAssignment(MakeAssignment("att-r", "echo"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake_->completes().empty(); }));
  EXPECT_EQ(fake_->completes()[0].worker_id(), "w-2");
}

TEST_F(AgentTest, ShutdownPreemptsTheRunnerThenDeregisters) {
  std::atomic<bool> started{false};
  AddRunner("ckpt", LoopUntil([](TaskContext& ctx) { return ctx.preempt_requested(); },
                              PreemptedStatus(), &started));
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-p", "ckpt"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return started.load(); }));
  StopAgent(absl::Seconds(20));
  EXPECT_TRUE(run_status_.ok()) << run_status_;
  ASSERT_EQ(fake_->fails().size(), 1u);
  const v1::FailTaskRequest f = fake_->fails()[0];
  EXPECT_TRUE(f.preempted());
  EXPECT_TRUE(f.retryable());
  EXPECT_EQ(f.error(), "ABORTED: preempted");
  const auto events = fake_->events();
  const auto fail_at = std::find(events.begin(), events.end(), "FailTask:att-p");
  const auto dereg_at = std::find(events.begin(), events.end(), "DeregisterWorker");
  ASSERT_NE(fail_at, events.end());
  ASSERT_NE(dereg_at, events.end());
  EXPECT_LT(fail_at, dereg_at);
}

TEST_F(AgentTest, ShutdownCancelsRunnersThatOutliveTheGracePeriod) {
  std::atomic<bool> started{false};
  AddRunner("stubborn", LoopUntil([](TaskContext& ctx) { return ctx.cancelled(); },
                                  absl::CancelledError("gave up"), &started));
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-s", "stubborn"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return started.load(); }));
  StopAgent(absl::Milliseconds(50));
  EXPECT_TRUE(run_status_.ok()) << run_status_;
  ASSERT_EQ(fake_->fails().size(), 1u);
  EXPECT_TRUE(fake_->fails()[0].preempted());
  EXPECT_EQ(fake_->fails()[0].error(),
            "worker shut down before the runner finished (CANCELLED: gave up)");
  EXPECT_EQ(fake_->deregistered().size(), 1u);
}

TEST_F(AgentTest, LogsArriveBatchedInOrderWithTheirLevels) {
  constexpr int kLines = 250;
  const v1::LogLevel levels[] = {v1::LOG_LEVEL_DEBUG, v1::LOG_LEVEL_INFO, v1::LOG_LEVEL_WARNING,
                                 v1::LOG_LEVEL_ERROR};
  AddRunner("chatty", [&](TaskContext& ctx) {
    for (int i = 0; i < kLines; ++i) ctx.Log(levels[i % 4], "line " + std::to_string(i));
    return TaskResult{};
  });
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-l", "chatty"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake_->completes().empty(); }));
  const auto lines = fake_->log_lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kLines));
  for (int i = 0; i < kLines; ++i) {
    EXPECT_EQ(lines[i].message(), "line " + std::to_string(i));
    EXPECT_EQ(lines[i].level(), levels[i % 4]);
    EXPECT_GT(lines[i].time_unix_ms(), 0);
  }
  const auto calls = fake_->logs();
  EXPECT_GE(calls.size(), 1u);
  EXPECT_LE(calls.size(), 10u);  // batched, not one call per line
  for (const auto& call : calls) {
    EXPECT_EQ(call.worker_id(), "w-1");
    EXPECT_EQ(call.assignment().attempt_id(), "att-l");
  }
}

TEST_F(AgentTest, RidesOutACoordinatorRestart) {
  absl::Notification gate;
  std::atomic<bool> started{false};
  AddRunner("gated", [&](TaskContext& ctx) {
    ctx.Log(v1::LOG_LEVEL_INFO, "before");
    started.store(true);
    gate.WaitForNotification();
    ctx.Log(v1::LOG_LEVEL_INFO, "during the outage");
    return TaskResult{{{"done", 1}}, ""};
  });
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-o", "gated"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return started.load() && !fake_->logs().empty(); }));
  const int port = fake_->port();
  fake_->Stop();
  gate.Notify();
  // The runner finishes while the coordinator is down; heartbeats fail meanwhile.
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] {
    return metrics_.Serialize().find("ecgbench_worker_heartbeat_failures_total 0") ==
           std::string::npos;
  }));
  // The coordinator comes back on the same port and still knows the worker.
  fake_ = std::make_unique<FakeCoordinator>(port, std::set<std::string>{"w-1"});
  ASSERT_TRUE(fake_->started());
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake_->completes().empty(); }));
  EXPECT_EQ(fake_->completes()[0].assignment().attempt_id(), "att-o");
  EXPECT_EQ(fake_->completes()[0].results().at("done"), 1);
  const auto lines = fake_->log_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].message(), "during the outage");
  EXPECT_TRUE(fake_->registrations().empty());  // no re-registration was needed
}

TEST_F(AgentTest, StaleCompletionIsDroppedNotRetried) {
  AddRunner("echo", [](TaskContext&) { return TaskResult{}; });
  fake_->set_complete_status(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "attempt att-x is not current"));
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-x", "echo"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake_->completes().empty(); }));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return agent_->running_assignments() == 0; }));
  EXPECT_EQ(fake_->completes().size(), 1u);
  EXPECT_TRUE(fake_->fails().empty());
}

TEST_F(AgentTest, DrainStopsAcquiringButKeepsHeartbeating) {
  AddRunner("echo", [](TaskContext&) { return TaskResult{}; });
  StartAgent();
  v1::WorkerCommand drain;
  drain.set_kind(v1::WorkerCommand::KIND_DRAIN);
  drain.set_reason("node maintenance");
  fake_->QueueCommand(drain);
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return agent_->draining(); }));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return fake_->acquires_in_flight() == 0; }));
  fake_->QueueAssignment(MakeAssignment("att-d", "echo"));
  const size_t heartbeats = fake_->heartbeats().size();
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return fake_->heartbeats().size() >= heartbeats + 5; }));
  EXPECT_EQ(fake_->queued_assignments(), 1u);
  EXPECT_EQ(fake_->acquires_in_flight(), 0);
}

}  // namespace
}  // namespace ecgbench::worker
