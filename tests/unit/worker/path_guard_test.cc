// The worker's spec-path check (--data-root): the runner wrapper refuses an assignment whose
// params name a path outside the roots (a symlink escape in a real temporary tree) without running
// the stage, and the agent reports it as a non-retryable FailTask carrying the message.
#include "worker/agent/path_guard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/util/clock.h"
#include "nlohmann/json.hpp"
#include "tests/unit/worker/fake_coordinator.h"
#include "tests/unit/worker/recording_context.h"
#include "worker/agent/agent.h"
#include "worker/agent/task_boundary.h"

namespace ecgbench::worker {
namespace {

namespace fs = std::filesystem;

class CountingRunner final : public StageRunner {
 public:
  explicit CountingRunner(std::atomic<int>* runs) : runs_(runs) {}
  absl::StatusOr<TaskResult> Run(TaskContext&) override {
    runs_->fetch_add(1);
    return TaskResult{{{"ok", 1}}, ""};
  }
  bool SupportsCheckpoint() const override { return true; }

 private:
  std::atomic<int>* runs_;
};

// ROOT/data/ptb-xl, ROOT/secret, ROOT/data/escape -> ROOT/secret.
class PathGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::weakly_canonical(fs::temp_directory_path()) /
            absl::StrCat("path_guard_test_", ::getpid(), "_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "data" / "ptb-xl");
    fs::create_directories(root_ / "secret");
    fs::create_directory_symlink(root_ / "secret", root_ / "data" / "escape");
    data_ = (root_ / "data").string();
    policy_ = std::make_shared<const common::PathPolicy>(common::PathPolicy::Create({data_}).value());
  }
  void TearDown() override { fs::remove_all(root_); }

  v1::Assignment Assignment(const std::string& attempt, const std::string& data_root) const {
    v1::Assignment a;
    a.set_attempt_id(attempt);
    a.set_attempt_number(1);
    a.set_task_id("task-" + attempt);
    a.set_stage_kind("preprocess");
    a.set_world_size(1);
    a.set_num_shards(1);
    a.set_cpu_cores(1);
    a.set_params_json(nlohmann::json({{"data", {{"base", "ptbxl"}, {"root", data_root}}}}).dump());
    return a;
  }
  std::string EscapeMessage() const {
    return absl::StrCat("data.root: ", data_, "/escape resolves to ", root_.string(),
                        "/secret, outside the allowed roots (", data_, ")");
  }

  fs::path root_;
  std::string data_;
  std::shared_ptr<const common::PathPolicy> policy_;
  std::atomic<int> runs_{0};
};

TEST_F(PathGuardTest, EscapingPathFailsWithoutRunningTheStage) {
  auto runner = ConfineSpecPaths(policy_, std::make_unique<CountingRunner>(&runs_));
  EXPECT_TRUE(runner->SupportsCheckpoint());
  test_support::RecordingContext ctx(Assignment("a1", data_ + "/escape"));
  auto result = runner->Run(ctx);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(result.status().message(), EscapeMessage());
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_EQ(ctx.logs, std::vector<std::string>{EscapeMessage()});
  EXPECT_FALSE(IsRetryableFailure(result.status()));
}

TEST_F(PathGuardTest, PathInsideRuns) {
  auto runner = ConfineSpecPaths(policy_, std::make_unique<CountingRunner>(&runs_));
  test_support::RecordingContext ctx(Assignment("a1", data_ + "/ptb-xl"));
  ASSERT_TRUE(runner->Run(ctx).ok());
  EXPECT_EQ(runs_.load(), 1);
}

TEST_F(PathGuardTest, UnconfinedPolicyDoesNotWrap) {
  auto inner = std::make_unique<CountingRunner>(&runs_);
  StageRunner* raw = inner.get();
  EXPECT_EQ(ConfineSpecPaths(std::make_shared<const common::PathPolicy>(), std::move(inner)).get(), raw);
  EXPECT_NE(ConfineSpecPaths(nullptr, std::make_unique<CountingRunner>(&runs_)), nullptr);
}

TEST(WorkerPathPolicyTest, DataRootsPlusTheArtifactRoot) {
  auto none = WorkerPathPolicy({}, "/var/lib/ecgbench/artifacts");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  auto policy = WorkerPathPolicy({"/data", "/models/"}, "/var/lib/ecgbench//artifacts");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->roots(), (std::vector<std::string>{"/data", "/models", "/var/lib/ecgbench/artifacts"}));
  // A relative artifact root is taken in the working directory.
  auto relative = WorkerPathPolicy({"/data"}, ".ecgbench/artifacts");
  ASSERT_TRUE(relative.ok()) << relative.status();
  EXPECT_EQ((*relative)->roots().back(), (fs::current_path() / ".ecgbench/artifacts").string());
  auto bad = WorkerPathPolicy({"data"}, "/a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "--data-root: \"data\" is not an absolute path");
}

TEST_F(PathGuardTest, AgentReportsANonRetryableFailureWithTheMessage) {
  testing::FakeCoordinator fake;
  ASSERT_TRUE(fake.started());
  StageRegistry registry;
  ASSERT_TRUE(registry
                  .Register("preprocess",
                            [this] { return ConfineSpecPaths(policy_, std::make_unique<CountingRunner>(&runs_)); })
                  .ok());
  AgentOptions options;
  options.coordinator_address = fake.address();
  options.name = "w";
  options.resources.set_cpu_cores(1);
  options.work_root = (root_ / "work").string();
  options.acquire_wait_ms = 200;
  options.call_timeout = absl::Seconds(2);
  options.ship_interval = absl::Milliseconds(50);
  options.backoff_initial = absl::Milliseconds(10);
  options.backoff_max = absl::Milliseconds(100);
  Agent agent(options, &registry, common::RealClock::Get());
  absl::Status run_status;
  std::thread thread([&] { run_status = agent.Run(); });
  fake.QueueAssignment(Assignment("att-1", data_ + "/escape"));
  const bool failed = testing::FakeCoordinator::WaitFor([&] { return !fake.fails().empty(); });
  agent.Shutdown(absl::Seconds(1));
  thread.join();
  ASSERT_TRUE(failed);
  const v1::FailTaskRequest f = fake.fails()[0];
  EXPECT_EQ(f.assignment().attempt_id(), "att-1");
  EXPECT_EQ(f.error(), "PERMISSION_DENIED: " + EscapeMessage());
  EXPECT_FALSE(f.retryable());
  EXPECT_FALSE(f.preempted());
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_TRUE(fake.completes().empty());
}

}  // namespace
}  // namespace ecgbench::worker
