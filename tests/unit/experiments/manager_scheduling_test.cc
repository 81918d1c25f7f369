// Manager scheduling under load (bench/load): a worker's long-poll wakes for its own assignment
// and ends when the worker deregisters; a worker that registers again with other stage kinds is
// scheduled by the new ones (the Manager keeps its scheduling view between passes); the pending
// queue is taken in priority order, then submission order.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>

#include "server/experiments/manager.h"
#include "tests/unit/testing/fake_clock.h"

namespace ecgbench::server {
namespace {

class ManagerSchedulingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ecgbench_manager_scheduling_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = Store::Open((dir_ / "coordinator.db").string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    manager_ = std::make_unique<Manager>(ManagerOptions{}, store_.get(), &clock_, nullptr);
    ASSERT_TRUE(manager_->Recover().ok());
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Register(const std::string& name, const std::string& kind, const std::string& previous = "") {
    v1::RegisterWorkerRequest r;
    r.set_name(name);
    r.mutable_resources()->set_cpu_cores(1);
    r.add_stage_kinds(kind);
    r.set_previous_worker_id(previous);
    auto resp = manager_->RegisterWorker(r);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->worker_id() : "";
  }
  std::string Submit(const std::string& yaml) {
    v1::SubmitExperimentRequest r;
    r.set_spec_yaml(yaml);
    auto resp = manager_->Submit(r);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->experiment.id() : "";
  }

  std::filesystem::path dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(ManagerSchedulingTest, LongPollWakesForItsOwnAssignment) {
  const std::string probe = Register("p", "probe");
  Register("t", "train");  // not eligible for a probe task
  absl::StatusOr<std::optional<v1::Assignment>> got;
  std::thread poll([&] { got = manager_->AcquireTask(probe, 10000); });
  const std::string id = Submit("name: one\nprobe: {ranks: 1}\n");
  poll.join();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->experiment_id(), id);
  EXPECT_EQ((*got)->stage_kind(), "probe");
}

TEST_F(ManagerSchedulingTest, DeregisteringEndsTheWorkersLongPoll) {
  const std::string w = Register("w", "probe");
  absl::StatusOr<std::optional<v1::Assignment>> got;
  std::thread poll([&] { got = manager_->AcquireTask(w, 10000); });
  ASSERT_TRUE(manager_->DeregisterWorker(w).ok());
  poll.join();
  // Not an empty answer after the wait: the long-poll learns at once that the worker is gone.
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ManagerSchedulingTest, RegisteringAgainWithOtherStageKindsCounts) {
  const std::string w = Register("w", "train");
  Submit("name: one\nprobe: {ranks: 1}\n");
  auto none = manager_->AcquireTask(w, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(Register("w", "probe", w), w);
  auto some = manager_->AcquireTask(w, 0);
  ASSERT_TRUE(some.ok());
  ASSERT_TRUE(some->has_value());
  EXPECT_EQ((*some)->stage_kind(), "probe");
}

TEST_F(ManagerSchedulingTest, QueueIsTakenByPriorityThenSubmissionOrder) {
  const std::string low = Submit("name: low\npriority: low\nprobe: {ranks: 1}\n");
  const std::string first = Submit("name: first\npriority: high\nprobe: {ranks: 1}\n");
  const std::string second = Submit("name: second\npriority: high\nprobe: {ranks: 1}\n");
  const std::string w = Register("w", "probe");  // one core: one task at a time
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    auto a = manager_->AcquireTask(w, 0);
    ASSERT_TRUE(a.ok() && a->has_value()) << i;
    order.push_back((*a)->experiment_id());
    v1::CompleteTaskRequest done;
    done.set_worker_id(w);
    done.mutable_assignment()->set_attempt_id((*a)->attempt_id());
    ASSERT_TRUE(manager_->CompleteTask(done).ok());
  }
  EXPECT_EQ(order, (std::vector<std::string>{first, second, low}));
}

}  // namespace
}  // namespace ecgbench::server
