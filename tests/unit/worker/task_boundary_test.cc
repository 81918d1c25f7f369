// Task boundary: exceptions -> statuses, retryability, preemption, failure text.
#include "worker/agent/task_boundary.h"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>

namespace ecgbench::worker {
namespace {

// A TaskContext that no runner in this file uses beyond passing it along.
class NullContext final : public TaskContext {
 public:
  const v1::Assignment& assignment() const override { return assignment_; }
  void Log(v1::LogLevel, std::string_view) override {}
  void ReportProgress(int64_t, int64_t, std::string_view, std::string_view) override {}
  void ReportMetric(std::string_view, double, int64_t) override {}
  absl::Status KvSet(const std::string&, const std::string&) override { return absl::OkStatus(); }
  absl::StatusOr<std::optional<std::string>> KvGet(const std::string&) override {
    return std::optional<std::string>();
  }
  absl::StatusOr<std::vector<std::string>> KvWait(const std::vector<std::string>&,
                                                 absl::Duration) override {
    return std::vector<std::string>();
  }
  bool cancelled() const override { return false; }
  bool preempt_requested() const override { return false; }
  const std::string& work_dir() const override { return dir_; }

 private:
  v1::Assignment assignment_;
  std::string dir_;
};

template <typename F>
class ThrowingRunner final : public StageRunner {
 public:
  explicit ThrowingRunner(F f) : f_(f) {}
  absl::StatusOr<TaskResult> Run(TaskContext&) override { f_(); return TaskResult{}; }

 private:
  F f_;
};

template <typename F>
absl::Status RunThrowing(F f) {
  ThrowingRunner<F> runner(f);
  NullContext ctx;
  return RunGuarded(runner, ctx).status();
}

TEST(TaskBoundaryTest, MapsExceptionsToStatuses) {
  EXPECT_EQ(RunThrowing([] { throw std::runtime_error("boom"); }),
            absl::InternalError("stage runner threw: boom"));
  EXPECT_EQ(RunThrowing([] { throw std::bad_alloc(); }),
            absl::ResourceExhaustedError("stage runner ran out of memory (std::bad_alloc)"));
  // LibTorch-style message: the backtrace after the first part is dropped; OOM is recognised.
  EXPECT_EQ(RunThrowing([] {
              throw std::runtime_error(
                  "CUDA out of memory. Tried to allocate 2.00 GiB\nException raised from malloc at "
                  "CUDACachingAllocator.cpp:1 (most recent call first):\nframe #0: ...");
            }),
            absl::ResourceExhaustedError(
                "stage runner ran out of memory: CUDA out of memory. Tried to allocate 2.00 GiB"));
  EXPECT_EQ(RunThrowing([] { throw 42; }),
            absl::InternalError("stage runner threw an exception that is not a std::exception"));
  EXPECT_TRUE(RunThrowing([] {}).ok());
}

TEST(TaskBoundaryTest, RetryableUnlessTheInputIsWrong) {
  EXPECT_FALSE(IsRetryableFailure(absl::InvalidArgumentError("x")));
  EXPECT_FALSE(IsRetryableFailure(absl::FailedPreconditionError("x")));
  EXPECT_FALSE(IsRetryableFailure(absl::UnimplementedError("x")));
  EXPECT_FALSE(IsRetryableFailure(absl::NotFoundError("x")));
  EXPECT_TRUE(IsRetryableFailure(absl::InternalError("x")));
  EXPECT_TRUE(IsRetryableFailure(absl::ResourceExhaustedError("x")));
  EXPECT_TRUE(IsRetryableFailure(absl::UnavailableError("x")));
}

TEST(TaskBoundaryTest, RecognisesPreemption) {
  EXPECT_TRUE(IsPreemption(PreemptedStatus(), false));
  EXPECT_TRUE(IsPreemption(absl::AbortedError("saved checkpoint at step 7"), true));
  EXPECT_FALSE(IsPreemption(absl::AbortedError("lost a race"), false));
  EXPECT_FALSE(IsPreemption(absl::CancelledError("preempted"), true));
}

TEST(TaskBoundaryTest, FailureTextHasTheCodeAndIsBounded) {
  EXPECT_EQ(FailureText(absl::ResourceExhaustedError("oom")), "RESOURCE_EXHAUSTED: oom");
  const std::string text = FailureText(absl::InternalError(std::string(10000, 'x')));
  EXPECT_EQ(text.size(), 4000u);
  EXPECT_EQ(text.substr(text.size() - 3), "...");
}

}  // namespace
}  // namespace ecgbench::worker
