// Worker self-fencing and stuck runners, against the in-process fake coordinator: the LeaseTracker
// arithmetic; an assignment is stopped without any report when heartbeats go unanswered for about
// a lease or the coordinator answers NOT_FOUND; a runner that returns after the lease was lost
// reports nothing; a cancelled runner that does not return within stuck_runner_wait is reported to
// on_stuck_runner (ecgbench-worker exits with code 3 there), one that returns is not.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/util/clock.h"
#include "tests/unit/worker/fake_coordinator.h"
#include "worker/agent/agent.h"
#include "worker/agent/lease_tracker.h"

namespace ecgbench::worker {
namespace {

using testing::FakeCoordinator;

TEST(LeaseTrackerTest, FencesOneHeartbeatIntervalBeforeTheLeaseCountedFromTheSendTime) {
  LeaseTracker lease;
  EXPECT_FALSE(lease.Lost(1'000'000));  // no lease known yet: never fenced
  lease.Renewed(1000, 2000, 200);
  EXPECT_EQ(lease.fence_after_ms(), 1800);
  EXPECT_FALSE(lease.Lost(2799));
  EXPECT_TRUE(lease.Lost(2800));
  EXPECT_EQ(lease.silent_ms(2800), 1800);
  lease.Renewed(900, 0, 200);  // an older request answered late moves nothing; lease kept
  EXPECT_TRUE(lease.Lost(2800));
  EXPECT_EQ(lease.lease_ms(), 2000);
  lease.Renewed(2500, 0, 200);
  EXPECT_FALSE(lease.Lost(4299));
  EXPECT_TRUE(lease.Lost(4300));
  lease.Renewed(2500, 1000, 900);  // the margin never exceeds half the lease
  EXPECT_EQ(lease.fence_after_ms(), 500);
}

class FuncRunner final : public StageRunner {
 public:
  using Fn = std::function<absl::StatusOr<TaskResult>(TaskContext&)>;
  explicit FuncRunner(Fn fn) : fn_(std::move(fn)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override { return fn_(ctx); }

 private:
  Fn fn_;
};

v1::Assignment MakeAssignment(const std::string& attempt, const std::string& kind) {
  v1::Assignment a;
  a.set_attempt_id(attempt);
  a.set_attempt_number(1);
  a.set_task_id("task-" + attempt);
  a.set_experiment_id("exp-1");
  a.set_run_id("run-1");
  a.set_stage_id("stage-1");
  a.set_stage_kind(kind);
  a.set_world_size(1);
  a.set_num_shards(1);
  a.set_cpu_cores(1);
  return a;
}

class AgentFencingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_root_ = ::testing::TempDir() + "/agent_fencing_test_work." + std::to_string(getpid());
    fake_->set_lease_ms(600);
    fake_->set_heartbeat_interval_ms(50);
    ASSERT_TRUE(fake_->started());
  }
  void TearDown() override {
    if (!release_.HasBeenNotified()) release_.Notify();
    if (agent_ != nullptr) {
      agent_->Shutdown(absl::ZeroDuration());
      thread_.join();
      agent_.reset();
    }
    std::filesystem::remove_all(work_root_);
  }

  void AddRunner(const std::string& kind, FuncRunner::Fn fn) {
    ASSERT_TRUE(registry_.Register(kind, [fn] { return std::make_unique<FuncRunner>(fn); }).ok());
  }

  void StartAgent(absl::Duration stuck_runner_wait = absl::Seconds(60)) {
    AgentOptions options;
    options.coordinator_address = fake_->address();
    options.name = "test-host";
    options.resources.set_cpu_cores(2);
    options.work_root = work_root_;
    options.acquire_wait_ms = 100;
    options.call_timeout = absl::Milliseconds(500);
    options.ship_interval = absl::Milliseconds(20);
    options.backoff_initial = absl::Milliseconds(10);
    options.backoff_max = absl::Milliseconds(50);
    options.watchdog_interval = absl::Milliseconds(10);
    options.stuck_runner_wait = stuck_runner_wait;
    options.on_stuck_runner = [this](const std::string& label) {
      absl::MutexLock lock(&mu_);
      stuck_.push_back(label);
    };
    agent_ = std::make_unique<Agent>(std::move(options), &registry_, common::RealClock::Get());
    thread_ = std::thread([this] { run_status_ = agent_->Run(); });
  }

  // Runs until cancelled (then returns CANCELLED), counting what it saw.
  FuncRunner::Fn UntilCancelled() {
    return [this](TaskContext& ctx) -> absl::StatusOr<TaskResult> {
      started_.store(true);
      ctx.Log(v1::LOG_LEVEL_INFO, "working");
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (!ctx.cancelled() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
      saw_cancel_.store(ctx.cancelled());
      ctx.Log(v1::LOG_LEVEL_INFO, "stopping");
      return absl::CancelledError("stopped");
    };
  }

  // Replaces the stopped fake by one on the same port that still knows worker w-1.
  void RestartFake() {
    const int port = fake_->port();
    fake_ = std::make_unique<FakeCoordinator>(port, std::set<std::string>{"w-1"});
    fake_->set_lease_ms(600);
    fake_->set_heartbeat_interval_ms(50);
    ASSERT_TRUE(fake_->started());
  }

  std::vector<std::string> stuck() {
    absl::MutexLock lock(&mu_);
    return stuck_;
  }

  std::unique_ptr<FakeCoordinator> fake_ = std::make_unique<FakeCoordinator>();
  StageRegistry registry_;
  std::string work_root_;
  std::unique_ptr<Agent> agent_;
  std::thread thread_;
  absl::Status run_status_;
  std::atomic<bool> started_{false};
  std::atomic<bool> saw_cancel_{false};
  absl::Notification release_;
  absl::Mutex mu_;
  std::vector<std::string> stuck_;
};

TEST_F(AgentFencingTest, UnansweredHeartbeatsStopTheAssignmentWithoutAnyReport) {
  AddRunner("loop", UntilCancelled());
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-f", "loop"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return started_.load() && !fake_->logs().empty(); }));
  fake_->Stop();  // the coordinator is unreachable from now on
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return agent_->running_assignments() == 0; }));
  EXPECT_TRUE(saw_cancel_.load());
  // Back again: the worker heartbeats with nothing running and never reports the fenced attempt.
  ASSERT_NO_FATAL_FAILURE(RestartFake());
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] {
    auto hbs = fake_->heartbeats();
    return hbs.size() >= 3 && hbs.back().running_size() == 0;
  }));
  EXPECT_TRUE(fake_->completes().empty());
  EXPECT_TRUE(fake_->fails().empty());
  EXPECT_TRUE(fake_->log_lines().empty());  // "stopping" was dropped with the rest
  EXPECT_TRUE(stuck().empty());
}

TEST_F(AgentFencingTest, HeartbeatNotFoundStopsTheAssignmentAndRegistersAgain) {
  AddRunner("loop", UntilCancelled());
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-n", "loop"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return started_.load(); }));
  fake_->HeartbeatNotFoundOnce();
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return agent_->running_assignments() == 0; }));
  EXPECT_TRUE(saw_cancel_.load());
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return fake_->registrations().size() == 2; }));
  EXPECT_EQ(fake_->registrations()[1].previous_worker_id(), "w-1");
  EXPECT_TRUE(fake_->completes().empty());
  EXPECT_TRUE(fake_->fails().empty());
}

TEST_F(AgentFencingTest, RunnerReturningAfterTheLeaseWasLostReportsNothing) {
  AddRunner("gated", [this](TaskContext&) -> absl::StatusOr<TaskResult> {
    started_.store(true);
    release_.WaitForNotification();  // ignores cancellation, like a process that was stopped
    return TaskResult{{{"done", 1}}, ""};
  });
  StartAgent();
  fake_->QueueAssignment(MakeAssignment("att-g", "gated"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return started_.load(); }));
  fake_->Stop();
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return agent_->lease_lost(); }));
  release_.Notify();  // the runner finishes with a result after the lease was lost
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return agent_->running_assignments() == 0; }));
  ASSERT_NO_FATAL_FAILURE(RestartFake());
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] {
    auto hbs = fake_->heartbeats();
    return hbs.size() >= 3 && hbs.back().running_size() == 0;
  }));
  EXPECT_FALSE(agent_->lease_lost());  // renewed by the heartbeats
  EXPECT_TRUE(fake_->completes().empty());
  EXPECT_TRUE(fake_->fails().empty());
}

TEST_F(AgentFencingTest, CancelledRunnerThatDoesNotReturnIsReportedStuckOnce) {
  AddRunner("stubborn", [this](TaskContext&) -> absl::StatusOr<TaskResult> {
    started_.store(true);
    release_.WaitForNotification();
    return absl::CancelledError("late");
  });
  StartAgent(absl::Milliseconds(200));
  fake_->QueueAssignment(MakeAssignment("att-s", "stubborn"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return started_.load(); }));
  v1::WorkerCommand cancel;
  cancel.set_kind(v1::WorkerCommand::KIND_CANCEL);
  cancel.mutable_assignment()->set_attempt_id("att-s");
  cancel.set_reason("experiment cancelled");
  fake_->QueueCommand(cancel);
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !stuck().empty(); }));
  EXPECT_EQ(stuck(), std::vector<std::string>{"task task-att-s rank 0 attempt att-s"});
  release_.Notify();
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return agent_->running_assignments() == 0; }));
  EXPECT_EQ(stuck().size(), 1u);
  EXPECT_TRUE(fake_->completes().empty());
  EXPECT_TRUE(fake_->fails().empty());
}

TEST_F(AgentFencingTest, CancelledRunnerThatReturnsIsNotReportedStuck) {
  AddRunner("loop", UntilCancelled());
  StartAgent(absl::Seconds(10));
  fake_->QueueAssignment(MakeAssignment("att-c", "loop"));
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return started_.load(); }));
  v1::WorkerCommand cancel;
  cancel.set_kind(v1::WorkerCommand::KIND_CANCEL);
  cancel.mutable_assignment()->set_attempt_id("att-c");
  fake_->QueueCommand(cancel);
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return agent_->running_assignments() == 0; }));
  EXPECT_TRUE(saw_cancel_.load());
  EXPECT_TRUE(stuck().empty());
}

}  // namespace
}  // namespace ecgbench::worker
